/**
 * The emulator's endpoints, statuses and robustness, against a real server on 127.0.0.1
 * started per test (port 0) and closed after it.
 */
import { startEmulatorForTest } from '../helpers/emulators.js';
import { cleanPayload } from '../helpers/payloads.js';
import { readFile, mkdtemp, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinCatalog, catalogFromJson } from '../../src/contract/catalog.js';
import { lintPayload } from '../../src/contract/lint.js';
import { DEFAULT_EMULATOR_KEY, MAX_BODY_BYTES, startEmulator, type Emulator, type RequestLogEntry } from '../../src/emulator/server.js';

const KEY = DEFAULT_EMULATOR_KEY;
const INGEST = '/v1/ingest/llm-request';

const start = startEmulatorForTest;

/** A clean test-mode payload (without the optional null fields). */
function payload(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return cleanPayload({ externalRequestId: id, errorCode: undefined, userId: undefined, dataMode: 'test', environment: 'staging', ...extra });
}

async function post(e: Emulator, body: unknown, opts: { path?: string; key?: string | undefined } = {}) {
  const path = opts.path ?? INGEST;
  const key = 'key' in opts ? opts.key : KEY;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers['x-api-key'] = key;
  const res = await fetch(e.url + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

async function get(e: Emulator, path: string, key: string | undefined = KEY) {
  const res = await fetch(e.url + path, { headers: key === undefined ? {} : { 'x-api-key': key } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

/** A raw http.request, so a test controls how the body is written. */
function rawRequest(e: Emulator, opts: { method?: string; path?: string; headers?: Record<string, string | number>; agent?: Agent }) {
  return httpRequest(e.url + (opts.path ?? INGEST), { method: opts.method ?? 'POST', headers: { 'x-api-key': KEY, ...opts.headers }, agent: opts.agent });
}
function responseOf(req: ReturnType<typeof httpRequest>): Promise<{ res: IncomingMessage; text: string }> {
  return new Promise((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ res, text }));
    });
  });
}

