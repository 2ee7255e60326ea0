/**
 * The sender against servers that are gone, silent, failing or throttling, on a virtual clock
 * with an in-process client: the run gives up on the server after the give-up time without
 * an answer of the API's (pacer.ts), a restart shorter than that costs no event, retries after
 * a 429 are spread over the window instead of landing at one instant, and the pace adapts to
 * what the server accepts.
 */
import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import type { ApiClient, Exchange } from '../../src/ingest/client.js';
import { DEFAULT_POLICY } from '../../src/ingest/retry.js';
import { sendExitCode, summaryJson, summaryText } from '../../src/ingest/send-summary.js';
import { GIVE_UP_AFTER_MS, OUTAGE_PROBE_MAX_MS, THROTTLE_JITTER_MAX_MS } from '../../src/ingest/pacer.js';
import { Sender } from '../../src/ingest/sender.js';
import { EXIT } from '../../src/errors.js';
import { PLAIN } from '../../src/terminal.js';
import { sendItem } from '../helpers/payloads.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

const catalog = builtinCatalog();

const event = sendItem;
const events = (n: number) => Array.from({ length: n }, (_, i) => event(i + 1));

const refused: Exchange = { kind: 'network', code: 'ECONNREFUSED', message: 'connection refused', notDelivered: true, elapsedMs: 1 };
const response = (status: number, headers: Record<string, string> = {}, body = '{"ok":true}'): Exchange => ({ kind: 'response', status, headers, body, elapsedMs: 1 });

const timedOut: Exchange = { kind: 'network', code: 'EXCHANGE_TIMEOUT', message: 'no response within 5000 ms', notDelivered: false, elapsedMs: 5000 };

