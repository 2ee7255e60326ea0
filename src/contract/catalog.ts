/**
 * The provider/model catalog: a dated snapshot shipped with the tool (catalog-snapshot.ts),
 * optionally replaced by a user file (--catalog, or the cache `catalog --fetch` writes).
 *
 * Model names from logs are mapped to catalog ids by explicit rules (see MAPPING_RULES),
 * never by substring guessing; an unmapped name stays as logged and counts as unknown.
 */
import { SNAPSHOT_DATE, SNAPSHOT_ROWS, type SnapshotRow } from './catalog-snapshot.js';

export interface CatalogEntry {
  provider: string;
  model: string;
  inputPer1M: number | null;
  outputPer1M: number | null;
  cacheReadPer1M: number | null;
  cacheWritePer1M: number | null;
  source: string;
}

export interface ModelResolution {
  model: string;
  /** Which mapping rule produced `model` ("exact" when the name was already a catalog id). */
  rule: MappingRule;
}

export type MappingRule = 'exact' | 'case' | 'route-prefix' | 'version-suffix' | 'dots-to-hyphens' | 'date-suffix' | 'bedrock-region';

/** Provider spellings seen in logs → catalog provider id. */
const PROVIDER_ALIASES: Record<string, string> = {
  'open-ai': 'openai',
  azure: 'azure-openai',
  azure_openai: 'azure-openai',
  bedrock: 'aws-bedrock',
  'amazon-bedrock': 'aws-bedrock',
  aws: 'aws-bedrock',
  gemini: 'google',
  vertex_ai: 'google',
  'vertex-ai': 'google',
  'google-ai-studio': 'google',
  'x-ai': 'xai',
  mistralai: 'mistral',
};

const SUGGESTIONS_LIMIT = 10_000;
/** Providers whose ids keep their dots (namespace separators, vendor slugs). */
const KEEP_DOTS = new Set(['aws-bedrock', 'openrouter']);

/**
 * Opsmeter's spelling of a vendor model id under a catalog provider: lower case, and dots
 * as hyphens ("gpt-4.1" → "gpt-4-1") except where dots separate namespaces (Bedrock) or
 * are part of a vendor slug (OpenRouter). The catalog's dots rule, the snapshot generator
 * (scripts/build-catalog.mjs) and the price lookup (src/prices/) all use this one rule.
 */
export function catalogSpelling(provider: string, id: string): string {
  const m = id.trim().toLowerCase();
  return KEEP_DOTS.has(provider) ? m : m.replace(/\./g, '-');
}
const DATE_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{8})$/;

/**
 * An id without its dated snapshot suffix ("gpt-4o-mini-2024-07-18" → "gpt-4o-mini",
 * "claude-sonnet-4-20250514" → "claude-sonnet-4"): the model family, which is where the
 * catalog's date-suffix rule maps a dated name, and how `opsmeter reconcile` matches a
 * provider report's dated ids to payloads logged under the alias.
 */
export function withoutDateSuffix(id: string): string {
  return id.replace(DATE_SUFFIX, '');
}

const BEDROCK_REGION = /^(?:us|eu|apac|ap|us-gov|global|ca|jp|au)\./;

export class Catalog {
  readonly date: string;
  readonly source: string;
  /** provider → model → entry (nested maps: no key string built per lookup on the hot path). */
  private readonly byProvider = new Map<string, Map<string, CatalogEntry>>();
  private readonly modelsByProvider = new Map<string, string[]>();

  constructor(rows: Iterable<CatalogEntry>, date: string, source: string) {
    this.date = date;
    this.source = source;
    for (const e of rows) {
      let models = this.byProvider.get(e.provider);
      if (!models) this.byProvider.set(e.provider, (models = new Map()));
      models.set(e.model, e);
      let list = this.modelsByProvider.get(e.provider);
      if (!list) this.modelsByProvider.set(e.provider, (list = []));
      list.push(e.model);
    }
  }

  get size(): number {
    let n = 0;
    for (const m of this.byProvider.values()) n += m.size;
    return n;
  }

  providers(): string[] {
    return [...this.modelsByProvider.keys()].sort();
  }

  list(): CatalogEntry[] {
    return [...this.byProvider.values()].flatMap((m) => [...m.values()]);
  }

  hasProvider(provider: string): boolean {
    return this.modelsByProvider.has(provider);
  }

