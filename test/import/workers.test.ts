/**
 * Large JSONL files of formats whose records are independent are converted in worker
 * threads (docs/import.md "Performance"). Whatever the threads do, everything the import
 * writes must be the same byte for byte as on the main thread alone: payloads, rejects,
 * --summary-json, the stderr summary and the exit code. The built CLI runs a generated
 * multi-MB OpenAI Batch output file — bad lines of every kind the reader knows, duplicates,
 * ids shared by two requests, partial rows, CR and CRLF line ends, a byte order mark, a line
 * over the 10 MB cap, no final newline — with the threads forced on and off.
 * NODE_DEBUG=worker (Node's own trace) shows whether threads were started.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

let dir: string;
let big: string;
let gz: string;

/** One batch output line per request; every few lines something a real file can hold. */
function generate(lines: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0xef, 0xbb, 0xbf])];
  const text = (s: string, end = '\n') => parts.push(Buffer.from(s + end, 'utf8'));
  const ok = (i: number, over: Record<string, unknown> = {}) =>
    JSON.stringify({
      id: `batch_req_${i.toString(16)}`,
      custom_id: `request-${i}`,
      response: {
        status_code: 200,
        request_id: i.toString(16).padStart(32, '0'),
        body: {
          id: `chatcmpl-${i.toString(36)}`,
          object: 'chat.completion',
          created: 1757683200 + i * 37,
          model: i % 7 === 0 ? 'gpt-4o-2024-08-06' : 'gpt-4o-mini-2024-07-18',
          choices: [{ index: 0, message: { role: 'assistant', content: `Route ticket ${i} to billing — “duplicate charge”.` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 20 + ((i * 7919) % 3000), completion_tokens: 5 + ((i * 104729) % 600), total_tokens: 25 + ((i * 7919) % 3000) + ((i * 104729) % 600), prompt_tokens_details: { cached_tokens: i % 5 === 0 ? 10 : 0 } },
        },
      },
      error: null,
      ...over,
    });
  for (let i = 0; i < lines; i++) {
    if (i % 97 === 3) {
      text(JSON.stringify({ id: `batch_req_${i.toString(16)}`, custom_id: `request-${i}`, response: { status_code: 400, request_id: `r${i}`, body: { error: { message: 'Invalid request', type: 'invalid_request_error', code: 'context_length_exceeded' } } }, error: null }));
    } else if (i % 211 === 5) {
      // Never ran: partial, and no createdAt (priced at the import's time).
      text(JSON.stringify({ id: `batch_req_${i.toString(16)}`, custom_id: `request-${i}`, response: null, error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' } }));
    } else if (i % 301 === 7) {
      text(ok(i - 1)); // the same line again: a duplicate copy
    } else if (i % 503 === 11) {
      text(ok(i - 1, { custom_id: `other-${i}` })); // the same batch_req id, another request: scoped
    } else if (i % 1009 === 13) {
      text(ok(i - 3, { custom_id: `other-${i - 2}` })); // a scoped id seen before: a copy
    } else if (i % 401 === 17) text('{"id": "batch_req_broken", "custom_id": ');
    else if (i % 409 === 19) {
      text('');
      text('   \t');
    } else if (i % 419 === 23) text(`{"id":"batch_req_dup${i}","id":"again","custom_id":"request-${i}","response":null,"error":{"code":"batch_expired"}}`);
    else if (i % 421 === 29) text('[1, 2, 3]');
    else if (i % 431 === 31) text(JSON.stringify({ custom_id: `request-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini' } }));
    else if (i % 433 === 37) text(ok(i), '\r\n');
    else if (i % 439 === 41) text(ok(i), '\r');
    else if (i % 443 === 43) parts.push(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]));
    else if (i % 449 === 47) text('{"id": "nul\u0000byte"}');
    else if (i % 457 === 53) text(ok(i, { custom_id: `alice${i}@example.com` }));
    else if (i % 461 === 59) text(ok(i).replace(/"created":\d+/, '"created":-5'));
    else if (i === Math.floor(lines / 2)) {
      // Longer than a line may be (10 MB): one reject, without buffering it whole.
      text(JSON.stringify({ id: 'batch_req_huge', custom_id: 'huge', pad: 'x'.repeat(10.5 * 1024 * 1024) }));
    } else if (i === Math.floor(lines / 3)) {
      text(ok(i, { deep: JSON.parse('['.repeat(3000) + ']'.repeat(3000)) }));
    } else text(ok(i));
  }
  text(ok(lines), ''); // no final newline
  return Buffer.concat(parts);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-workers-'));
  const bytes = generate(24_000);
  big = join(dir, 'batch_68c3a1e9f0b48190_output.jsonl');
  writeFileSync(big, bytes);
  gz = join(dir, 'copy_output.jsonl.gz');
  writeFileSync(gz, gzipSync(bytes));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  payloads: Buffer;
  rejects: Buffer;
  summary: Buffer;
  stderr: string;
  threadsStarted: number;
}

async function run(name: string, workers: string | undefined, files: string[], extra: string[] = []): Promise<Outcome> {
  const tag = `run-${name}-output`; // in the file names, masked in stderr
  const out = join(dir, `${tag}.payloads.jsonl`);
  const rejects = join(dir, `${tag}.rejects.jsonl`);
  const summary = join(dir, `${tag}.summary.json`);
  const r = await runCli(['import', ...files, '--from', 'openai-batch', '-o', out, '--rejects', rejects, '--summary-json', summary, ...extra], {
    env: { OPSMETER_IMPORT_WORKERS: workers, NODE_DEBUG: 'worker' },
    timeoutMs: 120_000,
  });
  const lines = r.stderr.split('\n');
  return {
    code: r.code,
    payloads: readFileSync(out),
    rejects: readFileSync(rejects),
    summary: readFileSync(summary),
    // The import's own lines (Node's worker trace comes before them), with the run's file
    // names and the import's time (shown for rows priced at it) masked.
    stderr: lines
      .slice(lines.findIndex((l) => l.startsWith('opsmeter import:')))
      .filter((l) => !l.startsWith('WORKER '))
      .join('\n')
      .replaceAll(tag, 'TAG')
      .replace(/\(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '(NOW)'),
    threadsStarted: lines.filter((l) => /created Worker with ID/.test(l)).length,
  };
}

function expectSame(a: Outcome, b: Outcome): void {
  expect(b.code).toBe(a.code);
  expect(b.payloads.equals(a.payloads)).toBe(true);
  expect(b.rejects.equals(a.rejects)).toBe(true);
  expect(b.summary.equals(a.summary)).toBe(true);
  expect(b.stderr).toBe(a.stderr);
}

describe('import in worker threads', () => {
  it('writes the same payloads, rejects, summary and exit code as the main thread alone', async () => {
    const off = await run('off', 'off', [big]);
    const two = await run('two', '2', [big]);
    expect(off.threadsStarted).toBe(0);
    expect(two.threadsStarted).toBe(2);
    expectSame(off, two);

    // What the file holds did happen: every kind of row is there, and accounted for.
    const s = JSON.parse(off.summary.toString()) as Record<string, any>;
    expect(off.code).toBe(1);
    expect(s.invariantHolds).toBe(true);
    expect(s.read).toBe(s.complete + s.partial.total + s.skipped.total + s.rejected.total);
    expect(s.complete).toBeGreaterThan(20_000);
    expect(s.partial.byReason).toMatchObject({ request_failed: expect.any(Number), batch_expired: expect.any(Number) });
    expect(s.skipped.byReason.duplicate_copy).toBeGreaterThan(60);
    expect(s.notes.some((n: string) => /source ids were shared by different requests/.test(n))).toBe(true);
    const reasons = Object.keys(s.rejected.byReason).join('\n');
    for (const r of [/^not valid JSON/m, /appears twice in one object/, /line is an array/, /Batch input line/, /not valid UTF-N/, /NUL bytes/, /longer than N MB/, /not a unix timestamp/]) {
      expect(reasons).toMatch(r);
    }
    expect(s.blankLines).toBeGreaterThan(0);
    const rejectLines = off.rejects.toString().trim().split('\n').map((l) => JSON.parse(l) as { line: number; reason: string });
    expect(rejectLines.find((r) => /longer than 10 MB/.test(r.reason))?.line).toBeGreaterThan(1);
    expect(off.payloads.toString()).toContain('"partialReason":"batch_expired"');
  });

  it('is the same with one thread, across files (duplicates of another file, gzip) and with --hash-user-ids and --provider', async () => {
    const extra = ['--hash-user-ids', 'pepper', '--provider', 'azure-openai'];
    const off = await run('off2', 'off', [big, gz], extra);
    const one = await run('one', '1', [big, gz], extra);
    expect(one.threadsStarted).toBe(1);
    expectSame(off, one);
    const s = JSON.parse(off.summary.toString()) as Record<string, any>;
    // The gzip file repeats every line of the first: all its requests are copies.
    expect(s.skipped.byReason.duplicate_copy).toBeGreaterThan(s.complete / 2);
    expect(off.rejects.toString()).not.toContain('alice');
  });

  it('starts no thread for a small file unless told to', async () => {
    const small = join(dir, 'small_output.jsonl');
    writeFileSync(small, readFileSync(big).subarray(0, 200_000));
    const auto = await run('auto', undefined, [small]);
    expect(auto.threadsStarted).toBe(0);
    const forced = await run('forced', '2', [small]);
    expect(forced.threadsStarted).toBe(2);
    expectSame(auto, forced);
  });

  it.runIf(availableParallelism() >= 2)('uses threads by itself for a large file', async () => {
    const auto = await run('auto-big', undefined, [big]);
    expect(auto.threadsStarted).toBe(2);
  });

  it('raises a failure in a worker thread as an error with the thread\'s stack, and closes without hanging', async () => {
    // The built pool (it starts dist/importers/worker.js); a setup no worker accepts makes the thread fail.
    const { WorkerPool } = (await import(join(ROOT, 'dist', 'importers', 'parallel.js'))) as typeof import('../../src/importers/parallel.js');
    const catalog = { entries: [], date: 'today', source: 'test' };
    const pool = new WorkerPool({ adapter: 'claude-code', map: {}, catalog, defaults: { dataMode: 'test', environment: 'dev' }, now: 0, rejects: false }, 2);
    const job = { bytes: new ArrayBuffer(8), length: 8, file: 'f.jsonl', linesBefore: 0, lines: 1 };
    const failure = await pool.convert(job).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failure?.message).toMatch(/^an import worker thread failed: import worker: claude-code is not an adapter whose records are independent/);
    expect(failure?.stack).toMatch(/in the worker thread: .*worker\.js/s);
    // Once failed, the pool refuses more work at once rather than waiting on a dead thread.
    await expect(pool.convert({ ...job, bytes: new ArrayBuffer(8) })).rejects.toThrow(/worker thread failed/);
    await pool.close();
  });

  it('refuses a setting it does not know', async () => {
    const r = await runCli(['import', big, '--from', 'openai-batch', '-o', join(dir, 'x.jsonl')], { env: { OPSMETER_IMPORT_WORKERS: 'many' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/OPSMETER_IMPORT_WORKERS must be off or a number of threads from 1 to 8/);
  });
});
