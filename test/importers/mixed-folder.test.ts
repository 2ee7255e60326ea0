/**
 * Issue 9's "done when", end to end through the built CLI: one folder holding Codex sessions,
 * Gemini API / Vertex AI batch output and logged responses, logged Anthropic responses and
 * streams, Bedrock invocation logs delivered to S3 (.json.gz, .json) and to CloudWatch (an
 * export and a Logs Insights export of the same records), and OpenAI-compatible logs (Azure
 * streams, Groq, Mistral) — all real fixtures — imported with `--from auto` in one run: the
 * right format per file, the right provider per row, exact token totals, every copy counted
 * once, and a word for every row.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-mixed-'));
const team = join(tmp, 'team-logs');
const F = (...p: string[]) => join(FIXTURES, 'import', ...p);

beforeAll(() => {
  const copy = (from: string, to: string) => {
    mkdirSync(join(team, to, '..'), { recursive: true });
    cpSync(from, join(team, to), { recursive: true });
  };
  copy(F('codex', 'sessions'), 'codex/sessions');
  copy(F('gemini', 'batch-output.jsonl'), 'gemini/batch-output.jsonl');
  copy(F('gemini', 'generate-content.jsonl'), 'gemini/generate-content.jsonl');
  copy(F('gemini', 'vertex', 'predictions.jsonl'), 'gemini/vertex/predictions.jsonl');
  copy(F('anthropic-log', 'messages.jsonl'), 'anthropic/messages.jsonl');
  copy(F('anthropic-log', 'stream-events.jsonl'), 'anthropic/stream-events.jsonl');
  copy(F('bedrock', 'AWSLogs'), 'bedrock/s3/AWSLogs');
  copy(F('bedrock', 'cloudwatch'), 'bedrock/cloudwatch');
  copy(F('bedrock', 'logs-insights'), 'bedrock/logs-insights');
  copy(F('openai-log', 'app-completions.jsonl'), 'openai/app-completions.jsonl');
  copy(F('openai-log', 'vendors', 'compatible.jsonl'), 'openai/compatible.jsonl');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** What each format's files hold, as the same files give them with --from FORMAT. */
const FORMATS = [
  { format: 'anthropic-log', dir: 'anthropic', files: 2, read: 15, complete: 3, partial: 2, skipped: 10 },
  // S3 .json.gz + .json (14 records) and the CloudWatch and Logs Insights exports of 4 of them: 4 copies
  { format: 'bedrock', dir: 'bedrock', files: 4, read: 18, complete: 11, partial: 3, skipped: 4 },
  { format: 'codex', dir: 'codex', files: 2, read: 82, complete: 7, partial: 0, skipped: 75 },
  { format: 'gemini', dir: 'gemini', files: 3, read: 10, complete: 3, partial: 4, skipped: 3 },
  { format: 'openai-log', dir: 'openai', files: 2, read: 21, complete: 10, partial: 4, skipped: 7 },
];

