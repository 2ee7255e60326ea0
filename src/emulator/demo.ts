/**
 * `POST /v1/ingest/demo` "always writes demo rows with dataMode=demo". With an empty body the
 * emulator makes up one realistic row; with a payload it forces dataMode "demo".
 */
import { randomUUID } from 'node:crypto';
import type { Catalog } from '../contract/catalog.js';
import type { Payload } from '../contract/fields.js';
import { randomInt, type Random } from './prng.js';

/** Models demo rows are drawn from (the ones Opsmeter's own examples use), when in the catalog. */
const DEMO_MODELS: ReadonlyArray<readonly [string, string]> = [
  ['openai', 'gpt-4o-mini'],
  ['openai', 'gpt-4o'],
  ['openai', 'gpt-4-1-mini'],
  ['anthropic', 'claude-3-5-sonnet-20241022'],
  ['anthropic', 'claude-3-5-haiku-20241022'],
];
const DEMO_ENDPOINTS = ['checkout.ai_summary', 'support.reply', 'invoice.extract', 'search.rerank'];

export function demoModels(catalog: Catalog): ReadonlyArray<readonly [string, string]> {
  const known = DEMO_MODELS.filter(([p, m]) => catalog.get(p, m) !== undefined);
  if (known.length > 0) return known;
  // A custom catalog without those models: use its first priced entries.
  const priced = catalog.list().filter((e) => e.inputPer1M !== null && e.outputPer1M !== null);
  return (priced.length > 0 ? priced : catalog.list()).slice(0, 5).map((e) => [e.provider, e.model] as const);
}

/** One made-up but plausible demo row (dataMode demo, environment dev). */
export function generateDemoRow(rand: Random, models: ReadonlyArray<readonly [string, string]>, now: number): Payload {
  const [provider, model] = models.length > 0 ? models[randomInt(rand, 0, models.length - 1)]! : ['openai', 'gpt-4o-mini'];
  const inputTokens = randomInt(rand, 150, 4000);
  const outputTokens = randomInt(rand, 20, 900);
  const failed = rand() < 0.05;
  return {
    externalRequestId: `demo_${randomUUID()}`,
    provider,
    model,
    promptVersion: 'demo_v1',
    endpointTag: DEMO_ENDPOINTS[randomInt(rand, 0, DEMO_ENDPOINTS.length - 1)]!,
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens,
    latencyMs: randomInt(rand, 250, 4500),
    status: failed ? 'error' : 'success',
    errorCode: failed ? 'provider_timeout' : null,
    dataMode: 'demo',
    environment: 'dev',
    createdAt: new Date(now).toISOString(),
  };
}

/**
 * A payload posted to the demo endpoint, as it will be stored: dataMode forced to "demo",
 * environment "dev" when the sender left it out (the docs' recommended demo pairing).
 * Non-objects are returned unchanged so validation reports them.
 */
export function asDemoRow(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const p = value as Record<string, unknown>;
  return { ...p, dataMode: 'demo', environment: p.environment ?? 'dev' };
}
