import { describe, expect, it } from 'vitest';
import { classify, parseRetryAfter, serverMessage, acceptedInfo, DEFAULT_RETRY_AFTER_MS, type Verdict } from '../../src/ingest/classify.js';
import { backoffMs, decide, DEFAULT_POLICY } from '../../src/ingest/retry.js';
import type { Exchange } from '../../src/ingest/client.js';

const NOW = Date.parse('2026-03-07T12:00:00Z');
const res = (status: number, body: unknown = '', headers: Record<string, string> = {}): Exchange => ({
  kind: 'response',
  status,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  elapsedMs: 1,
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('3', NOW)).toEqual({ ms: 3000, form: 'seconds' });
    expect(parseRetryAfter(' 0 ', NOW)).toEqual({ ms: 0, form: 'seconds' });
    expect(parseRetryAfter('1.5', NOW)).toEqual({ ms: 1500, form: 'seconds' });
    expect(parseRetryAfter(['7', '9'], NOW)).toEqual({ ms: 7000, form: 'seconds' });
  });
  it('reads an HTTP-date relative to now, and a past date as now', () => {
    expect(parseRetryAfter('Sat, 07 Mar 2026 12:00:05 GMT', NOW)).toEqual({ ms: 5000, form: 'http-date' });
    expect(parseRetryAfter(new Date(NOW + 42_000).toUTCString(), NOW)).toEqual({ ms: 42_000, form: 'http-date' });
    expect(parseRetryAfter('Sat, 07 Mar 2026 11:00:00 GMT', NOW)).toEqual({ ms: 0, form: 'http-date' });
  });
  it('falls back to 1 s when absent or unreadable', () => {
    expect(parseRetryAfter(undefined, NOW)).toEqual({ ms: DEFAULT_RETRY_AFTER_MS, form: 'absent' });
    expect(parseRetryAfter('', NOW)).toEqual({ ms: 1000, form: 'absent' });
    expect(parseRetryAfter('soon', NOW)).toEqual({ ms: 1000, form: 'invalid' });
    expect(parseRetryAfter('-5', NOW)).toEqual({ ms: 1000, form: 'invalid' });
    expect(parseRetryAfter('Sat, 99 Foo 2026 99:99:99 GMT', NOW)).toEqual({ ms: 1000, form: 'invalid' });
  });
});

