/**
 * Where cost estimates come from: @pydantic/genai-prices (MIT, maintained; bundled price
 * data with each model's price history and the vendors' model-matching rules). Every figure
 * opsmeter shows is that library's `calcPrice()`; this module only maps opsmeter's ids to the
 * library's (by the explicit rules below), names the source and its date, and is loaded only
 * by the commands that price (import, catalog, smoke) — never by validate or send.
 * docs/import.md § "Cost estimates" is the user-facing account of all of this.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { calcPrice, waitForUpdate, type MatchLogic, type ModelInfo, type ModelPrice, type PriceCalculation, type Provider } from '@pydantic/genai-prices';
import { catalogSpelling } from '../contract/catalog.js';
import { LIBRARY_RELEASES } from './releases.js';

const LIBRARY = '@pydantic/genai-prices';

/**
 * Opsmeter provider id (catalog id, or a spelling logs use) → the library's provider id.
 * Explicit on purpose: the library's own fallback matches provider names by substring, which
 * would price "azure-openai" as OpenAI and any "*-bedrock" as AWS; here a provider that no
 * rule names is priced only when it is spelled exactly as a library provider id.
 */
export const PROVIDER_RULES: Readonly<Record<string, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  // Azure OpenAI: the library's azure provider, which prices OpenAI models it lacks at OpenAI's list price.
  'azure-openai': 'azure',
  azure: 'azure',
  // Bedrock: regional ids (us./eu./apac.… and none) and global. ids are told apart by the model id.
  'aws-bedrock': 'aws',
  bedrock: 'aws',
  // The Gemini API and Vertex AI (Gemini, and Claude on Vertex) are one library provider.
  google: 'google',
  gemini: 'google',
  vertex: 'google',
  'vertex-ai': 'google',
  vertex_ai: 'google',
  xai: 'x-ai',
  'x-ai': 'x-ai',
  mistral: 'mistral',
  groq: 'groq',
  deepseek: 'deepseek',
  openrouter: 'openrouter',
  cohere: 'cohere',
  together: 'together',
  together_ai: 'together',
  fireworks: 'fireworks',
  perplexity: 'perplexity',
  cerebras: 'cerebras',
  moonshot: 'moonshotai',
  moonshotai: 'moonshotai',
};

/** Library provider id → the opsmeter catalog provider id used for it (the first rule naming it). */
export function catalogProviderFor(libraryProvider: string): string {
  for (const [ops, lib] of Object.entries(PROVIDER_RULES)) if (lib === libraryProvider) return ops;
  return libraryProvider;
}

/** The library's Bedrock ids for "any regional prefix, or none" start with this. */
const BEDROCK_REGIONAL = 'regional.';

/**
 * The ids a library model is known by in opsmeter's spelling: its id and the exact names its
 * match rule lists (a Bedrock `regional.` id also without that prefix, which is how logs and
 * the catalog spell it). Used by the snapshot generator and by the lookup index below.
 */
export function catalogIdsOf(libraryProvider: string, model: ModelInfo): string[] {
  const provider = catalogProviderFor(libraryProvider);
  const ids = new Set<string>();
  const add = (s: string) => ids.add(catalogSpelling(provider, s));
  if (libraryProvider === 'aws' && model.id.startsWith(BEDROCK_REGIONAL)) add(model.id.slice(BEDROCK_REGIONAL.length));
  add(model.id);
  for (const e of exactNames(model.match)) add(e);
  return [...ids];
}

function exactNames(m: MatchLogic): string[] {
  if ('equals' in m) return [m.equals];
  if ('or' in m) return m.or.flatMap(exactNames);
  return [];
}

/** Names to ask the library for a model: the ones above in its own spelling, then prefixes it matches on. */
function libraryNamesOf(libraryProvider: string, model: ModelInfo): string[] {
  const names: string[] = [];
  if (libraryProvider === 'aws' && model.id.startsWith(BEDROCK_REGIONAL)) names.push(model.id.slice(BEDROCK_REGIONAL.length));
  names.push(model.id, ...exactNames(model.match));
  const prefixes = (m: MatchLogic): string[] => ('starts_with' in m ? [m.starts_with] : 'or' in m ? m.or.flatMap(prefixes) : []);
  names.push(...prefixes(model.match));
  return names;
}

/** A model the library prices, in the library's ids. */
export interface PriceRef {
  /** Library provider id (`providerId` for calcPrice). */
  provider: string;
  /** The name passed to calcPrice; the library resolves it to `info`. */
  model: string;
  info: ModelInfo;
}

export interface PriceSourceInfo {
  /** "@pydantic/genai-prices 0.1.8" */
  source: string;
  version: string;
  /** YYYY-MM-DD: the release date of that version (its data's date), else the newest price change in its data. */
  dataDate: string;
  dataDateBasis: 'release' | 'newest-price-change';
}

const ZERO = { input_tokens: 0, output_tokens: 0 };

function libraryVersion(): string {
  // The package exports only its entry point, so its package.json is found next to it.
  const entry = createRequire(import.meta.url).resolve(LIBRARY);
  let dir = dirname(entry);
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === LIBRARY && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not this directory: go up one
    }
  }
  return 'unknown version';
}

