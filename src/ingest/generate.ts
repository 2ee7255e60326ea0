/**
 * Generated events for `send --test` / `send --demo`: realistic provider, model, token and
 * latency values drawn from the catalog, a unique externalRequestId per event, and
 * dataMode test/demo so they can never count as production usage. The same seed gives
 * the same events (ids included), which is what lets a journalled run resume.
 */
import type { Catalog } from '../contract/catalog.js';
import type { Environment, Payload } from '../contract/fields.js';
import type { SendItem } from './sender.js';

export type GeneratedMode = 'test' | 'demo';

export interface GenerateOptions {
  mode: GeneratedMode;
  count: number;
  catalog: Catalog;
  /** Any string; the same seed yields the same events. */
  seed: string;
  environment?: Environment;
}

/** Models a typical workspace calls, with how often (weights); those missing from the catalog are dropped. */
const MODEL_MIX: ReadonlyArray<readonly [provider: string, model: string, weight: number]> = [
  ['openai', 'gpt-4o-mini', 35],
  ['openai', 'gpt-4-1-mini', 15],
  ['openai', 'gpt-4o', 10],
  ['openai', 'gpt-4-1', 8],
  ['anthropic', 'claude-3-5-haiku-20241022', 10],
  ['anthropic', 'claude-3-5-sonnet-20241022', 10],
  ['anthropic', 'claude-sonnet-4-20250514', 5],
  ['google', 'gemini-2-0-flash', 7],
];

/** Product features and their current prompt versions. */
const FEATURES: ReadonlyArray<readonly [endpointTag: string, promptVersion: string]> = [
  ['checkout.ai_summary', 'summary_v3'],
  ['support.reply', 'reply_v7'],
  ['invoice.extract', 'extract_v2'],
  ['search.rerank', 'rerank_v1'],
];

/** mulberry32: tiny, fast, good enough for test data. */
export function prng(seed: string): () => number {
  let a = hash32(seed);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, 32 bit. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A fresh random seed (printed in the summary so a run can be repeated or resumed). */
export function randomSeed(): string {
  return Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
}

function pickModels(catalog: Catalog): Array<readonly [string, string, number]> {
  const mix = MODEL_MIX.filter(([p, m]) => catalog.get(p, m) !== undefined);
  if (mix.length > 0) return mix;
  // A custom catalog without any of the usual models: use its first priced entries.
  const priced = catalog.list().filter((e) => e.inputPer1M !== null).slice(0, 5);
  const any = priced.length > 0 ? priced : catalog.list().slice(0, 5);
  if (any.length === 0) throw new Error('the catalog is empty; cannot generate events');
  return any.map((e) => [e.provider, e.model, 1] as const);
}

const logUniform = (r: () => number, lo: number, hi: number) => Math.round(Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo))));

/** Lazily generated events (flat memory for any --count). */
export function* generateEvents(opts: GenerateOptions): Generator<SendItem> {
  const r = prng(opts.seed);
  const models = pickModels(opts.catalog);
  const totalWeight = models.reduce((s, m) => s + m[2], 0);
  const run = hash32('run:' + opts.seed).toString(16).padStart(8, '0');
  const environment: Environment = opts.environment ?? (opts.mode === 'test' ? 'staging' : 'dev');
  const users = Array.from({ length: 25 }, () => 'u_' + Math.floor(r() * 0xffffffff).toString(16).padStart(8, '0'));
  for (let i = 1; i <= opts.count; i++) {
    let w = r() * totalWeight;
    let pick = models[0]!;
    for (const m of models) {
      w -= m[2];
      if (w < 0) {
        pick = m;
        break;
      }
    }
    const [endpointTag, promptVersion] = FEATURES[Math.floor(r() * FEATURES.length)]!;
    const inputTokens = logUniform(r, 80, 6000);
    const outputTokens = logUniform(r, 20, 1200);
    const latencyMs = Math.round(250 + outputTokens * (8 + r() * 17) + inputTokens * 0.05);
    const userId = users[Math.floor(r() * users.length)]!;
    const failed = opts.mode === 'demo' && r() < 0.05;
    const p: Payload = failed
      ? {
          // A failed provider call still produces a row; its usage is unknown, so it is partial.
          externalRequestId: `ext_${opts.mode}_${run}_${i}`,
          provider: pick[0],
          model: pick[1],
          promptVersion,
          endpointTag,
          latencyMs: Math.round(latencyMs / 3),
          status: 'error',
          errorCode: 'provider_timeout',
          userId,
          dataMode: opts.mode,
          environment,
          metadata: { usageStatus: 'partial', partialReason: 'request_failed' },
        }
      : {
          externalRequestId: `ext_${opts.mode}_${run}_${i}`,
          provider: pick[0],
          model: pick[1],
          promptVersion,
          endpointTag,
          inputTokens,
          outputTokens,
          totalTokens: inputTokens + outputTokens,
          latencyMs,
          status: 'success',
          errorCode: null,
          userId,
          dataMode: opts.mode,
          environment,
        };
    yield { value: p, where: `generated #${i}` };
  }
}
