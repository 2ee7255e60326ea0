/**
 * .json arrays larger than the heap the CLI is given (issue 8): validate and import read them
 * in flat memory, and the reports of 180,000 warnings are written in flat memory too. Slow
 * (hundreds of MB written and read): in the `slow` project, which .ci/run runs after the
 * default one.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, runCli } from '../helpers/cli.js';
import { cleanPayload } from '../helpers/payloads.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-arrays-memory-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;

describe('.json arrays in flat memory', () => {
  // Memory: the array is larger than the heap the CLI is given, so it cannot be held whole
  // (read whole, it takes a string of its size plus the parsed values); peak RSS is read by
  // the same probe the benchmarks use.
  const flat = (bytes: number, item: (i: number) => string): string => {
    const path = join(dir, `flat${n++}.json`);
    const fd = openSync(path, 'w');
    let written = 0;
    let buf = '[\n';
    for (let i = 0; written < bytes; i++) {
      buf += (i === 0 ? '' : ',\n') + item(i);
      if (buf.length > 1 << 20) {
        written += writeSync(fd, buf);
        buf = '';
      }
    }
    writeSync(fd, buf + '\n]\n');
    closeSync(fd);
    return path;
  };
  const probe = (rss: string) => ({
    NODE_OPTIONS: `--max-old-space-size=32 --require ${join(ROOT, 'bench', 'rss-probe.cjs')}`,
    OPSMETER_RSS_FILE: rss,
  });

  it('validate reads a 160 MB array in flat memory (a 32 MB heap, peak RSS under 120 MB), its duplicate index spilled to disk', async () => {
    const note = 'n'.repeat(4000);
    // Every 1000th element (from 10,000 on) reuses the id of the element 9,500 before it with
    // other content: with the index bounded at 5,000 ids, those repeats are found only by the
    // merge of its spilled runs at the end.
    let repeats = 0;
    const path = flat(160 * 1024 * 1024, (i) => {
      const again = i >= 10_000 && i % 1000 === 0;
      if (again) repeats++;
      const id = again ? `ext_flat_${i - 9500}` : `ext_flat_${i}`;
      return JSON.stringify({ ...cleanPayload({ externalRequestId: id, latencyMs: again ? 7 : 820 }), metadata: { note } }, null, 2);
    });
    const rss = join(dir, 'rss-validate.json');
    const report = join(dir, 'flat-report.json');
    const r = await runCli(['validate', '--format', 'json', '-o', report, path], { env: { ...probe(rss), OPSMETER_DUPLICATE_INDEX_ENTRIES: '5000' }, timeoutMs: 120_000 });
    rmSync(path);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1 file, [\d,]+ payloads/);
    const doc = JSON.parse(readFileSync(report, 'utf8')) as { summary: { records: number }; problems: { rule: string; line: number; message: string }[] };
    expect(doc.summary.records).toBeGreaterThan(30_000);
    expect(repeats).toBeGreaterThan(10);
    expect(doc.problems.map((p) => p.rule)).toEqual(Array(repeats).fill('payload/duplicate-external-request-id'));
    expect(doc.problems[0]!.message).toMatch(/^externalRequestId "ext_flat_500" was already used at line \d+ with different content/);
    expect(JSON.parse(readFileSync(rss, 'utf8')).maxRssKb / 1024).toBeLessThan(120);
  }, 130_000);

  it('a json and a sarif report of 180,000 warnings are written in flat memory (a 32 MB heap): the problems past 10,000 go through a temp file', async () => {
    // Three warnings a payload (no promptVersion, endpointTag, latencyMs) and one error at
    // the end: held as objects, 180,000 problems alone would take more than the heap.
    const payloads = 60_000;
    const lean = (i: number) => JSON.stringify(cleanPayload({ externalRequestId: `ext_w_${i}`, promptVersion: undefined, endpointTag: undefined, latencyMs: undefined, inputTokens: i === payloads - 1 ? -1 : 120 }));
    const path = join(dir, `warnings${n++}.json`);
    writeFileSync(path, '[\n' + Array.from({ length: payloads }, (_, i) => lean(i)).join(',\n') + '\n]\n');
    for (const format of ['json', 'sarif']) {
      const rss = join(dir, `rss-${format}.json`);
      const report = join(dir, `warnings-report.${format}`);
      const r = await runCli(['validate', '--format', format, '-o', report, path], { env: probe(rss), timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(1);
      // The last payload's negative count adds a warning of its own (the total no longer adds up).
      expect(r.stderr).toContain('180,002 problems (1 error, 180,001 warnings)');
      const doc = JSON.parse(readFileSync(report, 'utf8'));
      const problems: { severity?: string; level?: string }[] = format === 'json' ? doc.problems : doc.runs[0].results;
      expect(problems).toHaveLength(180_002);
      // Uncapped: every problem, in file order (the error is among the last payload's).
      expect(problems.findIndex((p) => (p.severity ?? p.level) === 'error')).toBeGreaterThanOrEqual(179_997);
      rmSync(report);
      expect(JSON.parse(readFileSync(rss, 'utf8')).maxRssKb / 1024, format).toBeLessThan(120);
    }
    rmSync(path);
  }, 130_000);

  it('import reads a 64 MB LiteLLM array in flat memory (a 32 MB heap, peak RSS under 120 MB)', async () => {
    const row = JSON.parse(readFileSync(join(FIXTURES, 'import', 'litellm', 'spend-logs.json'), 'utf8'))[0] as Record<string, unknown>;
    const response = { note: 'r'.repeat(4000) };
    const path = flat(64 * 1024 * 1024, (i) => JSON.stringify({ ...row, request_id: `req-${i}`, response }));
    const rss = join(dir, 'rss-import.json');
    const out = join(dir, 'flat-out.jsonl');
    const r = await runCli(['import', path, '--from', 'litellm', '-o', out], { env: probe(rss), timeoutMs: 120_000 });
    rmSync(path);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').split('\n').length).toBeGreaterThan(10_000);
    rmSync(out);
    expect(JSON.parse(readFileSync(rss, 'utf8')).maxRssKb / 1024).toBeLessThan(120);
  }, 130_000);
});
