/**
 * Generated events for `send --test` / `send --demo`: payloads from the shared fake-event
 * generator (contract/fake-events.ts), a unique externalRequestId per event, and dataMode
 * test/demo so they can never count as production usage. The same seed gives the same
 * events (ids included), which is what lets a journalled run resume.
 */
import type { Catalog } from '../contract/catalog.js';
import { fakeModels, fakePayload, fakeUsers, type FakeMode } from '../contract/fake-events.js';
import type { Environment } from '../contract/fields.js';
import { fnv1a, seededRandom } from '../contract/random.js';
import type { SendItem } from './sender.js';

export interface GenerateOptions {
  mode: FakeMode;
  count: number;
  catalog: Catalog;
  /** Any string; the same seed yields the same events. */
  seed: string;
  environment?: Environment;
}

/** Lazily generated events (flat memory for any --count). */
export function* generateEvents(opts: GenerateOptions): Generator<SendItem> {
  const r = seededRandom(opts.seed);
  const models = fakeModels(opts.catalog);
  if (models.length === 0) throw new Error('the catalog is empty; cannot generate events');
  const run = fnv1a('run:' + opts.seed).toString(16).padStart(8, '0');
  const environment: Environment = opts.environment ?? (opts.mode === 'test' ? 'staging' : 'dev');
  const users = fakeUsers(r);
  for (let i = 1; i <= opts.count; i++) {
    const value = fakePayload(r, models, { mode: opts.mode, externalRequestId: `ext_${opts.mode}_${run}_${i}`, environment, users });
    yield { value, where: `generated #${i}` };
  }
}
