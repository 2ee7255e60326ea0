/**
 * The sender against a server that is gone (connection refused on every attempt) and
 * against a shared 429, on a virtual clock with an in-process client: the run stops as
 * unreachable after a run of connection failures, and retries after a 429 are spread over
 * the window instead of landing at one instant.
 */
import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import type { ApiClient, Exchange } from '../../src/ingest/client.js';
import { DEFAULT_POLICY } from '../../src/ingest/retry.js';
import { sendExitCode, summaryJson, summaryText } from '../../src/ingest/send-summary.js';
import { Sender, THROTTLE_JITTER_MAX_MS, UNREACHABLE_AFTER_FAILURES, UNREACHABLE_AFTER_MS } from '../../src/ingest/sender.js';
import { EXIT } from '../../src/errors.js';
import { PLAIN } from '../../src/terminal.js';
import { sendItem } from '../helpers/payloads.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

const catalog = builtinCatalog();

const event = sendItem;
const events = (n: number) => Array.from({ length: n }, (_, i) => event(i + 1));

const refused: Exchange = { kind: 'network', code: 'ECONNREFUSED', message: 'connection refused', notDelivered: true, elapsedMs: 1 };
const response = (status: number, headers: Record<string, string> = {}, body = '{"ok":true}'): Exchange => ({ kind: 'response', status, headers, body, elapsedMs: 1 });

/** An in-process client answering from a script; each call is logged with the virtual time. */
function fakeClient(clock: VirtualClock, answer: (n: number, body: string) => Exchange) {
  const calls: { at: number; id: string }[] = [];
  const client: ApiClient = {
    post: async (_path, json) => {
      calls.push({ at: clock.now(), id: (JSON.parse(json) as { externalRequestId: string }).externalRequestId });
      return answer(calls.length - 1, json);
    },
    get: async () => response(200),
    delete: async () => response(200),
    url: (p) => `http://127.0.0.1:1${p}`,
    close: async () => {},
  };
  return { client, calls };
}

describe('a dead server', () => {
  it('stops issuing after a run of connection failures: the rest is not sent, exit 5, the summary says unreachable', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const { client, calls } = fakeClient(clock, () => refused);
    const sender = new Sender({ client, catalog, concurrency: 8, clock, random: () => 0.5, policy: DEFAULT_POLICY });
    const report = await sender.run(events(2000));
    expect(report.stop?.reason).toBe('unreachable');
    // Seconds, not minutes: the run ended soon after the failures had lasted UNREACHABLE_AFTER_MS.
    expect(clock.now() - Date.UTC(2026, 0, 1)).toBeLessThan(UNREACHABLE_AFTER_MS + DEFAULT_POLICY.maxDelayMs);
    expect(calls.length).toBeGreaterThanOrEqual(UNREACHABLE_AFTER_FAILURES);
    expect(calls.length).toBeLessThan(200);
    const o = report.outcomes;
    expect(o.accepted + o['gave-up'] + o['not-sent']).toBe(2000);
    expect(o['not-sent']).toBeGreaterThan(1900);
    expect(report.notSent.stopped).toBe(o['not-sent']);
    expect(sendExitCode(report)).toBe(EXIT.gaveUp);
    const text = summaryText(report, { url: 'http://127.0.0.1:1/v1/ingest/llm-request', dryRun: false }, PLAIN);
    expect(text).toMatch(/the server is unreachable: \d+ connection attempts in a row failed over [\d.]+ s; the last: connection refused/);
    expect((summaryJson(report, { url: 'u', dryRun: false }) as { stop: unknown }).stop).toMatchObject({ reason: 'unreachable' });
  });

  it('a short outage is ridden out: failures followed by answers do not stop the run', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    // The first 30 attempts are refused (well over the count, but within the time), then the server is back.
    const { client } = fakeClient(clock, (n) => (n < 30 ? refused : response(200)));
    const sender = new Sender({ client, catalog, concurrency: 8, clock, random: () => 0.5, policy: { ...DEFAULT_POLICY, maxRetries: 5 } });
    const report = await sender.run(events(50));
    expect(report.stop).toBeUndefined();
    expect(report.outcomes.accepted).toBe(50);
  });

  it('any HTTP answer resets the run of failures', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    // Every other attempt answers 503: the server is there, just unwell.
    const { client } = fakeClient(clock, (n) => (n % 2 === 0 ? refused : response(503, {}, '{}')));
    const sender = new Sender({ client, catalog, concurrency: 4, clock, random: () => 0.5, policy: DEFAULT_POLICY });
    const report = await sender.run(events(40));
    expect(report.stop).toBeUndefined();
    expect(report.outcomes['gave-up']).toBe(40);
  });
});

describe('a shared 429', () => {
  it('spreads the retries of every worker over the window instead of one instant, never before Retry-After', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const seen = new Set<string>();
    const { client, calls } = fakeClient(clock, (_n, json) => {
      const id = (JSON.parse(json) as { externalRequestId: string }).externalRequestId;
      if (!seen.has(id)) {
        seen.add(id);
        return response(429, { 'retry-after': '2' }, '{}');
      }
      return response(200);
    });
    let r = 0;
    const random = () => ((r = (r * 7919 + 17) % 1000) / 1000); // deterministic, spread over [0, 1)
    const sender = new Sender({ client, catalog, concurrency: 20, clock, random, policy: DEFAULT_POLICY });
    const report = await sender.run(events(20));
    expect(report.outcomes.accepted).toBe(20);
    const start = Date.UTC(2026, 0, 1);
    const retries = calls.filter((c) => c.at > start).map((c) => c.at - start);
    expect(retries).toHaveLength(20);
    // Retry-After is a minimum; the spread is up to half the window again.
    for (const t of retries) {
      expect(t).toBeGreaterThanOrEqual(2000);
      expect(t).toBeLessThanOrEqual(2000 + Math.min(1000, THROTTLE_JITTER_MAX_MS));
    }
    expect(new Set(retries).size).toBeGreaterThan(15);
  });
});
