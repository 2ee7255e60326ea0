/**
 * One reconciliation from the reports to the document (src/reconcile/run.ts), with an import's
 * summary as the imported side: its breakdown's endpointTags summed per day × provider × model,
 * whole days only (a day the report covers in part is named, not compared), no project / API
 * key / workspace split (a note), undated payloads apart; the same whether the breakdown comes
 * from a --summary-json file or from the running import; and the summaries it refuses.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import type { OpsmeterError } from '../../src/errors.js';
import { DEFAULT_FIELDS } from '../../src/reconcile/compare.js';
import { expandInputs, readReports } from '../../src/reconcile/read.js';
import type { DayRange } from '../../src/reconcile/reports.js';
import { runReconciliation, type ImportedSide } from '../../src/reconcile/run.js';
import type { BreakdownCell } from '../../src/reconcile/summary.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-reconcile-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const file = (value: unknown, name = `f-${n++}.json`) => {
  const path = join(tmp, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
};

const DAY = 86_400;
const T12 = Date.UTC(2025, 8, 12) / 1000; // 2025-09-12
const result = (model: string, input: number, requests: number, extra: object = {}) => ({
  object: 'organization.usage.completions.result',
  input_tokens: input,
  output_tokens: 10 * requests,
  input_cached_tokens: 0,
  num_model_requests: requests,
  model,
  project_id: null,
  api_key_id: null,
  ...extra,
});
const bucket = (start: number, end: number, results: object[]) => ({ object: 'bucket', start_time: start, end_time: end, results });
const page = (...buckets: object[]) => ({ object: 'page', data: buckets, has_more: false, next_page: null });

const cell = (date: string | null, model: string, input: number, payloads: number, extra: Partial<BreakdownCell> = {}): BreakdownCell => ({
  date,
  provider: 'openai',
  model,
  payloads,
  partial: 0,
  requests: payloads,
  inputTokens: input,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 10 * payloads,
  estimatedUsd: 0.01,
  estimatedUsdNotFinal: 0,
  unpricedPayloads: 0,
  ...extra,
});
/** A summary as an import writes it, but only what reconcile reads of it and what recognises it. */
const summary = (breakdown: unknown) => ({ read: 1, invariant: 'read 1 = complete 1 + partial 0 + skipped 0 + rejected 0', models: [], days: [], breakdown });

async function run(imported: ImportedSide | string[], reportFiles: string[], range: DayRange = {}) {
  const { payloads, reports } = await expandInputs(Array.isArray(imported) ? imported : [], reportFiles);
  const reported = await readReports(reports, range);
  return runReconciliation(reported, Array.isArray(imported) ? { sources: payloads } : imported, { catalog: builtinCatalog(), fields: DEFAULT_FIELDS, range, tolerancePct: 1 });
}