describe('classify', () => {
  it('2xx → accepted with the body flags', () => {
    const v = classify(res(200, { ok: true, planTier: 'Free', warnings: ['w1'], budgetWarning: true, budgetExceeded: false, providerCallsContinue: true }), NOW, 'ingest');
    expect(v).toEqual({ kind: 'accepted', status: 200, info: { ok: true, planTier: 'Free', warnings: ['w1'], budgetWarning: true, budgetExceeded: false, providerCallsContinue: true } });
    expect(classify(res(202, { ok: true }), NOW, 'ingest')).toMatchObject({ kind: 'accepted', status: 202, info: { ok: true, warnings: [] } });
    // ok=false on a 2xx is still the API's answer (the summary counts it apart).
    expect(classify(res(200, { ok: false }), NOW, 'ingest')).toMatchObject({ kind: 'accepted', info: { ok: false } });
  });
  it('a 2xx that is not the endpoint\'s JSON is not-api, saying what came back', () => {
    const portal = res(200, '<!DOCTYPE html><html><head><title>Wi-Fi login</title></head>\n<body>\u001b[31m…', { 'content-type': 'text/html; charset=utf-8' });
    const v = classify(portal, NOW, 'ingest');
    expect(v).toEqual({
      kind: 'not-api',
      status: 200,
      message:
        'not the Opsmeter API — a proxy or portal? HTTP 200 (text/html; charset=utf-8), not a JSON object with "ok": "<!DOCTYPE html><html><head><title>Wi-Fi login</title></head>\\n<body>\\u001b[31m…"',
    });
    // Every 2xx shape the ingest endpoint does not answer with: empty, cut, another JSON, an object without ok.
    for (const body of ['', '{"ok":tr', '[{"ok":true}]', '"ok"', '{"status":"ok"}', 'OK']) {
      expect(classify(res(200, body), NOW, 'ingest').kind, body).toBe('not-api');
      expect(classify(res(204, body), NOW, 'ingest').kind, body).toBe('not-api');
    }
    expect((classify(res(202, ''), NOW, 'ingest') as { message: string }).message).toContain('HTTP 202 (no content type), not a JSON object with "ok": an empty body');
    expect((classify(res(200, 'x'.repeat(500)), NOW, 'ingest') as { message: string }).message).toContain(`"${'x'.repeat(80)}"…`);
  });
  it('each endpoint\'s shape: the status is a JSON object, the pricing any JSON, a cleanup JSON or nothing', () => {
    expect(classify(res(200, { workspaceId: 'w' }), NOW, 'object').kind).toBe('accepted');
    expect(classify(res(200, [1]), NOW, 'object').kind).toBe('not-api');
    expect(classify(res(200, [1]), NOW, 'json').kind).toBe('accepted');
    expect(classify(res(200, '<html>'), NOW, 'json').kind).toBe('not-api');
    expect(classify(res(204, ''), NOW, 'empty-or-json').kind).toBe('accepted');
    expect(classify(res(200, { deleted: 3 }), NOW, 'empty-or-json').kind).toBe('accepted');
    expect(classify(res(200, '<html>login</html>'), NOW, 'empty-or-json')).toMatchObject({ kind: 'not-api', message: expect.stringContaining('HTTP 200 (no content type), neither empty nor JSON: "<html>login</html>"') });
  });
  it('429 → throttled with Retry-After in both forms, 1 s when missing', () => {
    expect(classify(res(429, '', { 'retry-after': '2' }), NOW, 'ingest')).toEqual({ kind: 'throttled', status: 429, retryAfterMs: 2000, retryAfterForm: 'seconds' });
    expect(classify(res(429, '', { 'retry-after': new Date(NOW + 3000).toUTCString() }), NOW, 'ingest')).toMatchObject({ retryAfterMs: 3000, retryAfterForm: 'http-date' });
    expect(classify(res(429), NOW, 'ingest')).toMatchObject({ kind: 'throttled', retryAfterMs: 1000, retryAfterForm: 'absent' });
  });
  it('402 plan_limit_reached → paused; any other 402 → blocked', () => {
    const paused = classify(res(402, { reason: 'plan_limit_reached', telemetryPaused: true, providerCallsContinue: true }), NOW, 'ingest');
    expect(paused).toMatchObject({ kind: 'paused', status: 402, reason: 'plan_limit_reached', info: { telemetryPaused: true } });
    expect(classify(res(402, { reason: 'budget_exceeded', message: 'Daily budget hard stop' }), NOW, 'ingest')).toMatchObject({
      kind: 'blocked',
      reason: 'budget_exceeded',
      message: 'Daily budget hard stop',
    });
    const bare = classify(res(402, ''), NOW, 'ingest');
    expect(bare.kind).toBe('blocked');
    expect(bare).not.toHaveProperty('reason');
  });
  it('401 and 403 → unauthorized', () => {
    expect(classify(res(401, { message: 'invalid api key' }), NOW, 'ingest')).toEqual({ kind: 'unauthorized', status: 401, message: 'invalid api key' });
    expect(classify(res(403, ''), NOW, 'ingest')).toMatchObject({ kind: 'unauthorized', status: 403 });
  });
  it('other 4xx → rejected with the server message; 404/409/413/3xx get a hint', () => {
    expect(classify(res(400, { ok: false, errors: [{ pointer: '/model', message: 'model is required' }] }), NOW, 'ingest')).toEqual({
      kind: 'rejected',
      status: 400,
      message: '/model: model is required',
    });
    expect(classify(res(422, { message: 'nope' }), NOW, 'ingest')).toMatchObject({ kind: 'rejected', status: 422, message: 'nope' });
    expect(classify(res(404, 'Not Found'), NOW, 'ingest')).toMatchObject({ kind: 'rejected', hint: expect.stringContaining('--base-url') });
    expect(classify(res(409, ''), NOW, 'ingest')).toMatchObject({ kind: 'rejected', hint: expect.stringContaining('externalRequestId') });
    expect(classify(res(413, ''), NOW, 'ingest')).toMatchObject({ kind: 'rejected', hint: expect.stringContaining('too large') });
    expect(classify(res(301, ''), NOW, 'ingest')).toMatchObject({ kind: 'rejected', hint: expect.stringContaining('redirect') });
  });
  it('5xx, 408 and network failures → failed (retryable)', () => {
    expect(classify(res(503, 'busy'), NOW, 'ingest')).toEqual({ kind: 'failed', status: 503, message: 'HTTP 503: busy', notDelivered: false });
    expect(classify(res(500, ''), NOW, 'ingest')).toMatchObject({ kind: 'failed', status: 500 });
    expect(classify(res(408, ''), NOW, 'ingest')).toMatchObject({ kind: 'failed', status: 408, notDelivered: true });
    expect(classify({ kind: 'network', code: 'ECONNREFUSED', message: 'connection refused', notDelivered: true, elapsedMs: 1 }, NOW, 'ingest')).toEqual({
      kind: 'failed',
      message: 'connection refused',
      notDelivered: true,
    });
    expect(classify({ kind: 'network', code: 'UND_ERR_HEADERS_TIMEOUT', message: 'no response within 100 ms', notDelivered: false, elapsedMs: 100 }, NOW, 'ingest')).toMatchObject({
      kind: 'failed',
      notDelivered: false,
    });
  });
  it('covers every status code 100–599 with exactly one class', () => {
    const seen = new Map<string, number>();
    for (let s = 100; s < 600; s++) {
      const v = classify(res(s), NOW, 'empty-or-json');
      seen.set(v.kind, (seen.get(v.kind) ?? 0) + 1);
      const expected =
        s >= 200 && s < 300 ? 'accepted' : s === 429 ? 'throttled' : s === 402 ? 'blocked' : s === 401 || s === 403 ? 'unauthorized' : s >= 500 || s === 408 ? 'failed' : 'rejected';
      expect(v.kind, `status ${s}`).toBe(expected);
    }
    expect([...seen.keys()].sort()).toEqual(['accepted', 'blocked', 'failed', 'rejected', 'throttled', 'unauthorized']);
  });
});