  get(provider: string, model: string): CatalogEntry | undefined {
    return this.byProvider.get(provider)?.get(model);
  }

  private has(provider: string, model: string): boolean {
    return this.byProvider.get(provider)?.has(model) === true;
  }

  /** Map a provider name from a log to a catalog provider id (or undefined). */
  resolveProvider(provider: string): string | undefined {
    if (this.modelsByProvider.has(provider)) return provider;
    const p = provider.trim().toLowerCase();
    if (this.modelsByProvider.has(p)) return p;
    const alias = PROVIDER_ALIASES[p];
    return alias && this.modelsByProvider.has(alias) ? alias : undefined;
  }

  /**
   * Map a logged model name to a catalog id by explicit rules, applied in order, each on
   * the result of the previous one; the first catalog hit wins. Undefined when no rule hits.
   */
  resolveModel(provider: string, logged: string): ModelResolution | undefined {
    if (this.has(provider, logged)) return { model: logged, rule: 'exact' };
    let m = logged.trim().toLowerCase();
    if (this.has(provider, m)) return { model: m, rule: 'case' };
    const slash = m.lastIndexOf('/');
    if (slash >= 0 && provider !== 'openrouter') {
      // "openai/gpt-4o", "models/gemini-1.5-pro", "azure/eu/gpt-4o" → last segment.
      m = m.slice(slash + 1);
      if (this.has(provider, m)) return { model: m, rule: 'route-prefix' };
    }
    const at = m.indexOf('@');
    if (at > 0 && provider !== 'aws-bedrock') {
      // Vertex AI model versions: "gemini-2.0-flash-001@default" → "gemini-2.0-flash-001".
      m = m.slice(0, at);
      if (this.has(provider, m)) return { model: m, rule: 'version-suffix' };
    }
    if (provider === 'aws-bedrock') {
      const bare = m.replace(BEDROCK_REGION, '');
      if (bare !== m && this.has(provider, bare)) return { model: bare, rule: 'bedrock-region' };
      return undefined;
    }
    if (!KEEP_DOTS.has(provider) && m.includes('.')) {
      m = catalogSpelling(provider, m);
      if (this.has(provider, m)) return { model: m, rule: 'dots-to-hyphens' };
    }
    const undated = withoutDateSuffix(m);
    if (undated !== m && this.has(provider, undated)) return { model: undated, rule: 'date-suffix' };
    return undefined;
  }

  /**
   * "Did you mean" answers, remembered: lint asks once per payload, and an edit-distance
   * scan per row of a million-row file is measurable. Bounded (a file of a million distinct
   * unknown names costs lookups, not memory).
   */
  private readonly modelSuggestions = new Map<string, Map<string, string | undefined>>();
  private readonly providerSuggestions = new Map<string, string | undefined>();
  private suggestionCount = 0;

  private remember<K>(map: Map<K, string | undefined> | undefined, key: K, compute: () => string | undefined): string | undefined {
    if (map?.has(key)) return map.get(key);
    const s = compute();
    if (map && this.suggestionCount < SUGGESTIONS_LIMIT) {
      map.set(key, s);
      this.suggestionCount++;
    }
    return s;
  }

  /** A "did you mean" for an unknown model: a rule-based mapping first, else the nearest id. */
  suggestModel(provider: string, model: string): string | undefined {
    let byModel = this.modelSuggestions.get(provider);
    if (!byModel && this.suggestionCount < SUGGESTIONS_LIMIT) this.modelSuggestions.set(provider, (byModel = new Map()));
    return this.remember(byModel, model, () => {
      const mapped = this.resolveModel(provider, model);
      if (mapped && mapped.model !== model) return mapped.model;
      return nearest(model.toLowerCase(), this.modelsByProvider.get(provider) ?? [], 3);
    });
  }

  suggestProvider(provider: string): string | undefined {
    return this.remember(this.providerSuggestions, provider, () => {
      const r = this.resolveProvider(provider);
      if (r && r !== provider) return r;
      return nearest(provider.toLowerCase(), this.providers(), 2);
    });
  }