describe('an import summary as the imported side', () => {
  const usage = () => file(page(bucket(T12, T12 + DAY, [result('gpt-4o-mini-2024-07-18', 300, 3), result('gpt-4o-2024-08-06', 50, 1)])));

  it("sums a day × model's endpointTags, compares per day × model, and says what it read", async () => {
    const breakdown = [
      cell('2025-09-12', 'gpt-4o-mini-2024-07-18', 100, 1, { endpointTag: 'chat' } as Partial<BreakdownCell>),
      cell('2025-09-12', 'gpt-4o-mini-2024-07-18', 200, 2, { endpointTag: null } as Partial<BreakdownCell>),
      cell('2025-09-12', 'gpt-4o', 50, 1),
    ];
    const doc = await run([file(summary(breakdown))], [usage()]);
    expect(doc.verdict).toBe('within tolerance');
    expect(doc.payloads).toMatchObject({ source: 'import-summary', read: 4, noCreatedAt: 0 });
    expect(doc.rows.map((r) => [r.day, r.model, r.status, r.payloads, r.measures.input?.imported, r.measures.requests?.imported])).toEqual([
      ['2025-09-12', 'gpt-4o', 'match', 1, 50, 1],
      ['2025-09-12', 'gpt-4o-mini', 'match', 3, 300, 3],
    ]);
  });

  it('from a --summary-json file or from the running import: the same document', async () => {
    const breakdown = [cell('2025-09-12', 'gpt-4o-mini-2024-07-18', 150, 2), cell('2025-09-12', 'gpt-4o', 50, 1)];
    const report = usage();
    const path = file(summary(breakdown), 'summary.json');
    const fromFile = await run([path], [report]);
    const inMemory = await run({ name: path, breakdown }, [report]);
    expect(inMemory).toEqual(fromFile);
    expect(fromFile.verdict).toBe('outside tolerance');
    expect(fromFile.rows[0]).toMatchObject({ model: 'gpt-4o-mini', status: 'gap', measures: { input: { imported: 150, reported: 300, coverage: 0.5 } } });
  });

  it('undated payloads, days outside --since/--until, providers without a report and days the report lacks: counted apart, named', async () => {
    const breakdown = [
      cell('2025-09-12', 'gpt-4o-mini-2024-07-18', 300, 3),
      cell('2025-09-12', 'gpt-4o', 50, 1),
      cell('2025-09-11', 'gpt-4o', 5, 1),
      cell('2025-09-13', 'gpt-4o', 7, 2),
      cell('2025-09-12', 'gpt-4o', 9, 4, { provider: 'azure-openai' }),
      cell(null, 'gpt-4o', 1, 5),
    ];
    const doc = await run([file(summary(breakdown))], [usage()], { until: '2025-09-12' });
    expect(doc.verdict).toBe('within tolerance');
    expect(doc.payloads).toMatchObject({ read: 16, noCreatedAt: 5, excludedByDate: 2, noReport: [{ provider: 'azure-openai', payloads: 4, from: '2025-09-12', to: '2025-09-12' }] });
    expect(doc.scopes[0]!.outsideReport).toEqual({ payloads: 1, from: '2025-09-11', to: '2025-09-11' });
    expect(doc.notes).toContain("5 payloads without createdAt (the summary's undated): no day to compare on, not compared");
  });

  it('a day the report covers in part is not compared (a summary has whole days), and the note says so', async () => {
    const report = file(page(bucket(T12 + 3600, T12 + DAY, [result('gpt-4o', 40, 1)]), bucket(T12 + DAY, T12 + 2 * DAY, [result('gpt-4o', 70, 2)])));
    const breakdown = [cell('2025-09-12', 'gpt-4o', 50, 2), cell('2025-09-13', 'gpt-4o', 70, 2)];
    const doc = await run({ name: 'import', breakdown }, [report]);
    expect(doc.verdict).toBe('within tolerance');
    expect(doc.rows.map((r) => r.day)).toEqual(['2025-09-13']);
    expect(doc.scopes[0]).toMatchObject({ partDaysNotCompared: ['2025-09-12'], partDayPayloads: 2, partialDays: [] });
    expect(doc.notes).toContain(
      'OpenAI usage: the report covers only part of 2025-09-12, and an import summary has whole days: not compared on that day (2 payloads imported on it); reconcile the payload file to compare the part',
    );
  });

  it('a report grouped by project: compared per day × model, with a note (the summary has no such split)', async () => {
    const report = file(page(bucket(T12, T12 + DAY, [result('gpt-4o', 30, 1, { project_id: 'proj_a' }), result('gpt-4o', 20, 1, { project_id: 'proj_b' })])));
    const doc = await run({ name: 'import', breakdown: [cell('2025-09-12', 'gpt-4o', 50, 2)] }, [report]);
    expect(doc.verdict).toBe('within tolerance');
    expect(doc.rows).toHaveLength(1);
    expect(doc.rows[0]).not.toHaveProperty('project');
    expect(doc.scopes[0]!.reportOnly).toEqual(['project']);
    expect(doc.notes).toContain('OpenAI usage: the report is grouped by project (project_id), but an import summary has no project, API key or workspace split: compared per UTC day × model');
  });

  it("Claude Code's fast-mode model (\"<model>-fast\") is compared under the model Anthropic reports", async () => {
    const report = file({
      data: [{ starting_at: '2025-09-12T00:00:00Z', ending_at: '2025-09-13T00:00:00Z', results: [{ uncached_input_tokens: 10, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, output_tokens: 10, model: 'claude-opus-4-6' }] }],
      has_more: false,
      next_page: null,
    });
    const doc = await run({ name: 'import', breakdown: [cell('2025-09-12', 'claude-opus-4-6-fast', 10, 1, { provider: 'anthropic' })] }, [report]);
    expect(doc.rows.map((r) => [r.model, r.status, r.importedModels])).toEqual([['claude-opus-4-6', 'match', ['claude-opus-4-6']]]);
  });
});

describe('summaries refused: exit 2, the file and line named', () => {
  const refusal = async (imported: string[]): Promise<{ message: string; hint: string | undefined }> => {
    try {
      await run(imported, [file(page(bucket(T12, T12 + DAY, [result('gpt-4o', 50, 1)])))]);
    } catch (e) {
      expect((e as OpsmeterError).exitCode).toBe(2);
      return { message: (e as Error).message, hint: (e as OpsmeterError).hint };
    }
    throw new Error('read without an error');
  };

  it('a summary an older opsmeter wrote (no breakdown): re-run the import', async () => {
    const old = file({ read: 3, invariant: 'read 3 = complete 3 + partial 0 + skipped 0 + rejected 0', models: [], days: [] }, 'old-summary.json');
    const r = await refusal([old]);
    expect(r.message).toBe(`${old}:1: this import summary (--summary-json) has no breakdown[]: an older opsmeter wrote it, without per-day figures by model to compare`);
    expect(r.hint).toContain('re-run the import');
  });

  it('a cell that is not one', async () => {
    const bad = file(summary([cell('2025-09-12', 'gpt-4o', 50, 1), cell('12/09/2025', 'gpt-4o', 50, 1)]));
    expect((await refusal([bad])).message).toBe(`${bad}:1: breakdown[1]: "date" must be a UTC date YYYY-MM-DD or null, got "12/09/2025"`);
    const neg = file(summary([cell('2025-09-12', 'gpt-4o', -1, 1)]));
    expect((await refusal([neg])).message).toBe(`${neg}:1: breakdown[0]: "inputTokens" must be a whole number ≥ 0, got -1`);
  });

  it('payload files and summaries together (either order)', async () => {
    const s = file(summary([cell('2025-09-12', 'gpt-4o', 50, 1)]));
    const p = file(`${JSON.stringify({ provider: 'openai', model: 'gpt-4o', inputTokens: 50, outputTokens: 10, createdAt: '2025-09-12T10:00:00Z' })}\n`, `p-${n++}.jsonl`);
    expect((await refusal([p, s])).message).toBe(`${s}:1: payload files and import summaries (--summary-json) cannot be reconciled together`);
    expect((await refusal([s, p])).message).toBe(`${p}:1: payload files and import summaries (--summary-json) cannot be reconciled together`);
  });
});