describe('POST /v1/ingest/llm-request', () => {
  it('accepts a valid payload with the documented body fields and keeps the row', async () => {
    const e = await start();
    const r = await post(e, payload('ext_1'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body).toEqual({
      ok: true,
      planTier: 'Free',
      warnings: [],
      budgetWarning: false,
      budgetExceeded: false,
      planLimitRequests: null,
      freeLimitRemainingRequests: null,
      reason: null,
      telemetryPaused: false,
      isPlanLimitReached: false,
      providerCallsContinue: true,
    });
    expect(e.rows()).toEqual([payload('ext_1')]);
    expect(e.stats()).toMatchObject({ requests: 1, accepted: 1 });
  });

  it('a minimal independent client (plain fetch + X-API-Key, as the official examples send) gets ok, planTier and warnings', async () => {
    const e = await start({ apiKey: 'workspace-key-123' });
    // Opsmeter's official example payload (payload-anthropic-test.json), sent as its examples send it.
    const official = {
      externalRequestId: 'ext_339d2ac074f5ebd702ad95f2',
      provider: 'anthropic',
      model: 'claude-3-5-sonnet-20241022',
      promptVersion: 'support_reply_v2',
      endpointTag: 'support.reply',
      inputTokens: 480,
      outputTokens: 210,
      totalTokens: 690,
      latencyMs: 1360,
      status: 'success',
      errorCode: null,
      userId: null,
      dataMode: 'test',
      environment: 'staging',
    };
    const res = await fetch(`${e.url}/v1/ingest/llm-request`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': 'workspace-key-123' },
      body: JSON.stringify(official),
    });
    expect(res.ok).toBe(true);
    const data = (await res.json()) as { ok: boolean; planTier: string; warnings: unknown[] };
    expect(data.ok).toBe(true);
    expect(data.planTier).toBe('Free');
    expect(Array.isArray(data.warnings)).toBe(true);
    expect(e.rows()).toHaveLength(1);
  });

  it('does not count a duplicate externalRequestId: 200 with a warning and no second row', async () => {
    const e = await start();
    await post(e, payload('ext_dup'));
    const again = await post(e, payload('ext_dup', { inputTokens: 999 }));
    expect(again.status).toBe(200);
    expect(again.body.ok).toBe(true);
    expect(again.body.warnings).toEqual(['duplicate externalRequestId: not counted']);
    expect(e.rows()).toHaveLength(1);
    expect(e.rows()[0]!.inputTokens).toBe(120);
    expect(e.stats()).toMatchObject({ accepted: 1, duplicates: 1 });
  });

  it('accepts payloads without externalRequestId each time (nothing to deduplicate on)', async () => {
    const e = await start();
    const p = payload('x');
    delete p.externalRequestId;
    expect((await post(e, p)).status).toBe(200);
    expect((await post(e, p)).status).toBe(200);
    expect(e.rows()).toHaveLength(2);
  });

  it('400 lists every contract error with its JSON pointer and rule id', async () => {
    const e = await start();
    const r = await post(e, payload('ext_bad', { inputTokens: '12', environment: 'Prod', status: undefined, createdAt: 'yesterday' }));
    expect(r.status).toBe(400);
    expect(r.body.ok).toBe(false);
    expect(typeof r.body.error).toBe('string');
    const byPointer = Object.fromEntries((r.body.errors as Array<{ pointer: string; rule: string; message: string }>).map((x) => [x.pointer, x]));
    expect(Object.keys(byPointer).sort()).toEqual(['/createdAt', '/environment', '/inputTokens', '/status']);
    expect(byPointer['/inputTokens']).toMatchObject({ rule: 'payload/type' });
    expect(byPointer['/environment']).toMatchObject({ rule: 'payload/enum', hint: 'use "prod" (exact lowercase)' });
    expect(byPointer['/status']).toMatchObject({ rule: 'payload/required', message: 'status is required' });
    expect(byPointer['/createdAt']).toMatchObject({ rule: 'payload/created-at' });
    expect(e.rows()).toHaveLength(0);
    expect(e.stats()).toMatchObject({ rejected: 1, accepted: 0 });
  });

  it('a pointer inside metadata is escaped per RFC 6901', async () => {
    const e = await start();
    const r = await post(e, payload('ext_meta', { metadata: { 'a/b': { nested: true } } }));
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([expect.objectContaining({ pointer: '/metadata/a~1b', rule: 'payload/metadata' })]);
  });

  it('lint warnings do not block and are not echoed (warnings is for server notes)', async () => {
    const e = await start();
    const r = await post(e, payload('ext_warn', { model: 'gpt-4.1', promptVersion: undefined, surprise: 1 }));
    expect(r.status).toBe(200);
    expect(r.body.warnings).toEqual([]);
  });

  it('malformed JSON → 400 json/syntax with an empty pointer', async () => {
    const e = await start();
    for (const text of ['{"provider": "openai",', 'not json', '{"a":1}}']) {
      const r = await post(e, text);
      expect(r.status).toBe(400);
      expect(r.body.errors).toEqual([expect.objectContaining({ pointer: '', rule: 'json/syntax' })]);
      expect(r.body.error).toMatch(/^invalid JSON/);
    }
  });

  it('an empty body, a JSON array and a scalar are refused as not-a-payload', async () => {
    const e = await start();
    const empty = await post(e, '');
    expect(empty.status).toBe(400);
    expect(empty.body.errors[0]).toMatchObject({ pointer: '', rule: 'payload/not-object' });
    for (const body of ['[{"provider":"openai"}]', '42', 'null']) {
      const r = await post(e, body);
      expect(r.status).toBe(400);
      expect(r.body.errors[0]).toMatchObject({ pointer: '', rule: 'payload/not-object' });
    }
  });

  it('accepts a body with a UTF-8 BOM', async () => {
    const e = await start();
    const r = await post(e, '\ufeff' + JSON.stringify(payload('ext_bom')));
    expect(r.status).toBe(200);
  });

  it('huge numbers (1e400) are rejected, not stored as Infinity', async () => {
    const e = await start();
    const r = await post(e, JSON.stringify(payload('ext_big')).replace('"inputTokens":120', '"inputTokens":1e400'));
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatchObject({ pointer: '/inputTokens', rule: 'payload/count' });
  });
});

