/**
 * A CloudWatch Logs Insights export of a Bedrock invocation log group through the built CLI:
 * one JSON document, one row per log event; each row's @message is an invocation record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const EXPORT = 'fixtures/import/bedrock/logs-insights/query-results.json';
const S3_HOUR = 'fixtures/import/bedrock/AWSLogs/111122223333/BedrockModelInvocationLogs/us-east-1/2025/09/12/15/20250912T150000Z_3c9a7e2b1d4f6a80.json';
const CLOUDWATCH = 'fixtures/import/bedrock/cloudwatch/invocation-c24d5e6f.json';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'opsmeter-insights-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const lines = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l));
let n = 0;
async function importIt(args: string[], input?: string) {
  const summaryFile = join(tmp, `s${n}.json`);
  const rejectsFile = join(tmp, `r${n++}.jsonl`);
  const r = await runCli(['import', ...args, '--summary-json', summaryFile, '--rejects', rejectsFile], input === undefined ? {} : { input });
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return { ...r, payloads: lines(r.stdout), summary: JSON.parse(readFileSync(summaryFile, 'utf8')), rejects: lines(readFileSync(rejectsFile, 'utf8')) };
}

describe('bedrock: CloudWatch Logs Insights export', () => {
  it('reads each row\'s @message as an invocation record: counts, tokens, ids, the invariant, validate clean', async () => {
    const r = await importIt([EXPORT, '--from', 'bedrock']);
    expect(r.code).toBe(0);
    const s = r.summary;
    expect([s.read, s.complete, s.partial.total, s.skipped.total, s.rejected.total]).toEqual([4, 4, 0, 0, 0]);
    expect(r.payloads.map((p) => p.model)).toEqual(['amazon.nova-lite-v1:0', 'us.amazon.nova-pro-v1:0', 'anthropic.claude-3-haiku-20240307-v1:0', 'eu.anthropic.claude-3-7-sonnet-20250219-v1:0']);
    expect(r.payloads.every((p) => p.provider === 'aws-bedrock')).toBe(true);
    expect(r.payloads.reduce((a, p) => a + p.inputTokens, 0)).toBe(608 + 22 + 27 + 3100);
    expect(r.payloads.reduce((a, p) => a + p.outputTokens, 0)).toBe(41 + 118 + 2 + 145);
    const v = await runCli(['validate', '-', '--format', 'json'], { input: r.stdout });
    expect(v.code).toBe(0);
  });

  it('gives the same payloads (same ids) as the S3 and CloudWatch copies of the records', async () => {
    const copies = await importIt([S3_HOUR, CLOUDWATCH, '--from', 'bedrock']);
    const insights = await importIt([EXPORT, '--from', 'bedrock']);
    expect(insights.stdout).toBe(copies.stdout);
  });

  it('the same invocations from S3 and from Logs Insights are counted once (duplicate_copy)', async () => {
    const r = await importIt([EXPORT, S3_HOUR, CLOUDWATCH, '--from', 'bedrock']);
    const s = r.summary;
    expect([s.read, s.complete, s.skipped.total]).toEqual([8, 4, 4]);
    expect(s.skipped.byReason).toEqual({ duplicate_copy: 4 });
    expect(s.read).toBe(s.complete + s.partial.total + s.skipped.total + s.rejected.total);
    expect(new Set(r.payloads.map((p) => p.externalRequestId)).size).toBe(4);
  });

  it('--from auto picks bedrock for the export and agrees with --from bedrock', async () => {
    const named = await runCli(['import', EXPORT, '--from', 'bedrock']);
    const auto = await runCli(['import', EXPORT]);
    expect(auto.stderr).toContain('--from auto chose bedrock');
    expect(auto.stdout).toBe(named.stdout);
  });

  it('rows without a usable @message are rejected one by one, at their own line; the others are read', async () => {
    const good = JSON.parse(readFileSync(EXPORT, 'utf8')).results[0];
    const doc = {
      results: [
        [{ field: '@timestamp', value: '2025-09-12 15:00:12.000' }],
        [{ field: '@message', value: 'START RequestId: 1234 Version: $LATEST' }],
        good,
        [{ field: '@message', value: '{"level":"info","msg":"not an invocation"}' }],
      ],
      statistics: { recordsMatched: 4, recordsScanned: 4, bytesScanned: 100 },
      status: 'Complete',
    };
    const r = await importIt(['-', '--from', 'bedrock', '--stdin-filename', 'insights.json'], JSON.stringify(doc, null, 2));
    expect(r.code).toBe(1);
    const s = r.summary;
    expect([s.read, s.complete, s.rejected.total]).toEqual([4, 1, 3]);
    expect(s.read).toBe(s.complete + s.partial.total + s.skipped.total + s.rejected.total);
    expect(r.rejects.map((x) => x.reason)).toEqual([
      expect.stringMatching(/no @message field/),
      expect.stringMatching(/@message cell is not a JSON record/),
      expect.stringMatching(/requestId is missing/),
    ]);
    // each reject names the line where its row starts
    const text = JSON.stringify(doc, null, 2).split('\n');
    for (const x of r.rejects) expect(text[x.line - 1]!.trim()).toBe('[');
    expect(new Set(r.rejects.map((x) => x.line)).size).toBe(3);
  });

  it('an export of another log group is named by --from auto', async () => {
    const doc = { results: [[{ field: '@message', value: 'hello' }]], statistics: {}, status: 'Complete' };
    const r = await runCli(['import', '-', '--stdin-filename', 'q.json'], { input: JSON.stringify(doc) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Logs Insights query result/);
  });
});
