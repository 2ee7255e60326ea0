/**
 * `catalog --fetch`: GET /v1/public/pricing-models and turn the answer into opsmeter's
 * catalog file format ({date, source, models:[{provider, model, inputPer1M, ...}]}),
 * which `catalogFromJson` reads and `loadCatalog` prefers once cached.
 *
 * The real endpoint's JSON shape is not documented (docs/api-facts.md §4). Accepted: a bare
 * array of entries, or an object holding one under `models`, `data`, `items`,
 * `pricingModels` or `results`; entries need string `provider` and `model` (or
 * `providerId`/`modelId`/`modelName`). Anything else is refused with a message saying
 * what was found, and the existing cache is left alone.
 */
import type { CatalogEntry } from '../contract/catalog.js';
import type { ApiClient } from './client.js';
import { DEFAULT_POLICY, requestWithRetries, type RetryPolicy } from './retry.js';

const PRICING_PATH = '/v1/public/pricing-models';

export class PricingShapeError extends Error {}

/** A catalog entry as cached by `catalog --fetch`: the contract's entry plus its price date. */
export interface CatalogFileEntry extends CatalogEntry {
  effectiveFrom?: string;
}

export interface CatalogFile {
  date: string;
  source: string;
  fetchedAt: string;
  models: CatalogFileEntry[];
}

const LIST_KEYS = ['models', 'data', 'items', 'pricingModels', 'results'] as const;

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
/** A price as the server sends it; absent → null (unknown). A negative or non-numeric one is refused, not guessed. */
function price(where: string, v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d+(?:\.\d+)?$/.test(v.trim())) return Number(v);
  throw new PricingShapeError(`${where} has a price that is not a number 0 or more: ${JSON.stringify(v) ?? String(v)}`);
}
const first = (e: Obj, keys: readonly string[]): unknown => {
  for (const k of keys) if (e[k] !== undefined && e[k] !== null) return e[k];
  return undefined;
};

function describeShape(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return `an object with keys ${Object.keys(v as Obj).slice(0, 8).map((k) => `"${k}"`).join(', ') || '(none)'}`;
  return `a ${typeof v}`;
}

export function normalizePricing(value: unknown, sourceUrl: string, fetchedAt: Date): CatalogFile {
  let list: unknown[] | undefined;
  let meta: Obj = {};
  if (Array.isArray(value)) list = value;
  else if (typeof value === 'object' && value !== null) {
    meta = value as Obj;
    for (const k of LIST_KEYS) {
      if (Array.isArray(meta[k])) {
        list = meta[k] as unknown[];
        break;
      }
    }
  }
  if (!list) {
    throw new PricingShapeError(`the pricing response is ${describeShape(value)}; expected an array of models or an object with one of ${LIST_KEYS.map((k) => `"${k}"`).join(', ')}`);
  }
  if (list.length === 0) throw new PricingShapeError('the pricing response lists no models');
  const date = str(meta.date) ?? str(meta.asOf) ?? str(meta.updatedAt);
  let latestEffective: string | undefined;
  const models = list.map((raw, i): CatalogFileEntry => {
    const e = (typeof raw === 'object' && raw !== null ? raw : {}) as Obj;
    const providerObj = typeof e.provider === 'object' && e.provider !== null ? (e.provider as Obj) : undefined;
    const provider = str(e.provider) ?? str(e.providerId) ?? str(providerObj?.id) ?? str(providerObj?.name);
    const model = str(e.model) ?? str(e.modelId) ?? str(e.modelName);
    if (!provider || !model) {
      throw new PricingShapeError(`pricing entry ${i} has no string "provider" and "model" (it is ${describeShape(raw)})`);
    }
    const effectiveFrom = str(e.effectiveFrom) ?? str(e.effectiveDate);
    if (effectiveFrom && (!latestEffective || effectiveFrom > latestEffective)) latestEffective = effectiveFrom;
    const at = `pricing entry ${i} (${provider}/${model})`;
    const entry: CatalogFileEntry = {
      provider,
      model,
      inputPer1M: price(at, first(e, ['inputPer1M', 'inputPrice', 'inputPricePer1M', 'inputPerMillion', 'inputCostPer1M'])),
      outputPer1M: price(at, first(e, ['outputPer1M', 'outputPrice', 'outputPricePer1M', 'outputPerMillion', 'outputCostPer1M'])),
      cacheReadPer1M: price(at, first(e, ['cacheReadPer1M', 'cachedInputPrice', 'cacheReadPrice'])),
      cacheWritePer1M: price(at, first(e, ['cacheWritePer1M', 'cacheWritePrice'])),
      source: str(e.source) ?? sourceUrl,
    };
    if (effectiveFrom) entry.effectiveFrom = effectiveFrom;
    return entry;
  });
  return {
    date: date ?? latestEffective?.slice(0, 10) ?? fetchedAt.toISOString().slice(0, 10),
    source: sourceUrl,
    fetchedAt: fetchedAt.toISOString(),
    models,
  };
}

export type PricingFetch = { ok: true; file: CatalogFile } | { ok: false; message: string; hint?: string };

export async function fetchPricing(client: ApiClient, policy: RetryPolicy = DEFAULT_POLICY, now = () => new Date()): Promise<PricingFetch> {
  const url = client.url(PRICING_PATH);
  const r = await requestWithRetries(policy, 'json', () => client.get(PRICING_PATH));
  const { text } = r;
  const v = r.last;
  if (v.kind !== 'accepted') {
    const why = v.kind === 'throttled' || v.kind === 'failed' || v.kind === 'not-api' ? (r.why ?? v.kind) : `HTTP ${v.status}: ${v.message}`;
    return { ok: false, message: `could not fetch ${url}: ${why}`, hint: v.kind === 'rejected' ? v.hint : undefined };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: `${url} did not return JSON` };
  }
  try {
    return { ok: true, file: normalizePricing(value, url, now()) };
  } catch (e) {
    if (e instanceof PricingShapeError) return { ok: false, message: `${url}: ${e.message}`, hint: 'the cached catalog was left unchanged; please report this response shape' };
    throw e;
  }
}
