/**
 * The import report's coverage panel (src/importers/report-coverage.ts), in-process: drawn from
 * the reconciliation's document, every value escaped, the gaps first, the page without the
 * panel when no --against was given.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { coverageSection } from '../../src/importers/report-coverage.js';
import { DEFAULT_FIELDS } from '../../src/reconcile/compare.js';
import { expandInputs, readReports } from '../../src/reconcile/read.js';
import { runReconciliation } from '../../src/reconcile/run.js';
import type { BreakdownCell } from '../../src/reconcile/summary.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-report-coverage-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const T = Date.UTC(2025, 8, 12) / 1000;
const result = (model: string, input: number) => ({ object: 'organization.usage.completions.result', input_tokens: input, output_tokens: 0, input_cached_tokens: 0, num_model_requests: 1, model });
const cell = (model: string, input: number): BreakdownCell => ({
  date: '2025-09-12',
  provider: 'openai',
  model,
  payloads: 1,
  partial: 0,
  requests: 1,
  inputTokens: input,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  estimatedUsd: 0,
  estimatedUsdNotFinal: 0,
  unpricedPayloads: 0,
});

async function panel(results: object[], breakdown: BreakdownCell[]): Promise<string> {
  const page = join(tmp, `usage-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(page, JSON.stringify({ object: 'page', data: [{ object: 'bucket', start_time: T, end_time: T + 86_400, results }], has_more: false, next_page: null }));
  const { reports } = await expandInputs([], [page]);
  const doc = await runReconciliation(await readReports(reports, {}), { name: 'import', breakdown }, { catalog: builtinCatalog(), fields: DEFAULT_FIELDS, range: {}, tolerancePct: 1 });
  return coverageSection(doc);
}

describe('the coverage panel', () => {
  it('escapes every value (a model id is the source\'s text)', async () => {
    const html = await panel([result('<img src=x onerror=alert(1)>', 10)], [cell('<img src=x onerror=alert(1)>', 10)]);
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;img');
  });

  it('gaps first, worst first; one-sided rows named; the verdict on top', async () => {
    const html = await panel([result('gpt-4o', 100), result('gpt-4o-mini', 100), result('o3', 40)], [cell('gpt-4o', 100), cell('gpt-4o-mini', 10), cell('gpt-4-1', 5)]);
    const order = [...html.matchAll(/<tr class="([a-z-]+)"><td class="mark">.<\/td><td class="date">[\d-]+<\/td><td class="name">([^<]+)</g)].map((m) => `${m[2]} ${m[1]}`);
    expect(order).toEqual(['gpt-4o-mini gap', 'o3 reported-not-imported', 'gpt-4-1 imported-not-reported', 'gpt-4o match']);
    expect(html).toContain('imported but not reported: 1 · reported but not imported: 1');
    expect(html).toMatch(/<p class="verdict bad" id="coverage-verdict">✖ 3 of 4 rows outside ±1% on 2025-09-12; worst: 2025-09-12 gpt-4o-mini/);
  });
});