describe('auth', () => {
  it('missing or wrong X-API-Key → 401 {ok:false, error}', async () => {
    const e = await start({ apiKey: 'right-key' });
    const missing = await post(e, payload('a'), { key: undefined });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ ok: false, error: 'missing X-API-Key header' });
    const wrong = await post(e, payload('a'), { key: 'wrong-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ ok: false, error: 'invalid API key' });
    expect((await post(e, payload('a'), { key: 'short' })).status).toBe(401);
    expect((await post(e, payload('a'), { key: DEFAULT_EMULATOR_KEY })).status).toBe(401);
    expect((await post(e, {}, { path: '/v1/ingest/demo', key: 'wrong-key' })).status).toBe(401);
    expect((await get(e, '/v1/diagnostics/workspace-status', undefined)).status).toBe(401);
    expect((await get(e, '/v1/diagnostics/workspace-status', 'nope')).status).toBe(401);
    expect(e.stats()).toMatchObject({ unauthorized: 7, accepted: 0 });
    expect(e.rows()).toHaveLength(0);
  });

  it('an error body never echoes the key that was sent', async () => {
    const e = await start({ apiKey: 'right-key' });
    const res = await fetch(e.url + INGEST, { method: 'POST', headers: { 'x-api-key': 'sk-secret-value' }, body: '{}' });
    expect(await res.text()).not.toContain('sk-secret-value');
  });

  it('auth is checked before the body is read: an unauthorised huge body still gets 401', async () => {
    const e = await start();
    const req = rawRequest(e, { headers: { 'x-api-key': 'wrong', 'content-length': 3 * MAX_BODY_BYTES } });
    const done = responseOf(req);
    req.end(Buffer.alloc(3 * MAX_BODY_BYTES, 0x20));
    const { res } = await done;
    expect(res.statusCode).toBe(401);
  });
});

describe('routing', () => {
  it('unknown paths → 404 JSON; wrong methods → 405 with Allow', async () => {
    const e = await start();
    const nf = await get(e, '/v1/nope');
    expect(nf.status).toBe(404);
    expect(nf.body).toEqual({ ok: false, error: 'no such endpoint: /v1/nope' });
    const m1 = await get(e, INGEST);
    expect(m1.status).toBe(405);
    expect(m1.headers.get('allow')).toBe('POST');
    expect(m1.body.ok).toBe(false);
    const m2 = await fetch(e.url + '/v1/diagnostics/workspace-status', { method: 'DELETE', headers: { 'x-api-key': KEY } });
    expect(m2.status).toBe(405);
    expect(m2.headers.get('allow')).toBe('GET, HEAD');
    expect(m2.headers.get('content-type')).toMatch(/^application\/json/);
    const m3 = await post(e, {}, { path: '/v1/public/pricing-models' });
    expect(m3.status).toBe(405);
  });

  it('a query string does not change the route', async () => {
    const e = await start();
    expect((await post(e, payload('q1'), { path: INGEST + '?source=test' })).status).toBe(200);
  });
});

describe('POST /v1/ingest/demo', () => {
  it('an empty body makes one realistic, contract-valid demo row', async () => {
    const e = await start({ seed: 3 });
    const r = await fetch(e.url + '/v1/ingest/demo', { method: 'POST', headers: { 'X-API-Key': KEY } });
    expect(r.status).toBe(200);
    const body = (await r.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: true, planTier: 'Free', warnings: [] });
    expect(e.rows()).toHaveLength(1);
    const row = e.rows()[0]!;
    expect(row).toMatchObject({ dataMode: 'demo', environment: 'dev' });
    expect(row.externalRequestId).toMatch(/^demo_/);
    expect(builtinCatalog().get(row.provider, row.model)).toBeDefined();
    // No errors and no warnings at all under the shared contract.
    expect(lintPayload(row, { catalog: builtinCatalog(), now: Date.now() })).toEqual([]);
  });

  it('a posted payload is stored with dataMode forced to demo', async () => {
    const e = await start();
    const r = await post(e, payload('ext_demo', { dataMode: 'real', environment: undefined }), { path: '/v1/ingest/demo' });
    expect(r.status).toBe(200);
    expect(e.rows()[0]).toMatchObject({ externalRequestId: 'ext_demo', dataMode: 'demo', environment: 'dev' });
    const kept = await post(e, payload('ext_demo2', { environment: 'staging' }), { path: '/v1/ingest/demo' });
    expect(kept.status).toBe(200);
    expect(e.rows()[1]).toMatchObject({ dataMode: 'demo', environment: 'staging' });
  });

  it('an invalid posted payload is still a 400 with pointers', async () => {
    const e = await start();
    const r = await post(e, { provider: 'openai' }, { path: '/v1/ingest/demo' });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((x: { pointer: string }) => x.pointer)).toContain('/model');
    expect(e.rows()).toHaveLength(0);
  });
});

