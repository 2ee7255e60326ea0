/**
 * The pure comparison (src/reconcile/compare.ts): totals of both sides in, rows out. What is
 * compared at which grain, the tolerance's edges, the four row statuses, the worst-first order,
 * and the totals — with no file read, as a coverage panel over an import summary would call it.
 */
import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { compareMeasure, reconcile, type ReportScope, type TotalsRow } from '../../src/reconcile/compare.js';
import { modelFamily } from '../../src/reconcile/read.js';

const family = modelFamily(builtinCatalog());
const usageScope = (days: string[], measures: ReportScope['measures'] = ['requests', 'input', 'output'], provider = 'openai'): ReportScope => ({
  kind: 'usage',
  provider,
  measures,
  days: days.map((day) => ({ day, full: true })),
});
const imp = (day: string, model: string, input: number, output: number, extra: Partial<TotalsRow> = {}): TotalsRow => ({
  kind: 'usage',
  provider: 'openai',
  day,
  model,
  figures: { requests: 1, input, output, cachedInput: 0, cacheWrite: 0 },
  payloads: 1,
  partial: 0,
  unpriced: 0,
  ...extra,
});
const rep = (day: string, model: string | null, input: number, output: number, extra: Partial<TotalsRow> = {}): TotalsRow => ({
  kind: 'usage',
  provider: 'openai',
  day,
  model,
  figures: { requests: 1, input, output },
  ...extra,
});

describe('compareMeasure', () => {
  it('is within the tolerance up to and including tolerance × reported, and not a token beyond', () => {
    expect(compareMeasure(990, 1000, 1)).toEqual({ imported: 990, reported: 1000, difference: -10, coverage: 0.99, within: true });
    expect(compareMeasure(1010, 1000, 1).within).toBe(true);
    expect(compareMeasure(989, 1000, 1).within).toBe(false);
    expect(compareMeasure(1011, 1000, 1).within).toBe(false);
    expect(compareMeasure(999, 1000, 0).within).toBe(false);
    expect(compareMeasure(1000, 1000, 0).within).toBe(true);
  });

  it('nothing reported: coverage is null, and only nothing imported is within', () => {
    expect(compareMeasure(0, 0, 1)).toMatchObject({ coverage: null, within: true });
    expect(compareMeasure(1, 0, 50)).toMatchObject({ coverage: null, within: false, difference: 1 });
  });

  it('dollar sums that differ only in their last bits are equal', () => {
    expect(compareMeasure(0.1 + 0.2, 0.3, 0).within).toBe(true);
  });
});

