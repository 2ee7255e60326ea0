/**
 * The emulator's fault knobs: plan limit, budget, rate limit (each Retry-After mode),
 * fail rate (reproducible with a seed) and latency. Timing-dependent behaviour runs on an
 * injected clock; the only real-time check is a lower bound on --latency.
 */
import { startEmulatorForTest } from '../helpers/emulators.js';
import { describe, expect, it } from 'vitest';
import { catalogFromJson } from '../../src/contract/catalog.js';
import { DEFAULT_EMULATOR_KEY, startEmulator, type Emulator } from '../../src/emulator/server.js';
import { mulberry32 } from '../../src/contract/random.js';
import type { Payload } from '../../src/contract/fields.js';
import { waitFor } from '../helpers/wait.js';

const KEY = DEFAULT_EMULATOR_KEY;
const start = startEmulatorForTest;

function payload(id: string, extra: Record<string, unknown> = {}) {
  return {
    externalRequestId: id,
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptVersion: 'v1',
    endpointTag: 'faults.test',
    inputTokens: 100,
    outputTokens: 10,
    latencyMs: 300,
    status: 'success',
    dataMode: 'test',
    environment: 'staging',
    ...extra,
  };
}

async function post(e: Emulator, body: unknown, path = '/v1/ingest/llm-request') {
  const res = await fetch(e.url + path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: body === '' ? '' : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

describe('--plan-limit', () => {
  it('accepts exactly N rows, then 402 plan_limit_reached with telemetryPaused and providerCallsContinue', async () => {
    const e = await start({ planLimit: 3 });
    const remaining: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await post(e, payload(`pl_${i}`));
      expect(r.status).toBe(200);
      expect(r.body.planLimitRequests).toBe(3);
      remaining.push(r.body.freeLimitRemainingRequests);
    }
    expect(remaining).toEqual([2, 1, 0]);
    for (let i = 3; i < 6; i++) {
      const r = await post(e, payload(`pl_${i}`));
      expect(r.status).toBe(402);
      expect(r.body).toMatchObject({
        ok: false,
        reason: 'plan_limit_reached',
        telemetryPaused: true,
        providerCallsContinue: true,
        isPlanLimitReached: true,
        planLimitRequests: 3,
        freeLimitRemainingRequests: 0,
      });
      expect(r.body.error).toMatch(/plan limit/);
    }
    expect(e.rows().map((r) => r.externalRequestId)).toEqual(['pl_0', 'pl_1', 'pl_2']);
    expect(e.stats()).toMatchObject({ accepted: 3, paused: 3 });
  });

  it('the row that reaches the limit is accepted and says the workspace is now paused', async () => {
    const e = await start({ planLimit: 1 });
    const r = await post(e, payload('only'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, isPlanLimitReached: true, telemetryPaused: true, freeLimitRemainingRequests: 0 });
  });

  it('a retried (duplicate) row after the limit is still acknowledged as a duplicate, not paused', async () => {
    const e = await start({ planLimit: 1 });
    await post(e, payload('kept'));
    const again = await post(e, payload('kept'));
    expect(again.status).toBe(200);
    expect(again.body.warnings).toEqual(['duplicate externalRequestId: not counted']);
  });

  it('--plan-limit 0 pauses from the first row; the demo endpoint obeys it too', async () => {
    const e = await start({ planLimit: 0 });
    expect((await post(e, payload('z'))).status).toBe(402);
    expect((await post(e, '', '/v1/ingest/demo')).status).toBe(402);
    expect(e.rows()).toHaveLength(0);
  });

  it('validation comes before the limit: an invalid payload is 400 even when paused', async () => {
    const e = await start({ planLimit: 0 });
    expect((await post(e, { provider: 'openai' })).status).toBe(400);
  });
});

describe('--budget-usd', () => {
  // One input token costs exactly $1, so spend is easy to follow.
  const catalog = catalogFromJson({ date: 'test', models: [{ provider: 'acme', model: 'dollar', inputPer1M: 1_000_000, outputPer1M: 0 }] }, 'test');
  const row = (id: string, usd: number) => payload(id, { provider: 'acme', model: 'dollar', inputTokens: usd, outputTokens: 0 });

  it('soft (the default): budgetWarning from 80 %, budgetExceeded past the budget, still 200 and never telemetryPaused', async () => {
    const e = await start({ catalog, budgetUsd: 10 });
    let r = await post(e, row('b1', 7)); // $7 = 70 %
    expect(r.body).toMatchObject({ ok: true, budgetWarning: false, budgetExceeded: false });
    r = await post(e, row('b2', 1)); // $8 = 80 %
    expect(r.body).toMatchObject({ ok: true, budgetWarning: true, budgetExceeded: false, telemetryPaused: false });
    r = await post(e, row('b3', 2)); // $10 = 100 %: at the budget, not past it
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ budgetWarning: true, budgetExceeded: false });
    for (const id of ['b4', 'b5', 'b6']) {
      r = await post(e, row(id, 1)); // $11, $12, $13: a soft stop is a flag, not a refusal
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ ok: true, budgetWarning: true, budgetExceeded: true, telemetryPaused: false, isPlanLimitReached: false, reason: null });
    }
    expect(e.rows()).toHaveLength(6);
    expect(e.stats()).toMatchObject({ accepted: 6, blocked: 0, paused: 0 });

    const s = (await (await fetch(e.url + '/v1/diagnostics/workspace-status', { headers: { 'x-api-key': KEY } })).json()) as any;
    // The official n8n template reads telemetryPaused as "plan limit reached": a budget must not set it.
    expect(s).toMatchObject({ isBudgetWarning: true, isBudgetExceeded: true, telemetryPaused: false, isPlanLimitReached: false, severity: 'critical' });
    expect(s.plan.telemetryPaused).toBe(false);
    expect(s.budget.monthly).toMatchObject({ limitUsd: 10, currentSpendUsd: 13, utilizationRatio: 1.3, isWarning: true, isExceeded: true });
  });

  it('hard: accepted up to the budget, then 402 with a budget reason (not plan_limit_reached) and no telemetryPaused', async () => {
    const e = await start({ catalog, budgetUsd: 10, budgetMode: 'hard' });
    let r = await post(e, row('h1', 10)); // $10: at the budget
    expect(r.body).toMatchObject({ ok: true, budgetWarning: true, budgetExceeded: false });
    r = await post(e, row('h2', 1)); // $11: this row is accepted and crosses the line
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ budgetExceeded: true, telemetryPaused: false, isPlanLimitReached: false });
    r = await post(e, row('h3', 1));
    expect(r.status).toBe(402);
    expect(r.body).toMatchObject({
      ok: false,
      reason: 'budget_exceeded',
      telemetryPaused: false,
      providerCallsContinue: true,
      isPlanLimitReached: false,
      budgetWarning: true,
      budgetExceeded: true,
    });
    expect(r.body.reason).not.toBe('plan_limit_reached');
    expect(r.body.error).toMatch(/budget hard stop/i);
    // A retry of a stored row is still acknowledged as a duplicate, not refused.
    expect((await post(e, row('h2', 1))).body.warnings).toEqual(['duplicate externalRequestId: not counted']);
    expect(e.rows()).toHaveLength(2);
    expect(e.stats()).toMatchObject({ accepted: 2, blocked: 1, paused: 0 });
    const s = (await (await fetch(e.url + '/v1/diagnostics/workspace-status', { headers: { 'x-api-key': KEY } })).json()) as any;
    expect(s).toMatchObject({ isBudgetExceeded: true, telemetryPaused: false, severity: 'critical' });
  });

  it('refuses an unknown budget mode', async () => {
    await expect(startEmulator({ port: 0, budgetMode: 'strict' as never })).rejects.toThrow(/budgetMode must be one of soft, hard/);
  });

  it('workspace-status severity is warning between 80 % and 100 %', async () => {
    const e = await start({ catalog, budgetUsd: 10 });
    await post(e, row('w1', 9));
    const s = (await (await fetch(e.url + '/v1/diagnostics/workspace-status', { headers: { 'x-api-key': KEY } })).json()) as any;
    expect(s).toMatchObject({ severity: 'warning', isBudgetWarning: true, isBudgetExceeded: false, telemetryPaused: false });
    expect(s.budget.daily.utilizationRatio).toBe(0.9);
  });

  it('prices cache reads from metadata.cachedInputTokens at the cache price', async () => {
    const cached = catalogFromJson(
      { date: 'test', models: [{ provider: 'acme', model: 'c', inputPer1M: 1_000_000, outputPer1M: 0, cacheReadPer1M: 100_000 }] },
      'test',
    );
    const e = await start({ catalog: cached, budgetUsd: 100 });
    await post(e, payload('c1', { provider: 'acme', model: 'c', inputTokens: 10, outputTokens: 0, metadata: { cachedInputTokens: 10 } }));
    const s = (await (await fetch(e.url + '/v1/diagnostics/workspace-status', { headers: { 'x-api-key': KEY } })).json()) as any;
    expect(s.budget.daily.currentSpendUsd).toBe(1);
  });

  it('unknown models cost $0, as on the real service', async () => {
    const e = await start({ catalog, budgetUsd: 1 });
    for (let i = 0; i < 3; i++) expect((await post(e, payload(`u${i}`, { provider: 'acme', model: 'nope', inputTokens: 1e6 }))).status).toBe(200);
  });

  it('the plan limit wins when both apply', async () => {
    const e = await start({ catalog, budgetUsd: 1, budgetMode: 'hard', planLimit: 1 });
    await post(e, row('x1', 5));
    const r = await post(e, row('x2', 1));
    expect(r.status).toBe(402);
    expect(r.body.reason).toBe('plan_limit_reached');
  });
});