describe('GET /v1/diagnostics/workspace-status', () => {
  it('has the documented shape and reflects the emulator state', async () => {
    const e = await start({ planLimit: 10, planTier: 'Starter', budgetUsd: 100 });
    for (let i = 0; i < 3; i++) await post(e, payload(`ws_${i}`));
    const r = await get(e, '/v1/diagnostics/workspace-status');
    expect(r.status).toBe(200);
    const s = r.body;
    expect(Object.keys(s).sort()).toEqual(
      ['budget', 'isBudgetExceeded', 'isBudgetWarning', 'isPlanLimitReached', 'plan', 'providerCallsContinue', 'severity', 'telemetryPaused', 'workspaceId'].sort(),
    );
    expect(s.workspaceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s).toMatchObject({ isPlanLimitReached: false, telemetryPaused: false, providerCallsContinue: true, isBudgetWarning: false, isBudgetExceeded: false, severity: 'normal' });
    expect(Object.keys(s.plan).sort()).toEqual(
      ['currentRequestCount', 'isPlanLimitReached', 'periodEnd', 'periodStart', 'planName', 'planRequestLimit', 'planTier', 'remainingRequestCount', 'telemetryPaused'].sort(),
    );
    expect(s.plan).toMatchObject({ planTier: 'starter', planName: 'Starter', currentRequestCount: 3, planRequestLimit: 10, remainingRequestCount: 7 });
    expect(s.plan.periodStart).toMatch(/^\d{4}-\d{2}-01T00:00:00Z$/);
    expect(s.plan.periodEnd).toMatch(/^\d{4}-\d{2}-\d{2}T23:59:59Z$/);
    expect(s.budget.warningThresholdRatio).toBe(0.8);
    for (const period of ['daily', 'monthly'] as const) {
      const w = s.budget[period];
      expect(Object.keys(w).sort()).toEqual(['currentSpendUsd', 'isExceeded', 'isWarning', 'limitUsd', 'period', 'periodEnd', 'periodStart', 'utilizationRatio']);
      expect(w).toMatchObject({ limitUsd: 100, period, isWarning: false, isExceeded: false });
      // 3 rows × (120 × $0.15 + 45 × $0.60) per 1M tokens.
      expect(w.currentSpendUsd).toBeCloseTo((3 * (120 * 0.15 + 45 * 0.6)) / 1e6, 9);
    }
    expect(s.budget.daily.periodStart).toMatch(/T00:00:00Z$/);
  });

  it('says null for limits the emulator does not have', async () => {
    const e = await start();
    const s = (await get(e, '/v1/diagnostics/workspace-status')).body;
    expect(s.plan.planRequestLimit).toBeNull();
    expect(s.plan.remainingRequestCount).toBeNull();
    expect(s.budget.daily.limitUsd).toBeNull();
    expect(s.budget.daily.utilizationRatio).toBeNull();
    expect(s.severity).toBe('normal');
  });

  it('severity: warning near the plan limit, critical when reached', async () => {
    const e = await start({ planLimit: 5 });
    for (let i = 0; i < 4; i++) await post(e, payload(`sv_${i}`));
    expect((await get(e, '/v1/diagnostics/workspace-status')).body.severity).toBe('warning');
    await post(e, payload('sv_4'));
    const s = (await get(e, '/v1/diagnostics/workspace-status')).body;
    expect(s).toMatchObject({ severity: 'critical', isPlanLimitReached: true, telemetryPaused: true });
    expect(s.plan).toMatchObject({ currentRequestCount: 5, remainingRequestCount: 0, isPlanLimitReached: true });
  });

  it('answers HEAD without a body', async () => {
    const e = await start();
    const r = await fetch(e.url + '/v1/diagnostics/workspace-status', { method: 'HEAD', headers: { 'x-api-key': KEY } });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('');
  });
});

