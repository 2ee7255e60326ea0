/**
 * The sender against the emulator's faults, in process: the sender's waits (Retry-After,
 * backoff) and the emulator's rate limiter share one virtual clock, so 2,000 events under
 * --rate-limit 50 take no real minute. The spawned CLI runs the same scenario, smaller,
 * in test/cli/send-emulator.test.ts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { startEmulator, type Emulator } from '../../src/emulator/server.js';
import { createClient } from '../../src/ingest/client.js';
import { resolveTarget } from '../../src/ingest/config.js';
import { generateEvents } from '../../src/ingest/generate.js';
import { Journal } from '../../src/ingest/journal.js';
import { DEFAULT_POLICY } from '../../src/ingest/retry.js';
import { sendExitCode, summaryJson } from '../../src/ingest/send-summary.js';
import { INGEST_PATH, Sender } from '../../src/ingest/sender.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

const KEY = 'om_live_SECRET_123';
const catalog = builtinCatalog();
const dir = mkdtempSync(join(tmpdir(), 'opsmeter-send-faults-'));
let emulators: Emulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.map((e) => e.close()));
  emulators = [];
});

describe('the sender under emulator faults (virtual time)', () => {
  it('under --fail-rate 0.3 and --rate-limit 50, 2,000 events end with stored rows == accepted and no duplicates', async () => {
    // Time moves only while no request is in flight: requests take no virtual time.
    const clock: VirtualClock = new VirtualClock(Date.now(), (): boolean => sender.inFlight > 0);
    const emu = await startEmulator({ port: 0, apiKey: KEY, seed: 7, failRate: 0.3, rateLimit: 50, clock: clock.now });
    emulators.push(emu);
    const journalPath = join(dir, 'faults.jsonl');
    const journal = await Journal.open(journalPath);
    // What `send --test --count 2000 --seed faults --max-retries 12 --timeout 20000 --journal …` sets up.
    const client = createClient({ target: resolveTarget({ baseUrl: emu.url }, {}), apiKey: KEY, timeoutMs: 20_000, connections: 8 });
    const sender: Sender = new Sender(
      { client, catalog, concurrency: 8, policy: { ...DEFAULT_POLICY, maxRetries: 12 }, path: INGEST_PATH, clock },
      { onResult: (r) => journal.record(r) },
    );
    let report;
    try {
      report = await sender.run(generateEvents({ mode: 'test', count: 2000, catalog, seed: 'faults' }));
    } finally {
      await client.close();
      await journal.close();
    }
    const summary = summaryJson(report, { url: emu.url + INGEST_PATH, dryRun: false }) as { outcomes: Record<string, number>; retries: number };
    const rows = emu.rows();
    const ids = rows.map((p) => p.externalRequestId);
    expect(new Set(ids).size).toBe(rows.length);
    expect(summary.outcomes.accepted).toBe(rows.length);
    expect(emu.stats().duplicates).toBe(0);
    // Faults really happened and were retried.
    expect(emu.stats().failed).toBeGreaterThan(100);
    expect(emu.stats().throttled).toBeGreaterThan(0);
    expect(summary.retries).toBeGreaterThan(100);
    // Every event is accounted for, and the journal agrees with the server.
    const total = Object.values(summary.outcomes).reduce((a, b) => a + b, 0);
    expect(total).toBe(2000);
    const accepted = readFileSync(journalPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.outcome === 'accepted').map((e) => e.externalRequestId);
    expect(new Set(accepted)).toEqual(new Set(ids));
    const code = sendExitCode(report);
    expect(code === 0 || code === 5).toBe(true);
    if (code === 0) expect(rows.length).toBe(2000);
    // The waits were virtual: the throttle windows alone add up to the 40 s that 2,000 events at 50/s need.
    expect(clock.now() - clock.start).toBeGreaterThanOrEqual(30_000);
  });
});