describe('--rate-limit', () => {
  function fakeClock() {
    let t = 1_000_000;
    return { clock: () => t, advance: (ms: number) => (t += ms) };
  }

  it('allows a burst of N, then 429 with Retry-After in delta-seconds; refills at N/s', async () => {
    const c = fakeClock();
    const e = await start({ rateLimit: 2, clock: c.clock });
    expect((await post(e, payload('r1'))).status).toBe(200);
    expect((await post(e, payload('r2'))).status).toBe(200);
    const t = await post(e, payload('r3'));
    expect(t.status).toBe(429);
    expect(t.headers.get('retry-after')).toBe('1');
    expect(t.body).toMatchObject({ ok: false });
    expect(t.body.error).toMatch(/throttled/);
    c.advance(500); // one token back
    expect((await post(e, payload('r3'))).status).toBe(200);
    expect((await post(e, payload('r4'))).status).toBe(429);
    c.advance(10_000); // bucket full again, but never more than N
    expect((await post(e, payload('r4'))).status).toBe(200);
    expect((await post(e, payload('r5'))).status).toBe(200);
    expect((await post(e, payload('r6'))).status).toBe(429);
    expect(e.rows().map((r) => r.externalRequestId)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(e.stats()).toMatchObject({ accepted: 5, throttled: 3 });
  });

  it('Retry-After rounds the wait up to whole seconds (0.5/s → 2 s)', async () => {
    const c = fakeClock();
    const e = await start({ rateLimit: 0.5, clock: c.clock });
    expect((await post(e, payload('s1'))).status).toBe(200);
    const t = await post(e, payload('s2'));
    expect(t.status).toBe(429);
    expect(t.headers.get('retry-after')).toBe('2');
    c.advance(1500);
    expect((await post(e, payload('s2'))).headers.get('retry-after')).toBe('1');
  });

  it('Retry-After as an HTTP-date', async () => {
    const c = fakeClock();
    const e = await start({ rateLimit: 1, clock: c.clock, retryAfterMode: 'http-date' });
    await post(e, payload('h1'));
    const before = Date.now();
    const t = await post(e, payload('h2'));
    const after = Date.now();
    expect(t.status).toBe(429);
    const h = t.headers.get('retry-after')!;
    expect(h).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    const at = Date.parse(h);
    // At least one second ahead (rounded up to the HTTP-date's whole seconds), never early.
    expect(at).toBeGreaterThanOrEqual(before + 1000);
    expect(at).toBeLessThanOrEqual(after + 2000);
  });

  it('no Retry-After header at all in mode none', async () => {
    const c = fakeClock();
    const e = await start({ rateLimit: 1, clock: c.clock, retryAfterMode: 'none' });
    await post(e, payload('n1'));
    const t = await post(e, payload('n2'));
    expect(t.status).toBe(429);
    expect(t.headers.has('retry-after')).toBe(false);
  });

  it('is checked after auth and before validation; reads are not limited', async () => {
    const c = fakeClock();
    const e = await start({ rateLimit: 1, clock: c.clock });
    const unauth = await fetch(e.url + '/v1/ingest/llm-request', { method: 'POST', body: '{}' });
    expect(unauth.status).toBe(401);
    expect((await post(e, payload('a1'))).status).toBe(200); // the 401 used no token
    expect((await post(e, { not: 'valid' })).status).toBe(429); // throttled before the 400
    const status = await fetch(e.url + '/v1/diagnostics/workspace-status', { headers: { 'x-api-key': KEY } });
    expect(status.status).toBe(200);
    expect((await fetch(e.url + '/v1/public/pricing-models')).status).toBe(200);
  });

  it('uses the real clock by default: a fast burst over the limit is throttled', async () => {
    const e = await start({ rateLimit: 1 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => post(e, payload(`burst_${i}`))));
    const throttled = results.filter((r) => r.status === 429).length;
    expect(throttled).toBeGreaterThan(0);
    expect(throttled + e.rows().length).toBe(20);
  });
});

describe('--fail-rate and --seed', () => {
  async function pattern(seed: number, failRate: number, n = 60): Promise<string> {
    const e = await start({ seed, failRate });
    let s = '';
    for (let i = 0; i < n; i++) s += (await post(e, payload(`f_${i}`))).status === 503 ? 'x' : '.';
    return s;
  }

  it('the same seed gives the same 503s; another seed gives others', async () => {
    const a = await pattern(42, 0.3);
    const b = await pattern(42, 0.3);
    const c = await pattern(43, 0.3);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    const failures = [...a].filter((ch) => ch === 'x').length;
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(60);
  });

  it('follows the seeded PRNG exactly: request i fails iff draw i < P', async () => {
    const rand = mulberry32(7);
    const expected = Array.from({ length: 40 }, () => (rand() < 0.25 ? 'x' : '.')).join('');
    expect(await pattern(7, 0.25, 40)).toBe(expected);
  });

  it('503 bodies are JSON; a retry with the same id lands once', async () => {
    const e = await start({ seed: 1, failRate: 0.5 });
    let attempts = 0;
    for (let i = 0; i < 30; i++) {
      for (let k = 0; k < 100; k++) {
        attempts++;
        const r = await post(e, payload(`retry_${i}`));
        if (r.status === 200) break;
        expect(r.status).toBe(503);
        expect(r.body).toMatchObject({ ok: false });
      }
    }
    expect(attempts).toBeGreaterThan(30);
    expect(e.rows()).toHaveLength(30);
    expect(e.stats()).toMatchObject({ accepted: 30, failed: attempts - 30 });
  });

  it('0 never fails and 1 always fails', async () => {
    expect(await pattern(5, 0, 20)).toBe('.'.repeat(20));
    expect(await pattern(5, 1, 20)).toBe('x'.repeat(20));
  });

  it('demo rows are reproducible with a seed too', async () => {
    const a = await start({ seed: 9 });
    const b = await start({ seed: 9 });
    for (let i = 0; i < 5; i++) {
      await post(a, '', '/v1/ingest/demo');
      await post(b, '', '/v1/ingest/demo');
    }
    const strip = (rows: readonly Payload[]) => rows.map(({ externalRequestId, createdAt, ...rest }) => rest);
    expect(strip(a.rows())).toEqual(strip(b.rows()));
  });

  it('reports the random seed it chose, so a run can be reproduced', async () => {
    const e = await start({ failRate: 0.5 });
    expect(Number.isSafeInteger(e.seed)).toBe(true);
  });
});

describe('--latency', () => {
  it('delays every response by at least the given time', async () => {
    const e = await start({ latencyMs: 200 });
    const t0 = performance.now();
    const r = await post(e, payload('slow'));
    expect(r.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    const t1 = performance.now();
    expect((await fetch(e.url + '/v1/nope')).status).toBe(404);
    expect(performance.now() - t1).toBeGreaterThanOrEqual(190);
  });

  it('the row is kept even if the response is still pending when the server closes', async () => {
    const e = await start({ latencyMs: 60_000 });
    const pending = post(e, payload('pending')).catch((err: Error) => err);
    await waitFor(() => e.stats().accepted > 0, 'the row to be accepted');
    await e.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(e.rows()).toHaveLength(1);
  });
});
