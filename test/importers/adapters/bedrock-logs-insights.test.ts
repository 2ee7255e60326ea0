/**
 * A CloudWatch Logs Insights export of a Bedrock invocation log group through the built CLI:
 * one JSON document, one row per log event; each row's @message is an invocation record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../../helpers/cli.js';

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

  // A large export (a query returns at most 10,000 rows; with whole invocation records in
  // @message they reach tens of MB): read row by row, never whole.
  const ROWS = 10_000;
  // A 32 MB old space caps the heap so that rows kept in memory would fail the run. The young
  // generation is pinned to 16 MB semi-spaces, Node 20's default: Node 24's V8 sizes it at 64 MB,
  // which lifted the heap limit from 80 to 224 MB and let the peak grow with the file before any
  // collection. Newer Nodes still start bigger and their collector lets the heap fill further:
  // measured (December 2026) a tiny import peaks at 45 / 49 / 52 MB on Node 20 / 22 / 24, this
  // 70 MB export at 88 / 118 / 127 MB (and at 102 / — / 134 MB when twice as large). So the bound
  // is 120 MB on Node 20, as before, and 140 MB on the newer majors.
  const HEAP_CAP = '--max-old-space-size=32 --max-semi-space-size=16';
  const RSS_BOUND_MB = Number(process.versions.node.split('.')[0]) >= 22 ? 140 : 120;
  const BAD = 5_000; // this row's @message is a plain-text log line
  /**
   * An export of `rows` rows built from the fixture's first record (each with its own id and a
   * 6,000-character note): pretty-printed, a row a line, or compacted on one line as
   * `jq -c` or a compacting export writes it. Returns where each row starts (the text is ASCII).
   */
  const bigExport = (path: string, cut?: number, opts: { rows?: number; compact?: boolean } = {}) => {
    const rows = opts.rows ?? ROWS;
    const row = JSON.parse(readFileSync(EXPORT, 'utf8')).results[0] as { field: string; value: string }[];
    const record = JSON.parse(row.find((c) => c.field === '@message')!.value) as Record<string, unknown>;
    const fd = openSync(path, 'w');
    const [open, sep, close] = opts.compact ? ['{"results":[', ',', '],'] : ['{\n  "results": [\n    ', ',\n    ', '\n  ],\n  '];
    let text = open;
    let written = 0;
    const starts: number[] = [];
    const pad = 'x'.repeat(6000);
    for (let i = 0; i < rows; i++) {
      const message = i === BAD ? 'START RequestId: 1234 Version: $LATEST' : JSON.stringify({ ...record, requestId: `7d1f${String(i).padStart(4, '0')}-0000-4000-8000-000000000000`, requestMetadata: { note: pad } });
      if (i > 0) text += sep;
      starts.push(written + text.length);
      text += JSON.stringify([{ field: '@timestamp', value: '2025-09-12 15:00:12.000' }, { field: '@message', value: message }]);
      if (text.length > 1 << 20) {
        writeSync(fd, text);
        written += text.length;
        text = '';
      }
    }
    const statistics = `{"recordsMatched": ${rows}.0, "recordsScanned": ${rows}.0, "bytesScanned": 71000000.0}`;
    text += opts.compact ? `${close}"statistics":${statistics},"status":"Complete"}\n` : `${close}"statistics": ${statistics},\n  "status": "Complete"\n}\n`;
    writeSync(fd, text);
    closeSync(fd);
    if (cut !== undefined) writeFileSync(path, readFileSync(path).subarray(0, cut));
    return starts;
  };

  it('a 70 MB export is read row by row in flat memory (a 32 MB heap, peak RSS under 120 MB, 140 MB on Node ≥ 22): exact counts and tokens, a bad row rejected at its line, --from auto recognises it', async () => {
    const path = join(tmp, 'big-insights.json');
    bigExport(path);
    const rss = join(tmp, 'rss.json');
    const out = join(tmp, 'big-out.jsonl');
    const summaryFile = join(tmp, 'big-summary.json');
    const rejectsFile = join(tmp, 'big-rejects.jsonl');
    const env = { NODE_OPTIONS: `${HEAP_CAP} --require ${join(ROOT, 'bench', 'rss-probe.cjs')}`, OPSMETER_RSS_FILE: rss };
    // No --from: the head (256 KB) holds only the first rows, which tell the format.
    const r = await runCli(['import', path, '-o', out, '--summary-json', summaryFile, '--rejects', rejectsFile], { env, timeoutMs: 120_000 });
    expect(r.stderr).toContain('--from auto chose bedrock');
    expect(r.code, r.stderr).toBe(1);
    const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
    expect([s.read, s.complete, s.partial.total, s.skipped.total, s.rejected.total]).toEqual([ROWS, ROWS - 1, 0, 0, 1]);
    expect(s.tokens).toMatchObject({ inputTokens: 608 * (ROWS - 1), outputTokens: 41 * (ROWS - 1) });
    const rejects = lines(readFileSync(rejectsFile, 'utf8'));
    expect(rejects).toHaveLength(1);
    // Line 1 is "{", line 2 '"results": [', so row N starts on line N + 3.
    expect(rejects[0]).toMatchObject({ line: BAD + 3, reason: expect.stringMatching(/@message cell is not a JSON record/) });
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean)).toHaveLength(ROWS - 1);
    rmSync(out);
    rmSync(path);
    expect(JSON.parse(readFileSync(rss, 'utf8')).maxRssKb / 1024).toBeLessThan(RSS_BOUND_MB);
  }, 130_000);

  it('an export cut short: the rows before the cut are read, the cut is one rejected row at its line', async () => {
    const path = join(tmp, 'cut-insights.json');
    bigExport(path, 3_000_000);
    const r = await importIt([path, '--from', 'bedrock']);
    expect(r.code).toBe(1);
    const s = r.summary;
    expect(s.rejected.total).toBe(1);
    expect(s.complete).toBeGreaterThan(400);
    expect(s.read).toBe(s.complete + s.rejected.total);
    expect(r.rejects[0].line).toBe(s.complete + 3);
    expect(r.rejects[0].reason).toMatch(/not valid JSON|not closed|unterminated/);
    rmSync(path);
  });

  // Compacted on one line, an export is one JSONL line to the sniff; it is read row by row all
  // the same (a JSONL line is read whole, and is at most 10 MB).
  const COMPACT_ROWS = 2_000; // ~14 MB: over the 10 MB a JSONL line may hold

  it('a compacted one-line export, under or over 10 MB and named .json or .jsonl, is read row by row in a 32 MB heap: exact counts and tokens; --from auto agrees', async () => {
    const rss = join(tmp, 'compact-rss.json');
    const env = { NODE_OPTIONS: `${HEAP_CAP} --require ${join(ROOT, 'bench', 'rss-probe.cjs')}`, OPSMETER_RSS_FILE: rss };
    for (const rows of [600, COMPACT_ROWS]) {
      const outputs: string[] = [];
      for (const [name, from] of [['compact.json', ['--from', 'bedrock']], ['compact.jsonl', ['--from', 'bedrock']], ['compact.jsonl', []]] as const) {
        const path = join(tmp, name);
        bigExport(path, undefined, { rows, compact: true });
        expect(readFileSync(path, 'utf8').indexOf('\n')).toBe(readFileSync(path).length - 1); // one line
        const summaryFile = join(tmp, 'compact-summary.json');
        const r = await runCli(['import', path, ...from, '--summary-json', summaryFile], { env, timeoutMs: 120_000 });
        expect(r.code, r.stderr).toBe(0);
        if (from.length === 0) expect(r.stderr).toContain('--from auto chose bedrock');
        const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
        expect([s.read, s.complete, s.partial.total, s.skipped.total, s.rejected.total]).toEqual([rows, rows, 0, 0, 0]);
        expect(s.tokens).toMatchObject({ inputTokens: 608 * rows, outputTokens: 41 * rows });
        expect(s.files).toEqual([expect.objectContaining({ rows, rejected: 0, blankLines: 0 })]);
        expect(JSON.parse(readFileSync(rss, 'utf8')).maxRssKb / 1024).toBeLessThan(RSS_BOUND_MB);
        outputs.push(r.stdout);
        rmSync(path);
      }
      expect(outputs[0]!.split('\n').filter(Boolean)).toHaveLength(rows);
      expect(outputs[1]).toBe(outputs[0]);
      expect(outputs[2]).toBe(outputs[0]);
    }
  }, 240_000);

  it('a compacted one-line export cut short: every whole row before the cut is read, the cut is one reject at line 1 with its column', async () => {
    const path = join(tmp, 'compact-cut.json');
    const starts = bigExport(path, undefined, { rows: COMPACT_ROWS, compact: true });
    const cutRow = 1_500;
    writeFileSync(path, readFileSync(path).subarray(0, starts[cutRow]! + 3_000));
    for (const from of [['--from', 'bedrock'], []]) {
      const r = await importIt([path, ...from]);
      if (from.length === 0) expect(r.stderr).toContain('--from auto chose bedrock');
      expect(r.code).toBe(1);
      const s = r.summary;
      expect([s.read, s.complete, s.partial.total, s.skipped.total, s.rejected.total]).toEqual([cutRow + 1, cutRow, 0, 0, 1]);
      expect(r.payloads).toHaveLength(cutRow);
      expect(r.payloads.at(-1).externalRequestId).toBeDefined();
      expect(r.rejects).toHaveLength(1);
      expect(r.rejects[0]).toMatchObject({ line: 1, reason: expect.stringMatching(/^not valid JSON: .*\(column \d+\)$/) });
      // The column is in the cut row, not before it.
      expect(Number(/\(column (\d+)\)/.exec(r.rejects[0].reason)![1])).toBeGreaterThan(starts[cutRow]!);
    }
    rmSync(path);
  });

  it('a document broken after its rows (no closing brace) says so; the rows are read', async () => {
    const doc = JSON.stringify(JSON.parse(readFileSync(EXPORT, 'utf8')), null, 2);
    const r = await importIt(['-', '--from', 'bedrock', '--stdin-filename', 'insights.json'], doc.slice(0, doc.lastIndexOf('}')));
    expect(r.code).toBe(1);
    expect([r.summary.read, r.summary.complete, r.summary.rejected.total]).toEqual([5, 4, 1]);
    expect(r.rejects[0].reason).toMatch(/the object around its "results" array is broken or cut short \(its rows were read\)/);
  });
});
