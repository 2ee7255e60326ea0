/**
 * An import's `--summary-json` as the imported side: its `breakdown[]` (payloads summed per UTC
 * day × provider × model × endpointTag, docs/import.md "The breakdown") read into cells of
 * reconcile's measures. The summary has whole days and no project / API key / workspace, so
 * the comparison is per day × model (docs/reconcile.md "An import's summary").
 */
import type { Figures } from './compare.js';
import type { BreakdownRow } from '../importers/import-summary.js';

/** One breakdown cell in reconcile's measures (the endpointTags of a day × provider × model are summed by the collector). */
export interface ImportedCell {
  /** UTC date; null: payloads without createdAt. */
  date: string | null;
  provider: string;
  model: string;
  payloads: number;
  partial: number;
  unpriced: number;
  /** The usage measures (requests, input, cachedInput, cacheWrite, output) and the estimate (usd). */
  usage: Required<Pick<Figures, 'requests' | 'input' | 'cachedInput' | 'cacheWrite' | 'output'>>;
  usd: number;
}

/** The fields of a breakdown cell (src/importers/import-summary.ts BreakdownRow) reconcile reads. */
export type BreakdownCell = Pick<BreakdownRow, 'date' | 'provider' | 'model' | 'payloads' | 'partial' | 'requests' | 'inputTokens' | 'cachedInputTokens' | 'cacheWriteTokens' | 'outputTokens' | 'estimatedUsd' | 'estimatedUsdNotFinal' | 'unpricedPayloads'>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const COUNTS = ['payloads', 'partial', 'requests', 'inputTokens', 'cachedInputTokens', 'cacheWriteTokens', 'outputTokens', 'unpricedPayloads'] as const;

/** A cell in reconcile's measures: usd is the complete payloads' estimate and the partial ones' known tokens (null as 0; unpricedPayloads counted apart). */
export function importedCell(c: BreakdownCell): ImportedCell {
  return {
    date: c.date,
    provider: c.provider,
    model: c.model,
    payloads: c.payloads,
    partial: c.partial,
    unpriced: c.unpricedPayloads,
    usage: { requests: c.requests, input: c.inputTokens, cachedInput: c.cachedInputTokens, cacheWrite: c.cacheWriteTokens, output: c.outputTokens },
    usd: (c.estimatedUsd ?? 0) + (c.estimatedUsdNotFinal ?? 0),
  };
}

/**
 * The breakdown of a summary record, checked cell by cell: a summary written before the
 * breakdown existed, or a cell that is not one, is a message (the caller names the file).
 */
export function breakdownOf(summary: Obj): { cells: BreakdownCell[] } | { error: string; hint?: string } {
  const b = summary.breakdown;
  if (!Array.isArray(b)) {
    return {
      error: 'this import summary (--summary-json) has no breakdown[]: an older opsmeter wrote it, without per-day figures by model to compare',
      hint: 're-run the import with this opsmeter (opsmeter import … --summary-json summary.json), or reconcile the payload file it wrote',
    };
  }
  for (let i = 0; i < b.length; i++) {
    const c: unknown = b[i];
    const wrong = (what: string) => ({ error: `breakdown[${i}]: ${what}`, hint: 'reconcile reads the --summary-json an import wrote, unchanged' });
    if (!isObj(c)) return wrong('not an object');
    if (!(c.date === null || (typeof c.date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(c.date)))) return wrong(`"date" must be a UTC date YYYY-MM-DD or null, got ${JSON.stringify(c.date)}`);
    if (typeof c.provider !== 'string' || typeof c.model !== 'string') return wrong('"provider" and "model" must be strings');
    for (const f of COUNTS) {
      const n = c[f];
      if (!(typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) return wrong(`"${f}" must be a whole number ≥ 0, got ${JSON.stringify(n)}`);
    }
    for (const f of ['estimatedUsd', 'estimatedUsdNotFinal'] as const) {
      const n = c[f];
      if (!(n === null || (typeof n === 'number' && Number.isFinite(n) && n >= 0))) return wrong(`"${f}" must be a dollar amount ≥ 0 or null, got ${JSON.stringify(n)}`);
    }
  }
  return { cells: b as BreakdownCell[] };
}
