/**
 * Made-up but plausible payloads, the one generator behind `send --test` / `send --demo`
 * (ingest/generate.ts) and the emulator's empty-body `POST /v1/ingest/demo`
 * (emulator/demo.ts): provider and model drawn from the catalog by how often a typical
 * workspace calls them, product features with their prompt versions, log-uniform token
 * counts, latency that grows with the output. Every value comes from the Random given, so
 * the same seed gives the same events. A failed provider call (demo mode only, 5 %) is a
 * partial row: its usage is unknown, so token counts are omitted, never sent as 0.
 */
import type { Catalog } from './catalog.js';
import type { Environment, Payload } from './fields.js';
import type { Random } from './random.js';

export type FakeMode = 'test' | 'demo';
export type FakeModel = readonly [provider: string, model: string, weight: number];

/** Models a typical workspace calls, with how often (weights); those missing from the catalog are dropped. */
const MODEL_MIX: readonly FakeModel[] = [
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

/** The models to draw from: the usual mix where the catalog has it, else its first (priced) entries; [] for an empty catalog. */
export function fakeModels(catalog: Catalog): FakeModel[] {
  const mix = MODEL_MIX.filter(([p, m]) => catalog.get(p, m) !== undefined);
  if (mix.length > 0) return mix;
  const priced = catalog.list().filter((e) => e.inputPer1M !== null).slice(0, 5);
  const any = priced.length > 0 ? priced : catalog.list().slice(0, 5);
  return any.map((e) => [e.provider, e.model, 1] as const);
}

/** A pool of hashed-looking user ids for generated rows to share. */
export function fakeUsers(r: Random, count = 25): string[] {
  return Array.from({ length: count }, () => 'u_' + Math.floor(r() * 0xffffffff).toString(16).padStart(8, '0'));
}

export interface FakeFields {
  mode: FakeMode;
  externalRequestId: string;
  environment: Environment;
  /** Drawn from for userId. */
  users: readonly string[];
}

const logUniform = (r: Random, lo: number, hi: number) => Math.round(Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo))));

/** One payload; `models` must not be empty (see fakeModels). */
export function fakePayload(r: Random, models: readonly FakeModel[], f: FakeFields): Payload {
  let w = r() * models.reduce((s, m) => s + m[2], 0);
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
  const userId = f.users[Math.floor(r() * f.users.length)]!;
  const failed = f.mode === 'demo' && r() < 0.05;
  const common = { externalRequestId: f.externalRequestId, provider: pick[0], model: pick[1], promptVersion, endpointTag };
  return failed
    ? {
        ...common,
        latencyMs: Math.round(latencyMs / 3),
        status: 'error',
        errorCode: 'provider_timeout',
        userId,
        dataMode: f.mode,
        environment: f.environment,
        metadata: { usageStatus: 'partial', partialReason: 'request_failed' },
      }
    : {
        ...common,
        inputTokens,
        outputTokens,
        totalTokens: inputTokens + outputTokens,
        latencyMs,
        status: 'success',
        errorCode: null,
        userId,
        dataMode: f.mode,
        environment: f.environment,
      };
}
