/**
 * The emulator's admin API (src/emulator/admin.ts) over a real socket on 127.0.0.1, and the
 * same controls on the in-process Emulator (requests(), reset(), setFaults()): what was
 * received, the rows, a reset, and faults changed mid-run answering the next request.
 */
import { request as httpRequest } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLoopbackAddress } from '../../src/emulator/admin.js';
import { DEFAULT_EMULATOR_KEY, type AdminEvent, type Emulator, type RequestRecord } from '../../src/emulator/server.js';
import { startEmulatorForTest as start } from '../helpers/emulators.js';
import { cleanPayload } from '../helpers/payloads.js';

const dir = mkdtempSync(join(tmpdir(), 'opsmeter-admin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const payload = (id: string, extra: Record<string, unknown> = {}) =>
  cleanPayload({ externalRequestId: id, dataMode: 'test', environment: 'staging', createdAt: undefined, ...extra });

async function post(e: Emulator, body: unknown, key = DEFAULT_EMULATOR_KEY): Promise<number> {
  const r = await fetch(e.url + '/v1/ingest/llm-request', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  await r.arrayBuffer();
  return r.status;
}

async function admin(e: Emulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${e.url}/_emulator/${path}`, {
    method,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: r.status, body: await r.json() };
}

describe('GET /_emulator/requests', () => {
  it('lists each request the app sent, in order, with its outcome, id and findings; admin calls are not in it', async () => {
    const e = await start();
    await post(e, payload('ok'));
    await post(e, payload('warn', { promptVersion: 'unknown' }));
    await post(e, payload('bad', { inputTokens: '12' }));
    await post(e, payload('nokey'), 'wrong');
    await fetch(e.url + '/v1/nope');
    const { status, body } = await admin(e, 'GET', 'requests');
    expect(status).toBe(200);
    const list = body.requests as RequestRecord[];
    expect(list.map((r) => [r.number, r.status, r.outcome, r.externalRequestId ?? null, r.findings?.map((f) => f.rule) ?? null])).toEqual([
      [1, 200, 'accepted', 'ok', []],
      [2, 200, 'accepted', 'warn', ['payload/placeholder-value']],
      [3, 400, 'rejected', 'bad', ['payload/type']],
      // Refused before the body was read: no payload was judged.
      [4, 401, 'unauthorized', null, null],
      [5, 404, 'rejected', null, null],
    ]);
    expect(list[2]!.findings![0]).toMatchObject({
      severity: 'error',
      pointer: '/inputTokens',
      message: 'inputTokens must be a JSON number, got the string "12"',
      line: 1,
      column: expect.any(Number),
    });
    expect(list[0]).toMatchObject({
      method: 'POST',
      path: '/v1/ingest/llm-request',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      ms: expect.any(Number),
    });
    expect(body.dropped).toBe(0);
    expect((await admin(e, 'GET', 'requests?since=3')).body.requests.map((r: RequestRecord) => r.number)).toEqual([4, 5]);
    expect((await admin(e, 'GET', 'requests?since=x')).status).toBe(400);
    expect(e.stats().requests).toBe(5); // the admin calls are not counted
    expect(e.requests(4).map((r) => r.number)).toEqual([5]);
  });

  it('keeps the last requestsKept records and says how many it dropped', async () => {
    const e = await start({ requestsKept: 2 });
    for (const id of ['a', 'b', 'c']) await post(e, payload(id));
    const { body } = await admin(e, 'GET', 'requests');
    expect(body.requests.map((r: RequestRecord) => r.externalRequestId)).toEqual(['b', 'c']);
    expect(body.dropped).toBe(1);
  });
});

describe('GET /_emulator/rows', () => {
  it('lists the stored rows, from memory or read back from the store (keepRows: false), alike', async () => {
    const inMemory = await start();
    const store = join(dir, 'rows.jsonl');
    const onDisk = await start({ keepRows: false, store });
    for (const e of [inMemory, onDisk]) for (const id of ['r1', 'r2', 'r1']) await post(e, payload(id));
    const a = await admin(inMemory, 'GET', 'rows');
    const b = await admin(onDisk, 'GET', 'rows');
    expect(a).toEqual({ status: 200, body: { ok: true, rows: [payload('r1'), payload('r2')] } });
    expect(b).toEqual(a);
    const neither = await start({ keepRows: false });
    expect(await admin(neither, 'GET', 'rows')).toMatchObject({ status: 409, body: { ok: false } });
    // The CLI's scratch store without --store writes in batches: what it lists is still every row, deletions and resets included.
    const scratchFile = join(dir, 'scratch.jsonl');
    const scratch = await start({ keepRows: false, store: scratchFile, storeDurable: false });
    for (const id of ['r1', 'r2']) await post(scratch, payload(id));
    expect(readFileSync(scratchFile, 'utf8')).toBe(''); // not written yet: far below a batch
    await post(scratch, payload('r1'));
    expect(await admin(scratch, 'GET', 'rows')).toEqual(a);
    await post(scratch, payload('d1', { dataMode: 'demo', environment: 'dev' }));
    const deleted = await fetch(scratch.url + '/v1/ingest/demo-data', { method: 'DELETE', headers: { authorization: 'Bearer om_user_token_local' } });
    expect(await deleted.json()).toMatchObject({ deleted: 1 });
    expect(await admin(scratch, 'GET', 'rows')).toEqual(a);
    await scratch.reset();
    expect(await admin(scratch, 'GET', 'rows')).toEqual({ status: 200, body: { ok: true, rows: [] } });
  });
});

describe('POST /_emulator/reset', () => {
  it('forgets rows (the store too), counters, the limits and the log; request numbers go on; faults stay', async () => {
    const store = join(dir, 'reset.jsonl');
    const events: AdminEvent[] = [];
    const e = await start({ store, planLimit: 2, onAdmin: (ev) => events.push(ev) });
    await post(e, payload('a'));
    await post(e, payload('b'));
    expect(await post(e, payload('c'))).toBe(402);
    const { status, body } = await admin(e, 'POST', 'reset');
    expect(status).toBe(200);
    expect(body).toEqual({ ok: true, reset: { rows: 2, requests: 3 } });
    expect(events).toEqual([{ kind: 'reset', rows: 2, requests: 3 }]);
    expect(readFileSync(store, 'utf8')).toBe('');
    expect(e.stats()).toMatchObject({ requests: 0, accepted: 0, paused: 0 });
    expect(e.rows()).toEqual([]);
    // The ids are new again and the plan count starts over; the plan limit is still 2.
    expect(await post(e, payload('a'))).toBe(200);
    expect(await post(e, payload('c'))).toBe(200);
    expect(await post(e, payload('d'))).toBe(402);
    expect(e.requests().map((r) => r.number)).toEqual([4, 5, 6]);
  });

  it('restarts the seeded fail-rate sequence, so a test after a reset sees the same faults', async () => {
    const e = await start({ failRate: 0.5, seed: 11 });
    const statuses = async () => {
      const out: number[] = [];
      for (let i = 0; i < 12; i++) out.push(await post(e, payload(`f${i}`)));
      return out;
    };
    const first = await statuses();
    expect(first).toContain(503);
    await e.reset();
    expect(await statuses()).toEqual(first);
  });
});

describe('PATCH /_emulator/faults', () => {
  it('a fault changed mid-run answers the very next request: 429, then 402 (plan, then budget), then 503; null turns it off', async () => {
    const e = await start();
    expect(await post(e, payload('p0'))).toBe(200);
    expect((await admin(e, 'PATCH', 'faults', { rateLimit: 1, retryAfter: 'http-date' })).body.faults).toMatchObject({ rateLimit: 1, retryAfter: 'http-date' });
    expect(await post(e, payload('p1'))).toBe(200); // the burst of 1
    const throttled = await fetch(e.url + '/v1/ingest/llm-request', {
      method: 'POST',
      headers: { 'x-api-key': DEFAULT_EMULATOR_KEY },
      body: JSON.stringify(payload('p2')),
    });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toMatch(/GMT$/);
    await admin(e, 'PATCH', 'faults', { rateLimit: null, planLimit: 2 });
    expect(await post(e, payload('p3'))).toBe(402);
    await admin(e, 'PATCH', 'faults', { planLimit: null, budgetUsd: 0.000001, budgetMode: 'hard' });
    const blocked = await fetch(e.url + '/v1/ingest/llm-request', {
      method: 'POST',
      headers: { 'x-api-key': DEFAULT_EMULATOR_KEY },
      body: JSON.stringify(payload('p4')),
    });
    expect(blocked.status).toBe(402);
    expect(await blocked.json()).toMatchObject({ reason: 'budget_exceeded' });
    await admin(e, 'PATCH', 'faults', { budgetUsd: null, failRate: 1 });
    expect(await post(e, payload('p5'))).toBe(503);
    const normal = await admin(e, 'PATCH', 'faults', { failRate: null, budgetMode: null });
    expect(normal.body.faults).toEqual({
      planTier: 'Free',
      planLimit: null,
      budgetUsd: null,
      budgetMode: 'soft',
      rateLimit: null,
      failRate: 0,
      latencyMs: 0,
      retryAfter: 'http-date',
    });
    expect(await post(e, payload('p6'))).toBe(200);
    expect((await admin(e, 'GET', 'faults')).body.faults).toEqual(normal.body.faults);
  });

  it('a bad change is a 400 naming the field, and changes nothing (not even the fields before it)', async () => {
    const e = await start({ planLimit: 5 });
    const before = (await admin(e, 'GET', 'faults')).body.faults;
    const cases: [unknown, RegExp][] = [
      [{ planLimit: 1, failRate: 2 }, /failRate must be between 0 and 1, got 2/],
      [{ rateLimit: '5' }, /rateLimit must be a number or null, got "5"/],
      [{ budgetMode: 'strict' }, /budgetMode must be one of soft, hard/],
      [{ retryAfter: 'later' }, /retryAfterMode must be one of seconds, http-date, none/],
      [{ planLimt: 1 }, /unknown fault setting "planLimt"/],
      [{ planTier: '' }, /planTier must be a non-empty string/],
      [[1], /send a JSON object/],
      ['{"planLimit":', /invalid JSON/],
    ];
    for (const [body, message] of cases) {
      const r = await admin(e, 'PATCH', 'faults', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toMatch(message);
    }
    expect((await admin(e, 'GET', 'faults')).body.faults).toEqual(before);
  });
});

describe('the admin API itself', () => {
  it('unknown endpoints are 404 naming the real ones; a wrong method is 405 with Allow', async () => {
    const e = await start();
    const missing = await admin(e, 'GET', 'stats');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain('/_emulator/requests');
    const wrong = await fetch(`${e.url}/_emulator/reset`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('answers a loopback client only when its Host header names this machine (no DNS rebinding)', async () => {
    const e = await start();
    const withHost = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: e.port, path: '/_emulator/requests', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await withHost('attacker.example:80')).toBe(403);
    for (const host of [`127.0.0.1:${e.port}`, `localhost:${e.port}`, `[::1]:${e.port}`, `app.localhost:${e.port}`])
      expect(await withHost(host), host).toBe(200);
    expect([
      isLoopbackAddress('127.0.0.1'),
      isLoopbackAddress('::ffff:127.0.0.1'),
      isLoopbackAddress('::1'),
      isLoopbackAddress('10.0.0.5'),
      isLoopbackAddress('::ffff:192.168.1.2'),
      isLoopbackAddress(undefined),
    ]).toEqual([true, true, true, false, false, false]);
  });
});

describe('the same controls in process', () => {
  it('setFaults() changes the next answer and returns the settings; a bad value throws and changes nothing', async () => {
    const e = await start();
    expect(e.setFaults({ failRate: 1 })).toMatchObject({ failRate: 1 });
    expect(await post(e, payload('x'))).toBe(503);
    expect(() => e.setFaults({ failRate: 0, latencyMs: -1 })).toThrow(RangeError);
    expect(e.faults().failRate).toBe(1);
    e.setFaults({ failRate: null });
    expect(await post(e, payload('x'))).toBe(200);
    expect(e.requests().map((r) => r.status)).toEqual([503, 200]);
    expect(await e.reset()).toEqual({ rows: 1, requests: 2 });
    expect([e.rows(), e.requests()]).toEqual([[], []]);
  });
});