describe('GET /v1/public/pricing-models', () => {
  it('serves the catalog without a key, and it round-trips through catalogFromJson', async () => {
    const e = await start();
    const r = await get(e, '/v1/public/pricing-models', undefined);
    expect(r.status).toBe(200);
    const builtin = builtinCatalog();
    expect(r.body.date).toBe(builtin.date);
    const back = catalogFromJson(r.body, 'emulator');
    expect(back.size).toBe(builtin.size);
    expect(back.date).toBe(builtin.date);
    expect(back.get('openai', 'gpt-4o-mini')).toMatchObject({ inputPer1M: 0.15, outputPer1M: 0.6 });
    for (const entry of builtin.list()) {
      const got = back.get(entry.provider, entry.model);
      expect(got && [got.inputPer1M, got.outputPer1M, got.cacheReadPer1M, got.cacheWritePer1M]).toEqual([
        entry.inputPer1M,
        entry.outputPer1M,
        entry.cacheReadPer1M,
        entry.cacheWritePer1M,
      ]);
    }
  });

  it('serves a custom catalog when given one', async () => {
    const catalog = catalogFromJson({ date: '2030-01-01', models: [{ provider: 'acme', model: 'm1', inputPer1M: 1, outputPer1M: 2 }] }, 'test');
    const e = await start({ catalog });
    const back = catalogFromJson((await get(e, '/v1/public/pricing-models')).body, 'x');
    expect(back.list()).toEqual([expect.objectContaining({ provider: 'acme', model: 'm1', inputPer1M: 1, outputPer1M: 2 })]);
    expect(back.date).toBe('2030-01-01');
  });
});

describe('--store', () => {
  it('appends exactly the accepted rows as JSONL after the rows already there (which count as stored)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'opsmeter-emu-'));
    const store = join(dir, 'rows.jsonl');
    await writeFile(store, '{"earlier":"line"}\n');
    const e = await start({ store });
    expect(e.restored).toEqual({ rows: 1 });
    await post(e, payload('s1'));
    await post(e, payload('s1')); // duplicate
    await post(e, payload('s2', { inputTokens: 'x' })); // rejected
    await post(e, payload('s3'));
    expect((await post(e, '', { path: '/v1/ingest/demo' })).status).toBe(200);
    await e.close();
    const lines = (await readFile(store, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines[0]).toBe('{"earlier":"line"}');
    const stored = lines.map((l) => JSON.parse(l));
    expect(stored).toEqual(e.rows());
    expect(stored.map((r) => r.externalRequestId).slice(1, 3)).toEqual(['s1', 's3']);
    expect(stored[3].dataMode).toBe('demo');
  });

  it('refuses to start when the store cannot be opened', async () => {
    await expect(startEmulator({ port: 0, store: join(tmpdir(), 'no-such-dir-opsmeter', 'x.jsonl') })).rejects.toThrow(/cannot open store .*ENOENT/);
  });
});