describe('reconcile', () => {
  it('matches dated report ids to the alias the payloads were logged under (the model family)', () => {
    const r = reconcile({
      imported: [imp('2025-09-14', 'gpt-4o-mini', 100, 10), imp('2025-09-14', 'gpt-4-1-2025-04-14', 50, 5)],
      reported: [rep('2025-09-14', 'gpt-4o-mini-2024-07-18', 100, 10), rep('2025-09-14', 'gpt-4.1-2025-04-14', 50, 5)],
      scopes: [usageScope(['2025-09-14'])],
      tolerancePct: 0,
      family,
    });
    expect(r.within).toBe(true);
    expect(r.rows.map((x) => [x.model, x.status, x.reportedModels, x.importedModels])).toEqual([
      ['gpt-4-1', 'match', ['gpt-4.1-2025-04-14'], ['gpt-4-1-2025-04-14']],
      ['gpt-4o-mini', 'match', ['gpt-4o-mini-2024-07-18'], ['gpt-4o-mini']],
    ]);
  });

  it('names each kind of gap, and orders the worst first (then the matches by day)', () => {
    const r = reconcile({
      imported: [imp('2025-09-14', 'gpt-4o', 500, 50), imp('2025-09-14', 'o3', 10, 1), imp('2025-09-13', 'gpt-4o', 100, 10), imp('2025-09-12', 'gpt-4o', 7, 7)],
      reported: [rep('2025-09-14', 'gpt-4o', 1000, 100), rep('2025-09-14', 'gpt-4o-mini', 300, 30), rep('2025-09-13', 'gpt-4o', 100, 10), rep('2025-09-12', 'gpt-4o', 7, 7)],
      scopes: [usageScope(['2025-09-12', '2025-09-13', '2025-09-14'])],
      tolerancePct: 1,
      family,
    });
    expect(r.within).toBe(false);
    expect(r.rows.map((x) => `${x.day} ${x.model} ${x.status}`)).toEqual([
      '2025-09-14 gpt-4o gap', // 550 tokens off
      '2025-09-14 gpt-4o-mini reported-not-imported', // 330
      '2025-09-14 o3 imported-not-reported', // 11
      '2025-09-12 gpt-4o match',
      '2025-09-13 gpt-4o match',
    ]);
    expect(r.rows[0]!.measures.input).toEqual({ imported: 500, reported: 1000, difference: -500, coverage: 0.5, within: false });
    const scope = r.scopes[0]!;
    expect(scope).toMatchObject({ rows: 5, outside: 3, days: 3, from: '2025-09-12', to: '2025-09-14' });
    expect(scope.totals.input).toEqual({ imported: 617, reported: 1407, difference: -790, coverage: 617 / 1407, within: false });
  });

  it('compares only the days the report covers, and only the measures it states', () => {
    const r = reconcile({
      imported: [imp('2025-09-14', 'gpt-4o', 100, 10, { figures: { requests: 3, input: 100, output: 10, cachedInput: 999 } }), imp('2025-09-20', 'gpt-4o', 5, 5)],
      reported: [rep('2025-09-14', 'gpt-4o', 100, 10, { figures: { input: 100, output: 10 } })],
      scopes: [usageScope(['2025-09-14'], ['input', 'output'])],
      tolerancePct: 0,
      family,
    });
    expect(r.rows).toHaveLength(1);
    expect(Object.keys(r.rows[0]!.measures)).toEqual(['input', 'output']);
    expect(r.within).toBe(true);
  });

  it('a report not grouped by model is compared per day over all models', () => {
    const r = reconcile({
      imported: [imp('2025-01-12', 'gpt-4o', 40000, 200), imp('2025-01-12', 'gpt-4o-mini', 5949, 82)],
      reported: [rep('2025-01-12', null, 45949, 282)],
      scopes: [usageScope(['2025-01-12'])],
      tolerancePct: 0,
      family,
    });
    expect(r.scopes[0]!.grain.model).toBe(false);
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({ model: null, status: 'gap' }); // 2 requests imported, 1 reported
    expect(r.rows[0]!.measures.input!.within).toBe(true);
    expect(r.rows[0]!.importedModels).toEqual(['gpt-4o', 'gpt-4o-mini']);
  });

  it('a grouping is compared when both sides carry it; one only the report has is rolled up and named', () => {
    const reported = [rep('2025-09-14', 'gpt-4o', 60, 6, { project: 'proj_a' }), rep('2025-09-14', 'gpt-4o', 40, 4, { project: 'proj_b' })];
    const without = reconcile({ imported: [imp('2025-09-14', 'gpt-4o', 100, 10)], reported, scopes: [usageScope(['2025-09-14'], ['input', 'output'])], tolerancePct: 0, family });
    expect(without.scopes[0]!.reportOnly).toEqual(['project']);
    expect(without.rows).toEqual([expect.objectContaining({ status: 'match', model: 'gpt-4o' })]);
    expect(without.rows[0]).not.toHaveProperty('project');

    const withProject = reconcile({
      imported: [imp('2025-09-14', 'gpt-4o', 60, 6, { project: 'proj_a' }), imp('2025-09-14', 'gpt-4o', 40, 4, { project: null })],
      reported,
      scopes: [usageScope(['2025-09-14'], ['input', 'output'])],
      tolerancePct: 0,
      family,
    });
    expect(withProject.scopes[0]!.grain.project).toBe(true);
    expect(withProject.rows.map((x) => [x.project, x.status])).toEqual([
      [null, 'imported-not-reported'],
      ['proj_b', 'reported-not-imported'],
      ['proj_a', 'match'],
    ]);
  });

  it('imported rows without a kind count for every report of their provider (usage and cost)', () => {
    const r = reconcile({
      imported: [{ provider: 'anthropic', day: '2025-08-01', model: 'claude-sonnet-4-20250514', figures: { input: 3200, cachedInput: 200, cacheWrite: 1500, output: 500, usd: 1.2378912 }, payloads: 4 }],
      reported: [
        { kind: 'usage', provider: 'anthropic', day: '2025-08-01', model: 'claude-sonnet-4-20250514', figures: { input: 3200, cachedInput: 200, cacheWrite: 1500, output: 500 } },
        { kind: 'cost', provider: 'anthropic', day: '2025-08-01', model: 'claude-sonnet-4-20250514', figures: { usd: 1.2378912 } },
      ],
      scopes: [
        { kind: 'cost', provider: 'anthropic', measures: ['usd'], days: [{ day: '2025-08-01', full: true }] },
        { kind: 'usage', provider: 'anthropic', measures: ['input', 'cachedInput', 'cacheWrite', 'output'], days: [{ day: '2025-08-01', full: true }] },
      ],
      tolerancePct: 0,
      family,
    });
    expect(r.scopes.map((s) => s.kind)).toEqual(['usage', 'cost']);
    expect(r.rows.map((x) => [x.kind, x.model, x.status])).toEqual([
      ['usage', 'claude-sonnet-4', 'match'],
      ['cost', 'claude-sonnet-4', 'match'],
    ]);
  });

  it('payloads with none of the compared figures are counted apart, not as a gap; a day covered in part is marked', () => {
    const r = reconcile({
      imported: [imp('2025-01-11', 'unknown', 0, 0, { figures: { requests: 0, input: 0, output: 0 }, partial: 1 })],
      reported: [],
      scopes: [{ kind: 'usage', provider: 'openai', measures: ['input', 'output'], days: [{ day: '2025-01-11', full: false }] }],
      tolerancePct: 1,
      family,
    });
    expect(r.rows).toEqual([]);
    expect(r.within).toBe(true);
    expect(r.scopes[0]).toMatchObject({ emptyPayloads: 1, partialDays: ['2025-01-11'] });
  });
});
