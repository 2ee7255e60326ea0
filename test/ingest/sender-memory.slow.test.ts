/**
 * The sender keeps nothing per event once the event is done: an input of any length
 * (`import --send` streams 10⁶ rows) must send with flat memory. A read raced against a
 * long-lived promise (Promise.race) used to leave one reaction per read on it, holding every
 * item read until the run ended.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import type { ApiClient, Exchange } from '../../src/ingest/client.js';
import { Sender, type SendItem } from '../../src/ingest/sender.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const accepted: Exchange = { kind: 'response', status: 200, headers: {}, body: '{"ok":true}', elapsedMs: 1 };
const client: ApiClient = {
  post: async () => accepted,
  get: async () => accepted,
  delete: async () => accepted,
  url: (p) => `http://127.0.0.1${p}`,
  close: async () => {},
};

describe('sender memory', () => {
  it('items already sent can be freed while the run goes on', async () => {
    const N = 3000;
    const refs: WeakRef<object>[] = [];
    let aliveSeen = -1;
    async function* items(): AsyncGenerator<SendItem> {
      for (let i = 0; i < N; i++) {
        const value = {
          externalRequestId: `ext_mem_${i}`,
          provider: 'openai',
          model: 'gpt-4o-mini',
          inputTokens: 10,
          outputTokens: 5,
          status: 'success',
          dataMode: 'test',
          environment: 'staging',
          padding: 'x'.repeat(200) + i,
        };
        if (i < N / 2) refs.push(new WeakRef(value));
        if (i === N - 1) {
          // A new macrotask, so the WeakRefs made earlier no longer keep their targets.
          await new Promise((r) => setTimeout(r, 0));
          gc();
          aliveSeen = refs.filter((r) => r.deref() !== undefined).length;
        }
        yield { value, where: `#${i}` };
      }
    }
    const sender = new Sender({ client, catalog: builtinCatalog(), concurrency: 4 });
    const report = await sender.run(items());
    expect(report.outcomes.accepted).toBe(N);
    // The first half was sent long before; at most a few may still be referenced.
    expect(aliveSeen).toBeGreaterThanOrEqual(0);
    expect(aliveSeen).toBeLessThan(10);
  });
});
