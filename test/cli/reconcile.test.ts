/**
 * `opsmeter reconcile` through the built CLI, as a user runs it after a backfill's import:
 * the import of sample logs (fixtures/import/) against provider usage pages that match it, that
 * miss half of a day, Anthropic's report with cache reads and writes, a cost report against the
 * import's estimate, and the files it must refuse — exit code, stdout and stderr each time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PriceBook } from '../../src/prices/library.js';
import { runCli } from '../helpers/cli.js';

const R = 'fixtures/reconcile';
const PAGE_1 = `${R}/openai-usage-2025-09-page-1.json`;
const PAGE_2 = `${R}/openai-usage-2025-09-page-2.json`;
const PAGE_2_HALF = `${R}/openai-usage-2025-09-page-2-half-missing.json`;
const OPENAI_LOGS = ['fixtures/import/openai-batch/batch_68c3a1e9f0b48190_output.jsonl', 'fixtures/import/openai-log/app-completions.jsonl'];

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-reconcile-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const noStack = (stderr: string) => expect(stderr).not.toMatch(/internal error|\n\s+at /);

let openaiPayloads: string;
let claudePayloads: string;
beforeAll(async () => {
  openaiPayloads = join(tmp, 'openai.jsonl');
  const a = await runCli(['import', ...OPENAI_LOGS, '-o', openaiPayloads]);
  expect(a.code, a.stderr).toBe(0);
  claudePayloads = join(tmp, 'claude.jsonl');
  const b = await runCli(['import', 'fixtures/import/claude-code/projects', '--from', 'claude-code', '-o', claudePayloads]);
  expect(b.code, b.stderr).toBe(0);
});

describe('an import against OpenAI Usage API pages', () => {
  it('that match: exit 0, every day × model within the tolerance, what was left out named', async () => {
    const r = await runCli(['reconcile', openaiPayloads, '--against', PAGE_1, PAGE_2]);
    noStack(r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('OpenAI Usage API (completions) — 2 files, 3 days (2025-09-12 – 2025-09-14) · per UTC day × model');
    expect(r.stdout).toMatch(/✔ 2025-09-14 {2}gpt-4o-mini +input tokens +506 +506 +0 +100\.0%/);
    expect(r.stdout).toMatch(/totals +requests +20 +20 +0 +100\.0%/);
    expect(r.stdout).toContain('· 1 payload without createdAt: no day to compare on, not compared');
    expect(r.stdout).toContain('· azure-openai: 1 payload (2025-09-14) and no report of this provider: not compared');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('✔ all 12 rows are within ±1%');
  });

  it('that show a day with half the usage missing: exit 1, the day and the models named, both figures in --format json', async () => {
    const r = await runCli(['reconcile', openaiPayloads, '--against', PAGE_1, PAGE_2_HALF]);
    noStack(r.stderr);
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('✖ 6 of 12 rows outside ±1% on 2025-09-14; worst: 2025-09-14 gpt-4o, the import holds 50.0% of the input tokens OpenAI reported');
    expect(r.stdout).toMatch(/✖ 2025-09-14 {2}gpt-4o-mini +requests +5 +10 +-5 +50\.0%\n +input tokens +506 +1,012 +-506 +50\.0%/);
    expect(r.stdout).toMatch(/✔ 2025-09-12 {2}gpt-4o-mini +input tokens +610 +610/);

    const j = await runCli(['reconcile', openaiPayloads, '--against', PAGE_1, PAGE_2_HALF, '--format', 'json']);
    expect(j.code).toBe(1);
    const doc = JSON.parse(j.stdout);
    expect(doc.verdict).toBe('outside tolerance');
    expect(doc.summary).toEqual({ rows: 12, outside: 6, importedNotReported: 0, reportedNotImported: 0 });
    const row = doc.rows.find((x: { day: string; model: string }) => x.day === '2025-09-14' && x.model === 'gpt-4o-mini');
    expect(row).toMatchObject({ kind: 'usage', provider: 'openai', status: 'gap', payloads: 5, partial: 2, importedModels: ['gpt-4o-mini', 'gpt-4o-mini-2024-07-18'], reportedModels: ['gpt-4o-mini-2024-07-18'] });
    expect(row.measures.input).toEqual({ imported: 506, reported: 1012, difference: -506, coverage: 0.5, within: false });
    expect(row.measures.requests).toEqual({ imported: 5, reported: 10, difference: -5, coverage: 0.5, within: false });
    expect(doc.rows.filter((x: { status: string }) => x.status === 'gap').map((x: { day: string }) => x.day)).toEqual(Array(6).fill('2025-09-14'));
  });

  it('--tolerance decides: a 50 % gap is inside ±100 %', async () => {
    const r = await runCli(['reconcile', openaiPayloads, '--against', PAGE_1, PAGE_2_HALF, '--tolerance', '100']);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('✔ all 12 rows are within ±100%');
  });

  it('payloads on stdin straight from the import, a gzipped page, the report written with -o', async () => {
    const imported = await runCli(['import', ...OPENAI_LOGS]);
    const gz = join(tmp, 'page-2.json.gz');
    writeFileSync(gz, gzipSync(readFileSync(PAGE_2)));
    const out = join(tmp, 'report.json');
    const r = await runCli(['reconcile', '-', '--format', 'json', '-o', out, '--against', PAGE_1, gz], { input: imported.stdout });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`opsmeter reconcile: ✔ all 12 rows are within ±1% (report in ${out})\n`);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.payloads.files).toEqual([{ file: '<stdin>', payloads: 24 }]);
    expect(doc.reports.files.map((f: { file: string; format: string }) => [f.file, f.format])).toEqual([
      [PAGE_1, 'openai-usage'],
      [gz, 'openai-usage'],
    ]);
  });
});

describe("an import's --summary-json as the imported side", () => {
  let summaryFile: string;
  beforeAll(async () => {
    summaryFile = join(tmp, 'openai-summary.json');
    const imp = await runCli(['import', ...OPENAI_LOGS, '-o', join(tmp, 'openai-again.jsonl'), '--summary-json', summaryFile]);
    expect(imp.code, imp.stderr).toBe(0);
  });
  const rowsOf = (stdout: string) => JSON.parse(stdout).rows;

  it('against pages that match: exit 0, the same rows as the payload file', async () => {
    const r = await runCli(['reconcile', summaryFile, '--against', PAGE_1, PAGE_2]);
    noStack(r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('opsmeter reconcile: 24 payloads in 1 import summary against 2 report files · tolerance ±1%');
    expect(r.stdout).toContain("· 1 payload without createdAt (the summary's undated): no day to compare on, not compared");
    expect(r.stdout).toContain('· azure-openai: 1 payload (2025-09-14) and no report of this provider: not compared');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('✔ all 12 rows are within ±1%');
    const [fromSummary, fromPayloads] = await Promise.all([
      runCli(['reconcile', summaryFile, '--against', PAGE_1, PAGE_2, '--format', 'json']),
      runCli(['reconcile', openaiPayloads, '--against', PAGE_1, PAGE_2, '--format', 'json']),
    ]);
    expect(rowsOf(fromSummary.stdout)).toEqual(rowsOf(fromPayloads.stdout));
    expect(JSON.parse(fromSummary.stdout).payloads).toMatchObject({ source: 'import-summary', read: 24, noCreatedAt: 1 });
  });

  it('against the day with half the usage missing: exit 1, the same verdict and figures as the payload file', async () => {
    const r = await runCli(['reconcile', summaryFile, '--against', PAGE_1, PAGE_2_HALF]);
    noStack(r.stderr);
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('✖ 6 of 12 rows outside ±1% on 2025-09-14; worst: 2025-09-14 gpt-4o, the import holds 50.0% of the input tokens OpenAI reported');
    const [fromSummary, fromPayloads] = await Promise.all([
      runCli(['reconcile', summaryFile, '--against', PAGE_1, PAGE_2_HALF, '--format', 'json']),
      runCli(['reconcile', openaiPayloads, '--against', PAGE_1, PAGE_2_HALF, '--format', 'json']),
    ]);
    expect(fromSummary.code).toBe(1);
    const row = rowsOf(fromSummary.stdout).find((x: { day: string; model: string }) => x.day === '2025-09-14' && x.model === 'gpt-4o-mini');
    expect(row.measures.input).toEqual({ imported: 506, reported: 1012, difference: -506, coverage: 0.5, within: false });
    expect(rowsOf(fromSummary.stdout)).toEqual(rowsOf(fromPayloads.stdout));
  });

  it("Anthropic's report with cache reads and writes: equal, as with the payload file", async () => {
    const claudeSummary = join(tmp, 'claude-summary.json');
    const imp = await runCli(['import', 'fixtures/import/claude-code/projects', '--from', 'claude-code', '-o', join(tmp, 'claude-again.jsonl'), '--summary-json', claudeSummary]);
    expect(imp.code, imp.stderr).toBe(0);
    const [fromSummary, fromPayloads] = await Promise.all([
      runCli(['reconcile', claudeSummary, '--against', `${R}/anthropic-usage-2025-09.json`, '--format', 'json']),
      runCli(['reconcile', claudePayloads, '--against', `${R}/anthropic-usage-2025-09.json`, '--format', 'json']),
    ]);
    expect(fromSummary.code, fromSummary.stdout).toBe(0);
    expect(rowsOf(fromSummary.stdout)).toEqual(rowsOf(fromPayloads.stdout));
  });
});

describe('an import against Anthropic\'s usage report', () => {
  it('cache reads and writes: equal once input means the same on both sides (uncached + reads + writes)', async () => {
    const r = await runCli(['reconcile', claudePayloads, '--against', `${R}/anthropic-usage-2025-09.json`, '--format', 'json']);
    noStack(r.stderr);
    expect(r.code, r.stdout).toBe(0);
    const doc = JSON.parse(r.stdout);
    const report = JSON.parse(readFileSync(`${R}/anthropic-usage-2025-09.json`, 'utf8')) as {
      data: { results: { uncached_input_tokens: number; cache_read_input_tokens: number; cache_creation: Record<string, number> }[] }[];
    };
    const results = report.data.flatMap((b) => b.results);
    const uncached = results.reduce((s, x) => s + x.uncached_input_tokens, 0);
    const reads = results.reduce((s, x) => s + x.cache_read_input_tokens, 0);
    const writes = results.reduce((s, x) => s + x.cache_creation.ephemeral_5m_input_tokens! + x.cache_creation.ephemeral_1h_input_tokens!, 0);
    expect(reads).toBeGreaterThan(0);
    expect(writes).toBeGreaterThan(0);
    const totals = doc.scopes[0].totals;
    expect(totals.input).toEqual({ imported: uncached + reads + writes, reported: uncached + reads + writes, difference: 0, coverage: 1, within: true });
    expect(totals.input.imported).not.toBe(uncached);
    expect(totals.cachedInput).toMatchObject({ imported: reads, reported: reads, within: true });
    expect(totals.cacheWrite).toMatchObject({ imported: writes, reported: writes, within: true });
    expect(doc.rows.map((x: { day: string; model: string; status: string }) => `${x.day} ${x.model} ${x.status}`)).toEqual([
      '2025-09-15 claude-haiku-4-5 match',
      '2025-09-15 claude-opus-4-6 match',
      '2025-09-15 claude-sonnet-4-5 match',
      '2025-09-16 claude-sonnet-4-5 match',
    ]);
  });
});

describe('a cost report against the import\'s estimate', () => {
  it('matching spend exits 0; a model billed for more than was imported exits 1', async () => {
    const payloads = join(tmp, 'app.jsonl');
    const imp = await runCli(['import', 'fixtures/import/openai-log/app-completions.jsonl', '-o', payloads]);
    expect(imp.code, imp.stderr).toBe(0);
    // What OpenAI would bill at list price: the price source's calcPrice of each call, summed per
    // model as OpenAI names it (independent of the import's per-day buckets).
    const book = await PriceBook.load();
    const billed = new Map<string, number>();
    for (const line of readFileSync(payloads, 'utf8').split('\n').filter(Boolean)) {
      const p = JSON.parse(line);
      if (p.provider !== 'openai' || p.inputTokens === undefined) continue;
      const logged = p.metadata.loggedModel ?? p.model;
      const usage = { input: p.inputTokens, output: p.outputTokens, cacheRead: p.metadata.cachedInputTokens ?? 0, cacheWrite: p.metadata.cacheWriteTokens ?? 0 };
      const price = book.price(book.resolve('openai', p.model, p.metadata.loggedModel)!, usage, new Date(p.createdAt))!.total_price;
      billed.set(logged, (billed.get(logged) ?? 0) + price);
    }
    expect(billed.size).toBeGreaterThan(3);
    const page = (factor: (model: string) => number) => ({
      object: 'page',
      data: [
        {
          object: 'bucket',
          start_time: 1757808000, // 2025-09-14, the day of every call in the log
          end_time: 1757894400,
          results: [
            ...[...billed].map(([model, usd]) => ({ object: 'organization.costs.result', amount: { value: usd * factor(model), currency: 'usd' }, line_item: `${model}, input`, project_id: null })),
            { object: 'organization.costs.result', amount: { value: 0.0003, currency: 'usd' }, line_item: 'assistants api | file search', project_id: null },
          ],
        },
      ],
      has_more: false,
      next_page: null,
    });
    const matching = join(tmp, 'costs.json');
    writeFileSync(matching, JSON.stringify(page(() => 1), null, 2));
    const ok = await runCli(['reconcile', payloads, '--against', matching]);
    noStack(ok.stderr);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toContain(`OpenAI Costs API — 1 file, 1 day (2025-09-14) · per UTC day × model`);
    expect(ok.stdout).toContain("OpenAI cost: a line item that is no model's tokens, $0.000300, not compared: assistants api | file search");
    expect(ok.stdout).toContain('the imported figure is the import\'s estimate at list prices, not a bill');

    const billedMore = join(tmp, 'costs-more.json');
    writeFileSync(billedMore, JSON.stringify(page((model) => (model === 'gpt-4o-2024-08-06' ? 1.25 : 1))));
    const gap = await runCli(['reconcile', payloads, '--against', billedMore, '--format', 'json']);
    expect(gap.code).toBe(1);
    const doc = JSON.parse(gap.stdout);
    expect(doc.rows[0]).toMatchObject({ kind: 'cost', day: '2025-09-14', model: 'gpt-4o', status: 'gap' });
    expect(doc.rows[0].measures.usd.coverage).toBeCloseTo(0.8, 9);
    expect(doc.scopes[0].nonToken).toEqual([{ item: 'assistants api | file search', usd: 0.0003, results: 1 }]);
  });
});

describe('refused: exit 2, the file named, no stack trace', () => {
  it.each([
    ['a missing report', () => ['reconcile', openaiPayloads, '--against', join(tmp, 'missing.json')], () => `opsmeter: ${join(tmp, 'missing.json')}: no such file or directory\n`],
    ['a missing payload file', () => ['reconcile', join(tmp, 'missing.jsonl'), '--against', PAGE_1], () => `opsmeter: ${join(tmp, 'missing.jsonl')}: no such file or directory\n`],
    [
      'payloads given as the report',
      () => ['reconcile', openaiPayloads, '--against', claudePayloads],
      () => `opsmeter: ${claudePayloads}:1: this holds Opsmeter payloads, not a provider report: give payload files before --against, reports after it\n`,
    ],
    ['a report given as the payloads', () => ['reconcile', PAGE_1, '--against', PAGE_2], () => `opsmeter: ${PAGE_1}:1: this is a provider report, not a payload: give report pages after --against\n`],
    [
      'the dashboard\'s CSV export',
      () => ['reconcile', openaiPayloads, '--against', 'fixtures/import/aggregate/openai-usage-completions.csv'],
      () => "opsmeter: fixtures/import/aggregate/openai-usage-completions.csv is an OpenAI usage export (dashboard CSV / Usage API) as CSV: reconcile reads the API's JSON pages\n",
    ],
  ])('%s', async (_what, args, message) => {
    const r = await runCli(args());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('  hint:')[0]).toBe(message());
    noStack(r.stderr);
  });

  it('an import summary written before the breakdown existed: re-run the import', async () => {
    const summaryFile = join(tmp, 'summary-old.json');
    const imp = await runCli(['import', OPENAI_LOGS[1]!, '-o', join(tmp, 'x.jsonl'), '--summary-json', summaryFile]);
    expect(imp.code, imp.stderr).toBe(0);
    const { breakdown: _, ...old } = JSON.parse(readFileSync(summaryFile, 'utf8'));
    writeFileSync(summaryFile, JSON.stringify(old, null, 2));
    const r = await runCli(['reconcile', summaryFile, '--against', PAGE_1]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`opsmeter: ${summaryFile}:1: this import summary (--summary-json) has no breakdown[]: an older opsmeter wrote it, without per-day figures by model to compare`);
    expect(r.stderr).toContain('hint: re-run the import with this opsmeter');
    noStack(r.stderr);
  });

  it('nothing in common: the report and the payloads share no day with usage', async () => {
    const empty = join(tmp, 'empty-usage.json');
    writeFileSync(empty, JSON.stringify({ object: 'page', data: [{ object: 'bucket', start_time: 1735689600, end_time: 1735776000, results: [] }], has_more: false, next_page: null }));
    const r = await runCli(['reconcile', openaiPayloads, '--against', empty]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('OpenAI usage: 22 payloads (2025-09-12 – 2025-09-14) outside the times the report covers: not compared');
    expect(r.stderr).toBe('opsmeter reconcile: nothing compared: the payloads and the reports share no day with usage (the notes say what was left out)\n');
  });
});