  /** Estimated USD cost; undefined when the model or a needed price is unknown. */
  estimateUsd(provider: string, model: string, usage: UsageForCost): number | undefined {
    const e = this.get(provider, model);
    if (!e || e.inputPer1M === null || e.outputPer1M === null) return undefined;
    const cacheRead = usage.cacheReadTokens ?? 0;
    const cacheWrite = usage.cacheWriteTokens ?? 0;
    const plainInput = Math.max(0, (usage.inputTokens ?? 0) - cacheRead - cacheWrite);
    const cost =
      plainInput * e.inputPer1M +
      cacheRead * (e.cacheReadPer1M ?? e.inputPer1M) +
      cacheWrite * (e.cacheWritePer1M ?? e.inputPer1M) +
      (usage.outputTokens ?? 0) * e.outputPer1M;
    return cost / 1_000_000;
  }
}

export interface UsageForCost {
  inputTokens?: number;
  outputTokens?: number;
  /** Part of inputTokens billed at the cache-read price. */
  cacheReadTokens?: number;
  /** Part of inputTokens billed at the cache-write price. */
  cacheWriteTokens?: number;
}


function rowToEntry(r: SnapshotRow): CatalogEntry {
  return {
    provider: r[0],
    model: r[1],
    inputPer1M: r[2],
    outputPer1M: r[3],
    cacheReadPer1M: r[4],
    cacheWritePer1M: r[5],
    source: r[6],
  };
}

let builtin: Catalog | undefined;
export function builtinCatalog(): Catalog {
  builtin ??= new Catalog(SNAPSHOT_ROWS.map(rowToEntry), SNAPSHOT_DATE, 'built-in snapshot');
  return builtin;
}

/**
 * Parse a catalog file: either opsmeter's own format `{date?, models:[{provider, model, ...}]}`
 * or a bare array of such entries (the shape `catalog --fetch` caches).
 */
export function catalogFromJson(value: unknown, origin: string): Catalog {
  const obj = value as { date?: unknown; asOf?: unknown; models?: unknown } | unknown[];
  const list = Array.isArray(obj) ? obj : Array.isArray(obj?.models) ? obj.models : undefined;
  if (!list) throw new Error(`${origin}: expected an array of {provider, model} entries or {"models": [...]}`);
  const entries: CatalogEntry[] = [];
  list.forEach((raw, i) => {
    const r = raw as Record<string, unknown>;
    if (typeof r?.provider !== 'string' || typeof r.model !== 'string') {
      throw new Error(`${origin}: entry ${i} needs string "provider" and "model"`);
    }
    // Absent or null: price unknown. Anything else must be a real price: a negative one would
    // make estimates shrink, and 1e400 (Infinity once parsed) would make them meaningless.
    const num = (field: string, v: unknown): number | null => {
      if (v === undefined || v === null) return null;
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
      throw new Error(`${origin}: entry ${i} (${r.provider}/${r.model}): ${field} must be a price in USD per 1M tokens, 0 or more, or null when unknown; got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`);
    };
    entries.push({
      provider: r.provider,
      model: r.model,
      inputPer1M: num(r.inputPer1M !== undefined ? 'inputPer1M' : 'inputPrice', r.inputPer1M ?? r.inputPrice),
      outputPer1M: num(r.outputPer1M !== undefined ? 'outputPer1M' : 'outputPrice', r.outputPer1M ?? r.outputPrice),
      cacheReadPer1M: num('cacheReadPer1M', r.cacheReadPer1M),
      cacheWritePer1M: num('cacheWritePer1M', r.cacheWritePer1M),
      source: typeof r.source === 'string' ? r.source : origin,
    });
  });
  const o = Array.isArray(obj) ? undefined : obj;
  const date = typeof o?.date === 'string' ? o.date : typeof o?.asOf === 'string' ? o.asOf : 'unknown date';
  return new Catalog(entries, date, origin);
}

const digitsOf = (s: string) => s.replace(/\D/g, '');

/**
 * Nearest candidate by edit distance, if within maxDistance. Candidates whose digits differ
 * are never suggested: "gpt-4o-mini" is two edits from "gpt-5-mini", but a changed version
 * number names a different model at a different price, not a typo.
 */
function nearest(word: string, candidates: readonly string[], maxDistance: number): string | undefined {
  let best: string | undefined;
  let bestD = maxDistance + 1;
  const digits = digitsOf(word);
  for (const c of candidates) {
    if (Math.abs(c.length - word.length) >= bestD) continue;
    if (digitsOf(c) !== digits) continue;
    const d = levenshtein(word, c, bestD);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function levenshtein(a: string, b: string, cap: number): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= cap) return cap;
    prev = cur;
  }
  return prev[b.length]!;
}
