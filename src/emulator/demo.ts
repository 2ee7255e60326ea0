/**
 * `POST /v1/ingest/demo` "always writes demo rows with dataMode=demo". With an empty body the
 * emulator makes up one realistic row (the shared fake-event generator, the same one
 * `send --demo` uses); with a payload it forces dataMode "demo".
 */
import { randomUUID } from 'node:crypto';
import type { Catalog } from '../contract/catalog.js';
import { fakeModels, fakePayload, fakeUsers, type FakeModel } from '../contract/fake-events.js';
import type { Payload } from '../contract/fields.js';
import type { Random } from '../contract/random.js';

/** Makes the demo rows of one emulator run, all drawn from `rand` (reproducible with --seed). */
export function demoRowMaker(catalog: Catalog, rand: Random): (now: number) => Payload {
  const found = fakeModels(catalog);
  // An empty custom catalog: the row then fails the catalog check, which is what such a server would say.
  const models: readonly FakeModel[] = found.length > 0 ? found : [['openai', 'gpt-4o-mini', 1]];
  const users = fakeUsers(rand);
  return (now) => ({
    ...fakePayload(rand, models, { mode: 'demo', externalRequestId: `demo_${randomUUID()}`, environment: 'dev', users }),
    createdAt: new Date(now).toISOString(),
  });
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