describe('serverMessage', () => {
  it('reads the common error body shapes', () => {
    expect(serverMessage(JSON.stringify({ errors: [{ pointer: '', message: 'not an object' }] }), 400)).toBe('(payload): not an object');
    expect(serverMessage(JSON.stringify({ title: 'One or more validation errors occurred.', errors: { Model: ['The Model field is required.'] } }), 400)).toBe(
      'Model: The Model field is required.',
    );
    expect(serverMessage(JSON.stringify({ error: { message: 'deep' } }), 400)).toBe('deep');
    expect(serverMessage(JSON.stringify({ error: 'flat' }), 400)).toBe('flat');
    expect(serverMessage(JSON.stringify({ detail: 'problem detail' }), 400)).toBe('problem detail');
    expect(serverMessage(JSON.stringify({ errors: ['a', 'b'] }), 400)).toBe('a; b');
    expect(serverMessage('', 400)).toBe('HTTP 400 with an empty body');
    expect(serverMessage('<html><body>Bad</body></html>', 400)).toContain('HTML page');
    expect(serverMessage('plain   words\nhere', 400)).toBe('plain words here');
  });
  it('caps long messages and long error lists', () => {
    const many = { errors: Array.from({ length: 9 }, (_, i) => ({ pointer: `/f${i}`, message: 'bad' })) };
    expect(serverMessage(JSON.stringify(many), 400)).toMatch(/\/f4: bad; and 4 more$/);
    expect(serverMessage('x'.repeat(2000), 400).length).toBeLessThanOrEqual(501);
  });
});

describe('acceptedInfo', () => {
  it('keeps only well-typed fields', () => {
    expect(acceptedInfo({ ok: 'yes', planTier: 5, warnings: [1, 'w'], reason: 'r', freeLimitRemainingRequests: 10 })).toEqual({
      warnings: ['1', 'w'],
      reason: 'r',
      freeLimitRemainingRequests: 10,
    });
    expect(acceptedInfo(null)).toEqual({ warnings: [] });
    expect(acceptedInfo([1])).toEqual({ warnings: [] });
  });
});