describe('robustness', () => {
  it('body over the cap → 413 (streamed and declared), and the server keeps serving', async () => {
    const e = await start();
    const big = Buffer.alloc(MAX_BODY_BYTES + 10, 0x20);
    // Chunked: the cap is found while reading.
    const chunked = rawRequest(e, { headers: { 'content-type': 'application/json' } });
    const r1 = responseOf(chunked);
    for (let i = 0; i < big.length; i += 65536) chunked.write(big.subarray(i, i + 65536));
    chunked.end();
    const a = await r1;
    expect(a.res.statusCode).toBe(413);
    expect(JSON.parse(a.text)).toMatchObject({ ok: false });
    // Declared by Content-Length.
    const declared = rawRequest(e, { headers: { 'content-length': big.length } });
    const r2 = responseOf(declared);
    declared.end(big);
    expect((await r2).res.statusCode).toBe(413);
    expect((await post(e, payload('after-big'))).status).toBe(200);
    expect(e.stats()).toMatchObject({ rejected: 2, accepted: 1 });
  });

  it('a body exactly at the cap is read (and judged on its content)', async () => {
    const e = await start();
    const json = JSON.stringify(payload('cap'));
    const body = json + ' '.repeat(MAX_BODY_BYTES - Buffer.byteLength(json));
    const r = await post(e, body);
    expect(r.status).toBe(200);
  });

  it('garbage bytes get a 400 and a closed socket; the server keeps serving', async () => {
    const e = await start();
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = connect(e.port, '127.0.0.1');
      let text = '';
      sock.on('data', (d) => (text += d.toString('latin1')));
      sock.on('error', reject);
      sock.on('close', () => resolve(text));
      sock.write(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a, 0x47, 0x45]));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('"ok":false');
    expect((await post(e, payload('after-garbage'))).status).toBe(200);
  });

  it('invalid UTF-8 inside a JSON string is not a crash', async () => {
    const e = await start();
    const json = Buffer.from(JSON.stringify(payload('utf', { endpointTag: 'XX' })));
    const i = json.indexOf('XX');
    json[i] = 0xc3;
    json[i + 1] = 0x28; // an invalid 2-byte sequence
    const req = rawRequest(e, { headers: { 'content-type': 'application/json' } });
    const r = responseOf(req);
    req.end(json);
    expect([200, 400]).toContain((await r).res.statusCode);
    expect((await post(e, payload('after-utf'))).status).toBe(200);
  });

  it('a slow body does not block other requests, and close() does not wait for it', async () => {
    const e = await start();
    const slow = rawRequest(e, { headers: { 'content-length': 500 } });
    slow.on('error', () => {}); // close() cuts it off
    slow.write('{"provider":');
    slow.flushHeaders();
    expect((await post(e, payload('while-slow'))).status).toBe(200);
    await e.close(); // resolves although the slow request never finished
    expect(e.rows()).toHaveLength(1);
  });

  it('a client that aborts mid-body is logged as aborted and nothing is stored', async () => {
    const entries: RequestLogEntry[] = [];
    let aborted!: () => void;
    const sawAbort = new Promise<void>((r) => (aborted = r));
    const e = await start({
      onRequest: (x) => {
        entries.push(x);
        if (x.outcome === 'aborted') aborted();
      },
    });
    const req = rawRequest(e, { headers: { 'content-length': 1000 } });
    req.on('error', () => {});
    // Disconnect once the partial body has reached the kernel (no fixed sleep: slow machines).
    req.write('{"externalRequestId":"half"', () => req.destroy());
    await sawAbort;
    expect(e.rows()).toHaveLength(0);
    expect((await post(e, payload('after-abort'))).status).toBe(200);
    expect(entries.map((x) => x.outcome)).toEqual(['aborted', 'accepted']);
  });

  it('keeps connections alive across many sequential requests', async () => {
    const e = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      let reused = 0;
      for (let i = 0; i < 50; i++) {
        const req = rawRequest(e, { agent, headers: { 'content-type': 'application/json' } });
        const r = responseOf(req);
        req.end(JSON.stringify(payload(`ka_${i}`)));
        const { res } = await r;
        expect(res.statusCode).toBe(200);
        if (req.reusedSocket) reused++;
      }
      expect(reused).toBe(49);
    } finally {
      agent.destroy();
    }
  });

  it('concurrent requests: every unique id accepted once, no row lost or doubled', async () => {
    const e = await start();
    const ids = Array.from({ length: 300 }, (_, i) => `cc_${i % 200}`); // 100 ids sent twice
    const results = await Promise.all(ids.map((id) => post(e, payload(id))));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(e.rows()).toHaveLength(200);
    expect(new Set(e.rows().map((r) => r.externalRequestId)).size).toBe(200);
    expect(e.stats()).toMatchObject({ requests: 300, accepted: 200, duplicates: 100 });
  });

  it('close() is idempotent and the port is free afterwards', async () => {
    const e = await start();
    await post(e, payload('c1'));
    await Promise.all([e.close(), e.close()]);
    const again = await start({ port: e.port });
    expect(again.port).toBe(e.port);
  });

  it('rejects nonsensical options up front', async () => {
    await expect(startEmulator({ port: 0, failRate: 1.5 })).rejects.toThrow(/failRate/);
    await expect(startEmulator({ port: 0, rateLimit: 0 })).rejects.toThrow(/rateLimit/);
    await expect(startEmulator({ port: 0, planLimit: -1 })).rejects.toThrow(/planLimit/);
    await expect(startEmulator({ port: 70000 })).rejects.toThrow(/port/);
    await expect(startEmulator({ port: 0, apiKey: '' })).rejects.toThrow(/apiKey/);
  });
});