/** The newest dated price change in the data that is not in the future. */
function newestPriceChange(providers: readonly Provider[], today: string): string {
  let newest = '';
  for (const p of providers) {
    for (const m of p.models) {
      if (!Array.isArray(m.prices)) continue;
      for (const c of m.prices) {
        const d = c.constraint && 'start_date' in c.constraint ? c.constraint.start_date : undefined;
        if (d && d <= today && d > newest) newest = d;
      }
    }
  }
  return newest || 'unknown';
}

/**
 * The library's price data with opsmeter's id rules on top. Resolutions are remembered (a
 * calcPrice lookup costs ~0.1 ms; a file holds few distinct models), bounded for files of
 * millions of distinct names.
 */
export class PriceBook {
  readonly info: PriceSourceInfo;
  private readonly providers: ReadonlyMap<string, Provider>;
  /** library provider → opsmeter-spelled id → model */
  private readonly index = new Map<string, Map<string, ModelInfo>>();
  private readonly resolved = new Map<string, PriceRef | null>();

  private constructor(providers: readonly Provider[], now: Date) {
    this.providers = new Map(providers.map((p) => [p.id, p]));
    const version = libraryVersion();
    const released = LIBRARY_RELEASES[version];
    this.info = {
      source: `${LIBRARY} ${version}`,
      version,
      dataDate: released ?? newestPriceChange(providers, now.toISOString().slice(0, 10)),
      dataDateBasis: released ? 'release' : 'newest-price-change',
    };
  }

  static async load(now = new Date()): Promise<PriceBook> {
    return new PriceBook((await waitForUpdate()) ?? [], now);
  }

  /** Every library provider and its models (the snapshot generator and `opsmeter catalog`). */
  libraryProviders(): Provider[] {
    return [...this.providers.values()];
  }

  /** Opsmeter provider id → library provider id, by PROVIDER_RULES or an exact library id. */
  libraryProvider(provider: string): string | undefined {
    const p = provider.trim().toLowerCase();
    const rule = PROVIDER_RULES[p];
    if (rule !== undefined) return rule;
    return this.providers.has(p) ? p : undefined;
  }

  private indexOf(libraryProvider: string): Map<string, ModelInfo> {
    let ix = this.index.get(libraryProvider);
    if (ix) return ix;
    ix = new Map();
    for (const m of this.providers.get(libraryProvider)?.models ?? []) {
      for (const id of catalogIdsOf(libraryProvider, m)) if (!ix.has(id)) ix.set(id, m);
    }
    this.index.set(libraryProvider, ix);
    return ix;
  }

  /**
   * The library model for an opsmeter (provider, model), trying the name as logged (the
   * vendor's own spelling, which the library's rules are written for) before the catalog id:
   * each name first as an opsmeter-spelled id of a library model ("gpt-4-1" is the library's
   * "gpt-4.1"), then as the library matches it (dated snapshots, regional Bedrock ids…).
   * Null when the library cannot price it.
   */
  resolve(provider: string, model: string, logged?: string): PriceRef | null {
    const key = `${provider}\u0000${model}\u0000${logged ?? ''}`;
    const hit = this.resolved.get(key);
    if (hit !== undefined) return hit;
    const ref = this.resolveUncached(provider, model, logged);
    if (this.resolved.size < 10_000) this.resolved.set(key, ref);
    return ref;
  }

  private resolveUncached(provider: string, model: string, logged?: string): PriceRef | null {
    const lib = this.libraryProvider(provider);
    if (!lib) return null;
    const spelling = catalogProviderFor(lib);
    const names = logged !== undefined && logged !== model ? [withoutRoute(lib, logged), model] : [model];
    for (const name of names) {
      if (name === '') continue;
      const known = this.indexOf(lib).get(catalogSpelling(spelling, name));
      if (known) {
        for (const n of libraryNamesOf(lib, known)) {
          const r = calcPrice(ZERO, n, { providerId: lib });
          if (r?.model.id === known.id) return { provider: lib, model: n, info: r.model };
        }
      }
      const r = calcPrice(ZERO, name, { providerId: lib });
      if (r) return { provider: lib, model: name, info: r.model };
    }
    return null;
  }

  /** calcPrice for a resolved model: the one call every figure goes through. */
  price(ref: PriceRef, usage: TokenUsage, at: Date): PriceCalculation | null {
    return calcPrice(libraryUsage(usage), ref.model, { providerId: ref.provider, timestamp: at });
  }

  /** The prices in force at `at` (for `opsmeter catalog`). */
  pricesAt(ref: PriceRef, at: Date): ModelPrice | undefined {
    return calcPrice(ZERO, ref.model, { providerId: ref.provider, timestamp: at })?.model_price;
  }
}

/** Token counts as opsmeter keeps them: `input` counts every input token, cache reads and writes included. */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** The library's usage keys: input_tokens is the total, cache reads/writes are partitions of it. */
function libraryUsage(u: TokenUsage): Record<string, number> {
  const usage: Record<string, number> = { input_tokens: u.input, output_tokens: u.output };
  if (u.cacheRead > 0) usage.cache_read_tokens = u.cacheRead;
  if (u.cacheWrite > 0) usage.cache_write_tokens = u.cacheWrite;
  return usage;
}

/** "openai/gpt-4o", "models/gemini-2.5-pro", a Bedrock ARN → the last segment (OpenRouter ids keep theirs). */
function withoutRoute(libraryProvider: string, name: string): string {
  if (libraryProvider === 'openrouter') return name;
  const slash = name.lastIndexOf('/');
  return slash >= 0 ? name.slice(slash + 1) : name;
}