describe('retry policy', () => {
  const policy = { ...DEFAULT_POLICY, maxRetries: 2 };
  const fixed = () => 0.5;
  const throttled: Verdict = { kind: 'throttled', status: 429, retryAfterMs: 1500, retryAfterForm: 'seconds' };
  const failed: Verdict = { kind: 'failed', status: 503, message: 'HTTP 503: busy', notDelivered: false };

  it('final classes are done at once', () => {
    for (const kind of ['accepted', 'rejected', 'unauthorized'] as const) {
      const v = (kind === 'accepted' ? { kind, status: 200, info: { warnings: [] } } : { kind, status: 400, message: 'm' }) as Verdict;
      expect(decide(v, 0, policy, fixed)).toEqual({ action: 'done', outcome: kind });
    }
    expect(decide({ kind: 'paused', status: 402, reason: 'plan_limit_reached', message: '', info: { warnings: [] } }, 0, policy, fixed)).toEqual({ action: 'done', outcome: 'paused' });
    expect(decide({ kind: 'blocked', status: 402, message: '', info: { warnings: [] } }, 0, policy, fixed)).toEqual({ action: 'done', outcome: 'blocked' });
  });
  it('429 waits Retry-After until retries run out, then gives up', () => {
    expect(decide(throttled, 0, policy, fixed)).toEqual({ action: 'retry', delayMs: 1500, throttled: true });
    expect(decide(throttled, 2, policy, fixed)).toMatchObject({ action: 'done', outcome: 'gave-up', why: expect.stringContaining('after 2 retries') });
    expect(decide({ ...throttled, retryAfterMs: 3_600_000 }, 0, policy, fixed)).toMatchObject({ action: 'done', outcome: 'gave-up', why: expect.stringContaining('3600 s') });
  });
  it('5xx backs off exponentially with jitter, then gives up', () => {
    expect(decide(failed, 0, policy, fixed)).toEqual({ action: 'retry', delayMs: backoffMs(0, policy, fixed), throttled: false });
    expect(decide(failed, 2, policy, fixed)).toMatchObject({ action: 'done', outcome: 'gave-up', why: 'HTTP 503: busy (after 2 retries)' });
    expect(decide(failed, 0, { ...policy, maxRetries: 0 }, fixed)).toMatchObject({ action: 'done', outcome: 'gave-up', why: 'HTTP 503: busy' });
  });
  it('without an externalRequestId, only failures that cannot have stored anything are retried', () => {
    const noId = { canRetryUncertain: false };
    expect(decide(failed, 0, policy, fixed, noId)).toMatchObject({ action: 'done', outcome: 'gave-up', why: expect.stringContaining('no externalRequestId') });
    expect(decide({ ...failed, notDelivered: true }, 0, policy, fixed, noId).action).toBe('retry');
    expect(decide(throttled, 0, policy, fixed, noId).action).toBe('retry');
    expect(decide({ kind: 'not-api', status: 200, message: 'portal' }, 0, policy, fixed, noId)).toMatchObject({ action: 'done', outcome: 'not-api' });
  });
  it('an answer that is not the API\'s is retried like a 5xx and, if it persists, ends as not-api', () => {
    const foreign: Verdict = { kind: 'not-api', status: 200, message: 'not the Opsmeter API — a proxy or portal? …' };
    expect(decide(foreign, 0, policy, fixed)).toEqual({ action: 'retry', delayMs: backoffMs(0, policy, fixed), throttled: false });
    expect(decide(foreign, 2, policy, fixed)).toEqual({ action: 'done', outcome: 'not-api', why: 'not the Opsmeter API — a proxy or portal? … (after 2 retries)' });
  });
  it('a connection that could not be made waits for the server (no retry used) in the sender; elsewhere it is a retry', () => {
    const refused: Verdict = { kind: 'failed', message: 'connection refused', notDelivered: true };
    expect(decide(refused, 2, policy, fixed, { waitForServer: true })).toEqual({ action: 'wait-for-server' });
    expect(decide(refused, 2, policy, fixed)).toMatchObject({ action: 'done', outcome: 'gave-up' });
    // A 408 was answered by a server: it is a retry like any other.
    expect(decide({ kind: 'failed', status: 408, message: 'HTTP 408', notDelivered: true }, 2, policy, fixed, { waitForServer: true })).toMatchObject({ action: 'done' });
  });
  it('backoff grows, stays within [step/2, step] and under the cap', () => {
    const p = { ...DEFAULT_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffMs(0, p, () => 0)).toBe(50);
    expect(backoffMs(0, p, () => 1)).toBe(100);
    expect(backoffMs(2, p, () => 0)).toBe(200);
    expect(backoffMs(2, p, () => 1)).toBe(400);
    expect(backoffMs(10, p, () => 1)).toBe(1000);
    expect(backoffMs(1000, p, () => 0.5)).toBe(750);
  });
});