/** An in-process client answering from a script; each call is logged with the virtual time. */
function fakeClient(clock: VirtualClock, answer: (n: number, body: string) => Exchange | Promise<Exchange>) {
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

const START = Date.UTC(2026, 0, 1);
const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

describe('a dead server', () => {
  it('refusing every connection: the whole sender waits for it, then gives up after the give-up time; the rest is not sent, exit 5', async () => {
    const clock = new VirtualClock(START);
    const { client, calls } = fakeClient(clock, () => refused);
    const sender = new Sender({ client, catalog, concurrency: 8, clock, random: () => 0.5, policy: DEFAULT_POLICY });
    const report = await sender.run(events(2000));
    expect(report.stop?.reason).toBe('unreachable');
    // Time, not counts: it waited the give-up time (no longer than one probe more), whatever the retries.
    const elapsed = clock.now() - START;
    expect(elapsed).toBeGreaterThanOrEqual(GIVE_UP_AFTER_MS);
    expect(elapsed).toBeLessThanOrEqual(GIVE_UP_AFTER_MS + OUTAGE_PROBE_MAX_MS);
    // The sender waited as one: a round of probes per hold, not every event retrying on its own.
    expect(calls.length).toBeLessThan(200);
    const o = report.outcomes;
    expect(total(o)).toBe(2000);
    // Waiting for a server uses no retry: nothing gave up, everything is not sent (a resume sends it).
    expect(o['gave-up']).toBe(0);
    expect(o['not-sent']).toBe(2000);
    expect(report.notSent.stopped).toBe(2000);
    expect(sendExitCode(report)).toBe(EXIT.gaveUp);
    const text = summaryText(report, { url: 'http://127.0.0.1:1/v1/ingest/llm-request', dryRun: false }, PLAIN);
    expect(text).toMatch(/the server is unreachable: \d+ connection attempts in a row failed over 2\d\.\d s; the last: connection refused/);
    expect((summaryJson(report, { url: 'u', dryRun: false }) as { stop: unknown }).stop).toMatchObject({ reason: 'unreachable' });
  });

  it('a restart shorter than the give-up time costs no event, even with --max-retries 0', async () => {
    const clock = new VirtualClock(START);
    // Refused for the first 5 s, then the server is back.
    const { client, calls } = fakeClient(clock, () => (clock.now() - START < 5000 ? refused : response(200)));
    const sender = new Sender({ client, catalog, concurrency: 8, clock, random: () => 0.5, policy: { ...DEFAULT_POLICY, maxRetries: 0 } });
    const report = await sender.run(events(50));
    expect(report.stop).toBeUndefined();
    expect(report.outcomes.accepted).toBe(50);
    expect(calls.filter((c) => c.at - START < 5000).length).toBeGreaterThan(8);
  });

  it('a restart longer than --give-up-after ends the run; a longer --give-up-after rides it out', async () => {
    const run = async (giveUpAfterMs: number) => {
      const clock = new VirtualClock(START);
      const { client } = fakeClient(clock, () => (clock.now() - START < 30_000 ? refused : response(200)));
      return new Sender({ client, catalog, concurrency: 4, clock, random: () => 0.5, giveUpAfterMs }).run(events(20));
    };
    expect((await run(GIVE_UP_AFTER_MS)).stop?.reason).toBe('unreachable');
    const patient = await run(60_000);
    expect(patient.stop).toBeUndefined();
    expect(patient.outcomes.accepted).toBe(20);
  });

  it('a silent server (every request times out): 2,000 events end within the give-up time and two timeouts', async () => {
    const clock = new VirtualClock(START);
    const { client } = fakeClient(clock, () => new Promise<Exchange>((resolve) => clock.setTimer(() => resolve(timedOut), 5000)));
    const sender = new Sender({ client, catalog, concurrency: 8, clock, random: () => 0.5, policy: DEFAULT_POLICY });
    const report = await sender.run(events(2000));
    expect(report.stop).toMatchObject({ reason: 'unreachable', unreachable: false, message: expect.stringMatching(/^no answer from the API for 2\d\.\d s: \d+ attempts in a row failed .*; the last: no response within 5000 ms$/) });
    expect(clock.now() - START).toBeLessThanOrEqual(GIVE_UP_AFTER_MS + 2 * 5000);
    expect(total(report.outcomes)).toBe(2000);
    expect(report.outcomes.accepted).toBe(0);
    expect(sendExitCode(report)).toBe(EXIT.gaveUp);
    expect(summaryText(report, { url: 'u', dryRun: false }, PLAIN)).toContain('gave up on the server: no answer from the API for');
  });

  it('a server answering only 5xx is given up on too; any answer of the API\'s (here a 400) resets the clock', async () => {
    const failing = async (answer: (n: number) => Exchange) => {
      const clock = new VirtualClock(START);
      const { client } = fakeClient(clock, answer);
      const report = await new Sender({ client, catalog, concurrency: 4, clock, random: () => 0.5, policy: DEFAULT_POLICY }).run(events(400));
      return { report, elapsed: clock.now() - START };
    };
    const only503 = await failing(() => response(503, {}, '{}'));
    expect(only503.report.stop).toMatchObject({ reason: 'unreachable', unreachable: false });
    expect(only503.elapsed).toBeLessThan(GIVE_UP_AFTER_MS + 10_000);
    expect(total(only503.report.outcomes)).toBe(400);
    // Every other attempt refused, the others answered by the API (400): the server is there.
    const answering = await failing((n) => (n % 2 === 0 ? refused : response(400, {}, '{"ok":false,"errors":[{"pointer":"/model","message":"bad"}]}')));
    expect(answering.report.stop).toBeUndefined();
    expect(answering.report.outcomes.rejected).toBe(400);
  });

  it('a portal answering 200 text/html: never accepted, retried, then not-api; the run gives up after the give-up time', async () => {
    const clock = new VirtualClock(START);
    const page: Exchange = { kind: 'response', status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Sign in to the Wi-Fi</body></html>', elapsedMs: 1 };
    const { client } = fakeClient(clock, () => page);
    const report = await new Sender({ client, catalog, concurrency: 8, clock, random: () => 0.5, policy: DEFAULT_POLICY }).run(events(2000));
    expect(report.outcomes.accepted).toBe(0);
    expect(report.outcomes['not-api']).toBeGreaterThan(0);
    expect(report.samples.notApi[0]).toMatchObject({ outcome: 'not-api', status: 200, attempts: 4, message: expect.stringContaining('not the Opsmeter API — a proxy or portal? HTTP 200 (text/html), not a JSON object with "ok": "<html><body>Sign in') });
    expect(report.stop?.reason).toBe('unreachable');
    expect(total(report.outcomes)).toBe(2000);
    expect(sendExitCode(report)).toBe(EXIT.gaveUp);
    expect(summaryText(report, { url: 'u', dryRun: false }, PLAIN)).toMatch(/✖ not the API +\d+ {2}2xx answers that were not the Opsmeter API's/);
  });
});

describe('a shared 429', () => {
  it('spreads the retries of every worker over the window instead of one instant, never before Retry-After', async () => {
    const clock = new VirtualClock(START);
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
    const retries = calls.filter((c) => c.at > START).map((c) => c.at - START);
    expect(retries).toHaveLength(20);
    // Retry-After is a minimum; the spread is up to half the window again.
    for (const t of retries) {
      expect(t).toBeGreaterThanOrEqual(2000);
      expect(t).toBeLessThanOrEqual(2000 + Math.min(1000, THROTTLE_JITTER_MAX_MS));
    }
    expect(new Set(retries).size).toBeGreaterThan(15);
  });
});

/** A token bucket like the emulator's --rate-limit N (a burst of N, refilled N per second), on the virtual clock. */
function rateLimited(clock: VirtualClock, perSecond: number) {
  let tokens = perSecond;
  let last = clock.now();
  const throttledIds = new Map<string, number>();
  return {
    throttledIds,
    answer: (_n: number, json: string): Exchange => {
      const now = clock.now();
      tokens = Math.min(perSecond, tokens + ((now - last) * perSecond) / 1000);
      last = now;
      if (tokens >= 1) {
        tokens--;
        return response(200);
      }
      const id = (JSON.parse(json) as { externalRequestId: string }).externalRequestId;
      throttledIds.set(id, (throttledIds.get(id) ?? 0) + 1);
      return response(429, { 'retry-after': String(Math.ceil((1 - tokens) / perSecond)) }, '{}');
    },
  };
}

describe('the pace adapts to a rate limit', () => {
  it.each([
    [1, 6, 4],
    [1, 30, 8],
    [5, 200, 8],
  ])('a server allowing %i request(s)/s: %i events at concurrency %i are all accepted with the default retries', async (perSecond, count, concurrency) => {
    const clock = new VirtualClock(START);
    const server = rateLimited(clock, perSecond);
    const { client } = fakeClient(clock, server.answer);
    let r = 0;
    const random = () => ((r = (r * 7919 + 17) % 1000) / 1000);
    const sender = new Sender({ client, catalog, concurrency, clock, random, policy: DEFAULT_POLICY });
    const report = await sender.run(events(count));
    expect(report.outcomes.accepted).toBe(count);
    expect(report.throttledResponses).toBeGreaterThan(0);
    // The throttling was shared and the pace adapted: no event met a second 429.
    expect(Math.max(...server.throttledIds.values())).toBe(1);
    // And the run took about as long as the limit needs, not much more.
    const needs = ((count - perSecond) / perSecond) * 1000;
    expect(clock.now() - START).toBeLessThanOrEqual(needs * 1.3 + 2000);
  });

  it('a throttle that passes: the pace grows back and then no longer limits', async () => {
    const clock = new VirtualClock(START);
    const server = rateLimited(clock, 10);
    // Throttled for the first 3 s, then the server takes all it gets.
    const { client } = fakeClient(clock, (n, json) => (clock.now() - START < 3000 ? server.answer(n, json) : response(200)));
    const report = await new Sender({ client, catalog, concurrency: 8, clock, random: () => 0.5, policy: DEFAULT_POLICY }).run(events(3000));
    expect(report.outcomes.accepted).toBe(3000);
    expect(report.throttledResponses).toBeGreaterThan(0);
    // At the 10/s it saw, 3,000 events would take 5 minutes; growing back it takes under a minute.
    expect(clock.now() - START).toBeLessThan(60_000);
  });
});