describe('--from auto on one folder of five formats', () => {
  test('one run, one summary: each file read as its format, exact counts and tokens, the invariant, exit 0', async () => {
    const summaryFile = join(tmp, 'summary.json');
    const r = await runCli(['import', team, '--summary-json', summaryFile]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      '--from auto found 5 formats: anthropic-log (2 files), bedrock (4 files), codex (2 files), gemini (3 files), openai-log (2 files); each file is read as its own format',
    );
    expect(r.stderr).toContain('opsmeter import: 5 formats, each file read as the format --from auto found for it');
    expect(r.stderr).toContain('    codex: 2 files, 82 rows: complete 7 · partial 0 · skipped 75 · rejected 0');
    expect(r.stderr).toContain('read 146 = complete 34 + partial 13 + skipped 99 + rejected 0 ✔');
    expect(r.stderr).toContain('tokens: input 454,579 (cached 266,435, cache write 4,608) · output 8,053 (reasoning 2,199)');

    const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
    expect(s).toMatchObject({
      format: 'mixed',
      formatChosenBy: 'auto',
      read: 146,
      complete: 34,
      partial: { total: 13, byReason: { request_failed: 6, usage_missing: 6, not_measured: 1 } },
      skipped: { total: 99, byReason: { not_a_request: 81, duplicate_copy: 18 } },
      rejected: { total: 0 },
      invariantHolds: true,
      tokens: { inputTokens: 454_579, outputTokens: 8_053, cachedInputTokens: 266_435, cacheWriteTokens: 4_608, reasoningTokens: 2_199 },
    });
    expect(s.read).toBe(s.complete + s.partial.total + s.skipped.total + s.rejected.total);
    expect(s.formats.map((f: { format: string; files: string[]; read: number; complete: number; partial: number; skipped: number; rejected: number }) => ({ ...f, files: f.files.length }))).toEqual(
      FORMATS.map(({ dir: _dir, ...f }) => ({ ...f, rejected: 0 })),
    );
    // Every file says which format it got, and it is the format of its folder.
    expect(s.files).toHaveLength(13);
    for (const f of s.files) expect(f.file.startsWith(join(team, FORMATS.find((x) => x.format === f.format)!.dir))).toBe(true);

    // The provider per row, from each record's own evidence.
    const payloads = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(payloads).toHaveLength(47);
    const by: Record<string, number> = {};
    for (const p of payloads) by[`${p.metadata.source} → ${p.provider}`] = (by[`${p.metadata.source} → ${p.provider}`] ?? 0) + 1;
    expect(by).toEqual({
      'bedrock → aws-bedrock': 14,
      'anthropic-log → anthropic': 5,
      'codex → openai': 7,
      'gemini → google': 7,
      'openai-log → openai': 11,
      'openai-log → azure-openai': 1,
      'openai-log → groq': 1,
      'openai-log → mistral': 1,
    });
    expect(new Set(payloads.map((p) => p.externalRequestId)).size).toBe(47);
  });

  test('the run writes exactly what importing each format on its own writes, and import | validate - is clean', async () => {
    const mixed = await runCli(['import', team]);
    const alone: string[] = [];
    for (const f of FORMATS) {
      const r = await runCli(['import', join(team, f.dir), '--from', f.format]);
      expect(r.stderr).toContain(`read ${f.read} = complete ${f.complete} + partial ${f.partial} + skipped ${f.skipped} + rejected 0 ✔`);
      alone.push(...r.stdout.split('\n').filter(Boolean));
    }
    expect(mixed.stdout.split('\n').filter(Boolean).sort()).toEqual(alone.sort());
    const v = await runCli(['validate', '-', '--format', 'json'], { input: mixed.stdout });
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).summary).toMatchObject({ records: 47, errors: 0 });
    const again = await runCli(['import', team]);
    expect(again.stdout).toBe(mixed.stdout);
  });

  test('a request seen by two formats (a LiteLLM spend log and the Message Batch it ran in) is counted once, and the summary says so', async () => {
    const summaryFile = join(tmp, 'cross.json');
    // msg_01XFDUDYJgAACzvnptvVoYEL is in both files; the two logs disagree on its tokens.
    const r = await runCli(['import', F('anthropic-batch', 'msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d_results.jsonl'), F('litellm', 'spend.csv'), '--summary-json', summaryFile]);
    expect(r.code).toBe(1); // spend.csv has one ragged row, rejected
    const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
    expect(s.formats.map((f: { format: string }) => f.format)).toEqual(['anthropic-batch', 'litellm']);
    expect(s.skipped.byReason).toEqual({ duplicate_copy: 1 });
    expect(s).toMatchObject({ read: 25, complete: 14, partial: { total: 9 }, rejected: { total: 1 }, invariantHolds: true });
    expect(s.notes).toContain(
      '1 records repeat a provider request id another format of this run already imported (the same request in two logs): skipped as duplicate_copy — ⚠ 1 of them with other token counts than the copy kept (the first read)',
    );
    const ids = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).metadata.responseId ?? JSON.parse(l).externalRequestId);
    expect(ids.filter((id: string) => id === 'msg_01XFDUDYJgAACzvnptvVoYEL')).toHaveLength(1);
    // The batch lines keep their batch price; the spend-log rows are at list price.
    expect(s.batchPricing).toEqual({ payloads: 15, factor: 0.5, vendor: 'Anthropic Message Batches' });
  });

  test('a folder is imported as far as it can be: an aggregate export and a file of no known format are left out, named and counted (exit 1); the rest is imported as without them', async () => {
    const odd = join(team, 'notes', 'todo.json');
    const aggregate = join(team, 'finance', 'openai-costs.csv');
    mkdirSync(join(team, 'notes'), { recursive: true });
    mkdirSync(join(team, 'finance'), { recursive: true });
    writeFileSync(odd, '{"todo": "ask finance for the invoices"}\n');
    cpSync(F('aggregate', 'openai-costs.csv'), aggregate);
    try {
      const summaryFile = join(tmp, 'left-out.json');
      const r = await runCli(['import', team, '--summary-json', summaryFile]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('; 2 files are left out (named in the summary)\n');
      expect(r.stderr).toContain('  ⚠ LEFT OUT 2 files (not imported, not in rows read; exit 1):\n');
      expect(r.stderr).toContain(`    ${aggregate} is an OpenAI costs export (dashboard CSV / Costs API): each row is a time bucket summing many requests`);
      expect(r.stderr).toContain(`    ${odd} (JSON) matches none of the known formats\n`);
      // The rest: exactly what the folder without the two files gives.
      expect(r.stderr).toContain('read 146 = complete 34 + partial 13 + skipped 99 + rejected 0 ✔');
      const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
      expect(s.leftOut).toEqual([
        { file: aggregate, kind: 'aggregate', reason: expect.stringMatching(/^is an OpenAI costs export .*Export per-request data/) },
        { file: odd, kind: 'unknown', reason: '(JSON) matches none of the known formats' },
      ]);
      expect(s.files.map((f: { file: string }) => f.file)).not.toContain(odd);
      rmSync(join(team, 'notes'), { recursive: true, force: true });
      rmSync(join(team, 'finance'), { recursive: true, force: true });
      const without = await runCli(['import', team]);
      expect(without.code).toBe(0);
      expect(r.stdout).toBe(without.stdout);
    } finally {
      rmSync(join(team, 'notes'), { recursive: true, force: true });
      rmSync(join(team, 'finance'), { recursive: true, force: true });
    }
  });

  test('an explicit --from keeps its strictness: an aggregate export among the files stops the run before any output (exit 2)', async () => {
    const r = await runCli(['import', F('litellm', 'spend.csv'), F('aggregate', 'openai-costs.csv'), '--from', 'litellm']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/openai-costs\.csv is an OpenAI costs export/);
  });

  test('--from codex on the folder reads the Codex files and rejects the others, naming the format of each', async () => {
    const r = await runCli(['import', team, '--from', 'codex']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('read 128 = complete 7 + partial 0 + skipped 75 + rejected 46 ✔');
    expect(r.stderr).toContain('46 × type or payload is missing: not a Codex rollout line');
    expect(r.stderr).toContain(
      `⚠ ${join(team, 'anthropic', 'stream-events.jsonl')} looks like anthropic-log, not codex: its 13 rows were rejected (import it with --from anthropic-log, or --from auto to read each file as its own format)`,
    );
    expect(r.stderr).toContain(`⚠ ${join(team, 'gemini', 'vertex', 'predictions.jsonl')} looks like gemini, not codex: its 3 rows were rejected`);
    expect(r.stderr).toContain(`⚠ ${join(team, 'openai', 'app-completions.jsonl')} looks like openai-log, not codex: its 19 rows were rejected`);
  });
});
