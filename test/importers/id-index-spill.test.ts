/**
 * The import's duplicate-id index past its memory bound (docs/import.md, "Memory"), through the
 * built CLI. With the bound forced tiny (OPSMETER_IMPORT_INDEX_ENTRIES), the ids spill to sorted
 * runs on disk, and every copy must still be found before it is written. Copies of ids from
 * before and after a spill give, byte for byte, the payloads, rejects, --summary-json, summary
 * and exit code of the default bound (which these inputs never reach). That holds on the main
 * thread, in worker threads, for CSV, and in a run of two formats (where the provider-id index
 * spills too). No temp file is left behind.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-id-spill-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LINES = 3000;

/** A batch output line of request `i` (its batch_req id and custom_id can be given). */
function batchLine(i: number, over: { id?: string; custom?: string } = {}): string {
  return JSON.stringify({
    id: over.id ?? `batch_req_${i.toString(16).padStart(8, '0')}`,
    custom_id: over.custom ?? `request-${i}`,
    response: {
      status_code: 200,
      request_id: `req_${i}`,
      body: {
        id: `chatcmpl-${i.toString(36).padStart(8, '0')}`,
        object: 'chat.completion',
        created: 1757683200 + i * 37,
        model: 'gpt-4o-mini-2024-07-18',
        choices: [{ index: 0, message: { role: 'assistant', content: `Answer ${i}` }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 20 + (i % 300), completion_tokens: 5 + (i % 60), total_tokens: 25 + (i % 300) + (i % 60) },
      },
    },
    error: null,
  });
}

/**
 * Requests 0…LINES-1 with, in between: exact copies of earlier lines (some just before, in the
 * in-memory table, most long before, in the runs on disk); the batch_req id of an earlier line
 * for another request (scoped as <id>#<custom_id>); copies of such scoped rows; bad lines.
 */
function batchFile(): string {
  const lines: string[] = [];
  for (let i = 0; i < LINES; i++) {
    lines.push(batchLine(i));
    const earlier = (i * 7919) % (i + 1);
    if (i % 7 === 3) lines.push(batchLine(earlier));
    if (i % 50 === 9) lines.push(batchLine(i - 1));
    if (i % 11 === 5) lines.push(batchLine(i, { id: `batch_req_${earlier.toString(16).padStart(8, '0')}`, custom: `other-${i}` }));
    if (i % 13 === 6 && i > 100) {
      const j = i - 100 - ((i * 31) % 90);
      if (j % 11 === 5) lines.push(batchLine(j, { id: `batch_req_${((j * 7919) % (j + 1)).toString(16).padStart(8, '0')}`, custom: `other-${j}` }));
    }
    if (i % 389 === 7) lines.push('{"custom_id": ');
  }
  const path = join(dir, 'batch_output.jsonl');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

interface Outcome {
  code: number | null;
  payloads: string;
  rejects: string;
  summary: string;
  stderr: string;
}

/** One import; the outputs go to the same paths every time, so that the summaries can be compared whole. */
async function importWith(args: string[], env: Record<string, string | undefined>): Promise<Outcome> {
  const out = join(dir, 'payloads.jsonl');
  const rejects = join(dir, 'rejects.jsonl');
  const summary = join(dir, 'summary.json');
  const r = await runCli(['import', ...args, '-o', out, '--rejects', rejects, '--summary-json', summary], { env, timeoutMs: 120_000 });
  return { code: r.code, payloads: readFileSync(out, 'utf8'), rejects: readFileSync(rejects, 'utf8'), summary: readFileSync(summary, 'utf8'), stderr: r.stderr };
}

/**
 * The import with the default bound, and with each tiny one (in its own temp folder, left
 * empty): the same outcome. 1: every id is looked up on disk; 300: runs of several fences.
 */
async function expectSameSpilled(args: string[], env: Record<string, string> = {}, bounds = ['1', '300']): Promise<Outcome> {
  const unbounded = await importWith(args, env);
  for (const bound of bounds) {
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    const spilled = await importWith(args, { ...env, OPSMETER_IMPORT_INDEX_ENTRIES: bound, TMPDIR: tmp });
    expect(spilled, `bound ${bound}`).toEqual(unbounded);
    expect(readdirSync(tmp)).toEqual([]);
  }
  return unbounded;
}

describe('import with its duplicate-id index spilled to disk', () => {
  let batch: string;
  beforeAll(() => {
    batch = batchFile();
  });

  it.each([
    ['on the main thread', 'off'],
    ['in two worker threads', '2'],
  ])('OpenAI Batch output %s: the same payloads, rejects and summary as unbounded', async (_, workers) => {
    const r = await expectSameSpilled([batch, '--from', 'openai-batch'], { OPSMETER_IMPORT_WORKERS: workers });
    const s = JSON.parse(r.summary) as { read: number; complete: number; skipped: { byReason: Record<string, number> }; rejected: { total: number } };
    // Every exact copy and every copy of a scoped row is skipped; the scoped rows are kept.
    expect(s.skipped.byReason.duplicate_copy).toBeGreaterThan(LINES / 7);
    expect(r.stderr).toMatch(/⚠ \d+ source ids were shared by different requests/);
    expect(s.complete).toBe(LINES + Math.ceil((LINES - 5) / 11));
    expect(s.rejected.total).toBe(Math.ceil((LINES - 7) / 389));
    expect(r.code).toBe(1);
  }, 120_000);

  it('CSV (--from csv --map), copies with the same and with other content', async () => {
    const rows = ['req_id,ts,vendor,model_name,prompt,completion'];
    for (let i = 0; i < 1500; i++) {
      rows.push(`r-${i},2026-03-01T12:00:00Z,openai,gpt-4o-mini,${100 + i},${i % 50}`);
      if (i % 5 === 2) rows.push(`r-${(i * 7919) % (i + 1)},2026-03-01T12:00:00Z,openai,gpt-4o-mini,${100 + ((i * 7919) % (i + 1))},${((i * 7919) % (i + 1)) % 50}`);
      if (i % 9 === 4) rows.push(`r-${i >> 1},2026-03-01T12:00:00Z,openai,gpt-4o-mini,1,1`);
    }
    const csv = join(dir, 'requests.csv');
    writeFileSync(csv, rows.join('\n') + '\n');
    const map = ['provider=vendor', 'model=model_name', 'inputTokens=prompt', 'outputTokens=completion', 'externalRequestId=req_id', 'createdAt=ts'].flatMap((m) => ['--map', m]);
    const r = await expectSameSpilled([csv, '--from', 'csv', ...map]);
    expect(JSON.parse(r.summary).skipped.byReason.duplicate_copy).toBe(rows.length - 1 - 1500);
    expect(r.code).toBe(0);
  }, 120_000);

  it('a run of two formats: copies told by the provider request id another format wrote, either format first', async () => {
    // Batch lines known by their chatcmpl- id alone (no batch_req id, no request_id), and an
    // app's log (openai-log) of every 3rd of the same requests, every 4th of those with one
    // output token more.
    const batchLines: string[] = [];
    const logLines: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const line = JSON.parse(batchLine(i));
      delete line.id;
      delete line.response.request_id;
      batchLines.push(JSON.stringify(line));
      if (i % 3 === 0) {
        const body = line.response.body;
        if (i % 4 === 0) body.usage.completion_tokens++;
        logLines.push(JSON.stringify(body));
      }
    }
    const batchPath = join(dir, 'mixed_batch_output.jsonl');
    const logPath = join(dir, 'mixed_app_log.jsonl');
    writeFileSync(batchPath, batchLines.join('\n') + '\n');
    writeFileSync(logPath, logLines.join('\n') + '\n');
    for (const files of [
      [logPath, batchPath],
      [batchPath, logPath],
    ]) {
      for (const workers of ['off', '2']) {
        const r = await expectSameSpilled(files, { OPSMETER_IMPORT_WORKERS: workers }, ['3']);
        expect(JSON.parse(r.summary).skipped.byReason.duplicate_copy).toBe(500);
        expect(r.stderr).toContain('500 records repeat a provider request id another format of this run already imported');
      }
    }
  }, 120_000);

  it('a spilled index needs a temp folder (exit 2 naming it), a small import with the default bound does not', async () => {
    const noTemp = { TMPDIR: join(dir, 'no-such-temp-folder') };
    const small = await importWith([batch, '--from', 'openai-batch'], noTemp);
    expect(small.code).toBe(1); // its bad lines
    const spilled = await runCli(['import', batch, '--from', 'openai-batch', '-o', join(dir, 'x.jsonl')], { env: { ...noTemp, OPSMETER_IMPORT_INDEX_ENTRIES: '3' } });
    expect(spilled.code).toBe(2);
    expect(spilled.stderr).toContain('cannot write a temp file');
  });

  it('refuses a bound that is not a positive whole number', async () => {
    for (const bad of ['0', '-5', 'lots', '1e3']) {
      const r = await runCli(['import', batch, '--from', 'openai-batch', '-o', join(dir, 'x.jsonl')], { env: { OPSMETER_IMPORT_INDEX_ENTRIES: bad } });
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain(`OPSMETER_IMPORT_INDEX_ENTRIES must be a positive whole number, got "${bad}"`);
    }
  });
});
