/**
 * End to end through the built CLI (run `npx tsc -p tsconfig.json` first; `npm test` does):
 * each of the openai-batch, openai-log, anthropic-batch, claude-code and bedrock fixtures
 * imports with the exact counts, the summary invariant, output `validate` accepts with
 * 0 errors, byte-identical re-runs, --from auto choosing the same format, and nothing of the
 * prompts or completions in the output.
 */
import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const IMPORT = join('fixtures', 'import');
const P = (...parts: string[]) => join(IMPORT, ...parts);

interface Case {
  format: string;
  paths: string[];
  complete: number;
  partial: Record<string, number>;
  skipped: Record<string, number>;
  /** Texts of the source that must never reach the payloads. */
  secrets: string[];
}

const CASES: Case[] = [
  {
    format: 'openai-batch',
    paths: [P('openai-batch', 'batch_68c3a1e9f0b48190_output.jsonl'), P('openai-batch', 'batch_68c3a1e9f0b48190_error.jsonl'), P('openai-batch', 'azure_batch_output.jsonl')],
    complete: 14,
    partial: { request_failed: 6, usage_missing: 1, not_measured: 1, batch_expired: 1, batch_canceled: 2 },
    skipped: {},
    secrets: ['refund of invoice INV-2291', 'maximum context length', 'customs in Rotterdam', "Azure OpenAI's content management policy"],
  },
  {
    format: 'openai-log',
    paths: [P('openai-log', 'app-completions.jsonl')],
    complete: 8,
    partial: { usage_missing: 3, request_failed: 1 },
    skipped: { duplicate_copy: 4, not_a_request: 3 },
    secrets: ['password reset link', 'concise assistant for Acme', 'Your invoice is attached', 'Shipping to Norway'],
  },
  {
    format: 'anthropic-batch',
    paths: [P('anthropic-batch', 'msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d_results.jsonl')],
    complete: 9,
    partial: { request_failed: 3, usage_missing: 1, batch_canceled: 1, batch_expired: 1 },
    skipped: {},
    secrets: ['renews automatically', 'Count business days', 'max_tokens: Field required'],
  },
  {
    format: 'claude-code',
    paths: [P('claude-code', 'projects')],
    complete: 9,
    partial: { usage_missing: 1, request_failed: 1 },
    skipped: { not_a_request: 10, duplicate_copy: 5, sidechain_replay: 1 },
    secrets: ['banker', '/home/dev', 'acme-billing', 'feature/invoice-rounding', 'Math.round', 'rate-limit'],
  },
  {
    format: 'bedrock',
    paths: [P('bedrock')],
    // invocation logs (11 + 3), batch output (10 + 1 request_failed); the Logs Insights export
    // holds copies of 4 invocation records: skipped as duplicate_copy
    complete: 21,
    partial: { request_failed: 2, not_measured: 1, usage_missing: 1 },
    skipped: { duplicate_copy: 4 },
    secrets: ['checkout kept timing out', 'assumed-role', '111122223333', 'reply-drafts', 'Pager hums', 's3://', 'Roses are red', 'HANSGO', 'hello how are you', 'hello world', 'Say this is a test', 'test subject', 'Khartoum', 'SINGLE NUMBER'],
  },
];

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

describe.each(CASES)('opsmeter import --from $format', (c) => {
  const partial = sum(c.partial);
  const skipped = sum(c.skipped);
  const payloads = c.complete + partial;
  const read = payloads + skipped;

  test('exact counts, the invariant, exit 0, no source text in the output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsmeter-e2e-'));
    try {
      const summaryFile = join(dir, 'summary.json');
      const r = await runCli(['import', '--from', c.format, ...c.paths, '--summary-json', summaryFile]);
      expect(r.stderr).toContain(`read ${read} = complete ${c.complete} + partial ${partial} + skipped ${skipped} + rejected 0 ✔`);
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n').filter(Boolean);
      expect(lines).toHaveLength(payloads);
      const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
      expect(summary).toMatchObject({
        format: c.format,
        read,
        complete: c.complete,
        partial: { total: partial, byReason: c.partial },
        skipped: { total: skipped, byReason: c.skipped },
        rejected: { total: 0, byReason: {} },
        invariantHolds: true,
      });
      const parsed = lines.map((l) => JSON.parse(l));
      expect(new Set(parsed.map((p) => p.externalRequestId)).size).toBe(payloads);
      expect(parsed.filter((p) => p.metadata?.usageStatus === 'partial')).toHaveLength(partial);
      for (const s of c.secrets) expect(r.stdout).not.toContain(s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('import | validate: 0 errors; a re-run is byte-identical; --from auto picks the same format', async () => {
    const first = await runCli(['import', '--from', c.format, ...c.paths]);
    const v = await runCli(['validate', '-', '--format', 'json'], { input: first.stdout });
    expect(v.code).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.summary).toMatchObject({ records: payloads, errors: 0 });
    const again = await runCli(['import', '--from', c.format, ...c.paths]);
    expect(again.stdout).toBe(first.stdout);
    const auto = await runCli(['import', ...c.paths]);
    expect(auto.stderr).toContain(`--from auto chose ${c.format}`);
    expect(auto.code).toBe(0);
    expect(auto.stdout).toBe(first.stdout);
  });
});

describe('rows the adapters cannot interpret', () => {
  const REJECTS: [string, string, number][] = [
    ['openai-batch', P('openai-batch', 'rejects.jsonl'), 7],
    ['openai-log', P('openai-log', 'rejects.jsonl'), 7],
    ['anthropic-batch', P('anthropic-batch', 'rejects.jsonl'), 6],
    ['claude-code', P('claude-code', 'rejects.jsonl'), 6],
    ['bedrock', P('bedrock', 'rejects.jsonl'), 5],
  ];
  test.each(REJECTS)('%s: every bad row rejected with its line and reason, exit 1', async (format, path, n) => {
    const dir = mkdtempSync(join(tmpdir(), 'opsmeter-e2e-'));
    try {
      const rejectsFile = join(dir, 'rejects.jsonl');
      const r = await runCli(['import', '--from', format, path, '--rejects', rejectsFile]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`read ${n} = complete 0 + partial 0 + skipped 0 + rejected ${n} ✔`);
      const rows = readFileSync(rejectsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      expect(rows.map((x) => x.line)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      for (const row of rows) {
        expect(row.file).toBe(path);
        expect(typeof row.reason).toBe('string');
        expect(row.raw).toEqual(expect.any(String));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('user ids', () => {
  test('--hash-user-ids never lets the raw id through', async () => {
    const paths = [P('openai-batch', 'batch_68c3a1e9f0b48190_output.jsonl'), P('openai-log', 'app-completions.jsonl')];
    const plain = await runCli(['import', '--from', 'openai-batch', paths[0]!]);
    expect(plain.stdout).toContain('"userId":"sid_3b7d2a9e41f0"');
    for (const [format, path, raw] of [['openai-batch', paths[0]!, 'sid_3b7d2a9e41f0'], ['openai-log', paths[1]!, 'sid_a91f0c22d7']] as const) {
      const r = await runCli(['import', '--from', format, path, '--hash-user-ids', 'test-salt']);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain(raw);
      expect(r.stdout).toMatch(/"userId":"u_[0-9a-f]{64}"/);
    }
  });
});
