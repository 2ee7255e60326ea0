/**
 * The emulator against the documented API and Opsmeter's own clients (docs/emulate.md
 * "What is modelled"): driven as those clients do — plain fetch with Content-Type and
 * X-API-Key (the Node SDK's postTelemetry), an undici request with raw bytes, and a
 * dashboard client with `Authorization: Bearer`. Each server runs on 127.0.0.1, port 0.
 */
import { startEmulatorForTest } from '../helpers/emulators.js';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { lintPayload } from '../../src/contract/lint.js';
import { DEFAULT_EMULATOR_KEY, DEFAULT_EMULATOR_TOKEN, startEmulator, type Emulator } from '../../src/emulator/server.js';

const KEY = DEFAULT_EMULATOR_KEY;
const TOKEN = DEFAULT_EMULATOR_TOKEN;

const start = startEmulatorForTest;

/** What the official Node SDK (0.1.0-beta.3) builds for one chat completion. */
function sdkPayload(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    externalRequestId: id,
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptVersion: 'summarizer_v3',
    endpointTag: 'checkout.ai_summary',
    inputTokens: 120,
    outputTokens: 45,
    totalTokens: 165,
    latencyMs: 640,
    status: 'success',
    errorCode: null,
    userId: null,
    dataMode: 'test',
    environment: 'staging',
    metadata: { operation: 'chat.completions.create', tenantId: null, endpoint: null, feature: 'checkout.ai_summary', providerRequestId: 'chatcmpl-1', sdkLanguage: 'node' },
    ...extra,
  };
}

/** The SDK's postTelemetry: fetch, JSON body, X-API-Key; the body parsed or kept raw. */
async function sdkPost(e: Emulator, payload: unknown, path = '/v1/ingest/llm-request') {
  const res = await fetch(e.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': KEY }, body: JSON.stringify(payload) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, any> };
}

/** A dashboard client: Authorization: Bearer <token>. */
async function bearer(e: Emulator, method: 'GET' | 'DELETE', path: string, token: string | null = TOKEN, headers: Record<string, string> = {}) {
  const res = await fetch(e.url + path, { method, headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...headers } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

async function status(e: Emulator) {
  return (await bearer(e, 'GET', '/v1/settings/workspace-status')).body;
}

describe('no stricter than the documented API', () => {
  it('a PII-looking userId is accepted (200) with a warning; validate still reports it as an error', async () => {
    const e = await start();
    const p = sdkPayload('ext_pii_1', { userId: 'jane.doe@example.com' });
    const r = await sdkPost(e, p);
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(true);
    expect(r.body.warnings).toHaveLength(1);
    expect(r.body.warnings[0]).toMatch(/^userId looks like an e-mail address.*\(accepted; opsmeter validate reports payload\/pii-user-id\)$/);
    expect(e.rows().map((x) => x.externalRequestId)).toEqual(['ext_pii_1']);
    const lint = lintPayload(p, { catalog: builtinCatalog(), now: Date.now() });
    expect(lint.filter((f) => f.rule.severity === 'error').map((f) => f.rule.id)).toEqual(['payload/pii-user-id']);
  });

  it('the PII warning is still given on a duplicate, next to the duplicate note', async () => {
    const e = await start();
    const p = sdkPayload('ext_pii_2', { userId: '+1 (415) 555-0134' });
    await sdkPost(e, p);
    const again = await sdkPost(e, p);
    expect(again.body.warnings[0]).toBe('duplicate externalRequestId: not counted');
    expect(again.body.warnings[1]).toMatch(/^userId looks like a phone number/);
    expect(e.rows()).toHaveLength(1);
  });

  it('invalid UTF-8 in a body is a 400 json/encoding, not a row with U+FFFD in it', async () => {
    const e = await start();
    const json = JSON.stringify(sdkPayload('ext_utf8_XX'));
    const at = json.indexOf('XX');
    // 0xC3 0x28 is an invalid two-byte sequence; decoded loosely both ids below would become "ext_utf8_�(".
    for (const bad of [Buffer.from([0xc3, 0x28]), Buffer.from([0xff, 0x28])]) {
      const body = Buffer.concat([Buffer.from(json.slice(0, at)), bad, Buffer.from(json.slice(at + 2))]);
      const res = await request(e.url + '/v1/ingest/llm-request', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body });
      expect(res.statusCode).toBe(400);
      const b = (await res.body.json()) as Record<string, any>;
      expect(b).toMatchObject({ ok: false, error: 'invalid payload: the body is not valid UTF-8' });
      expect(b.errors).toEqual([{ pointer: '', message: 'the body is not valid UTF-8', rule: 'json/encoding' }]);
    }
    expect(e.rows()).toHaveLength(0);
    // Valid multi-byte UTF-8 (and a BOM) is fine.
    const ok = await request(e.url + '/v1/ingest/llm-request', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: Buffer.from('\uFEFF' + JSON.stringify(sdkPayload('ext_utf8_é✓'))),
    });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    expect(e.rows()[0]!.externalRequestId).toBe('ext_utf8_é✓');
  });
});

describe('the Bearer endpoints', () => {
  it('GET /v1/settings/workspace-status answers the diagnostics body to a dashboard token', async () => {
    const e = await start({ planLimit: 10 });
    await sdkPost(e, sdkPayload('ext_b1'));
    const viaKey = (await (await fetch(e.url + '/v1/diagnostics/workspace-status', { headers: { 'X-API-Key': KEY } })).json()) as Record<string, any>;
    const viaToken = await bearer(e, 'GET', '/v1/settings/workspace-status');
    expect(viaToken.status).toBe(200);
    expect(viaToken.body).toEqual(viaKey);
    expect(viaToken.body.plan).toMatchObject({ currentRequestCount: 1, planRequestLimit: 10 });
  });

  it('a missing or wrong token is 401; the workspace API key is not a dashboard token', async () => {
    const e = await start({ bearerToken: 'tok_right' });
    for (const [path, method] of [
      ['/v1/settings/workspace-status', 'GET'],
      ['/v1/ingest/test-data?scope=mine', 'DELETE'],
      ['/v1/ingest/demo-data?scope=workspace', 'DELETE'],
    ] as const) {
      const none = await bearer(e, method, path, null);
      expect(none.status, path).toBe(401);
      expect(none.body.error).toBe('missing Authorization: Bearer header');
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      const wrong = await bearer(e, method, path, 'tok_wrong');
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid token');
      const key = await bearer(e, method, path, null, { 'X-API-Key': KEY });
      expect(key.status).toBe(401);
      expect(key.body.error).toMatch(/takes a dashboard user's token \(Authorization: Bearer …\), not the workspace API key/);
      expect((await bearer(e, method, path, 'tok_right')).status).toBe(200);
    }
    // And the other way round: a token does not open the X-API-Key endpoints.
    const res = await fetch(e.url + '/v1/ingest/llm-request', { method: 'POST', headers: { Authorization: 'Bearer tok_right' }, body: '{}' });
    expect(res.status).toBe(401);
  });

  it('DELETE test-data removes the test rows only: they no longer count, and their ids are new again', async () => {
    const e = await start({ planLimit: 3 });
    await sdkPost(e, sdkPayload('ext_t1'));
    await sdkPost(e, sdkPayload('ext_t2'));
    await sdkPost(e, sdkPayload('ext_d1', { dataMode: 'demo', environment: 'dev' }));
    expect((await sdkPost(e, sdkPayload('ext_t3'))).status).toBe(402); // the plan limit of 3 is reached
    const del = await bearer(e, 'DELETE', '/v1/ingest/test-data?scope=mine');
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ ok: true, dataMode: 'test', scope: 'mine', deleted: 2 });
    expect((await status(e)).plan.currentRequestCount).toBe(1);
    expect(e.rows().map((r) => r.externalRequestId)).toEqual(['ext_d1']);
    const again = await sdkPost(e, sdkPayload('ext_t1'));
    expect(again.status).toBe(200);
    expect(again.body.warnings).toEqual([]); // a new row, not a duplicate
    expect((await sdkPost(e, sdkPayload('ext_d1', { dataMode: 'demo', environment: 'dev' }))).body.warnings).toEqual(['duplicate externalRequestId: not counted']);
    expect(e.stats().deleted).toBe(2);
  });

  it('DELETE demo-data removes demo rows (including those from POST /v1/ingest/demo) and their spend', async () => {
    // A fixed seed: with a random one, 1 generated demo row in 20 is a failed call, which costs nothing.
    const e = await start({ budgetUsd: 1000, seed: 1 });
    await sdkPost(e, sdkPayload('ext_t1'));
    const testOnly = (await status(e)).budget.daily.currentSpendUsd;
    await sdkPost(e, {}, '/v1/ingest/demo'); // the docs' curl sends no body; an empty object is a payload here
    const generated = await fetch(e.url + '/v1/ingest/demo', { method: 'POST', headers: { 'X-API-Key': KEY } });
    expect(generated.status).toBe(200);
    const before = await status(e);
    expect(before.budget.daily.currentSpendUsd).toBeGreaterThan(testOnly);
    const del = await bearer(e, 'DELETE', '/v1/ingest/demo-data?scope=workspace');
    expect(del.body).toMatchObject({ ok: true, dataMode: 'demo', scope: 'workspace', deleted: 1 });
    const after = await status(e);
    expect(after.plan.currentRequestCount).toBe(1);
    expect(after.budget.daily.currentSpendUsd).toBe(testOnly);
    expect(e.rows().map((r) => r.dataMode)).toEqual(['test']);
  });

  it('scope defaults to mine; any other scope is a 400', async () => {
    const e = await start();
    expect((await bearer(e, 'DELETE', '/v1/ingest/test-data')).body).toMatchObject({ ok: true, scope: 'mine', deleted: 0 });
    const bad = await bearer(e, 'DELETE', '/v1/ingest/test-data?scope=everyone');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('scope must be mine or workspace, got "everyone"');
    expect((await bearer(e, 'GET', '/v1/ingest/test-data')).status).toBe(405);
  });
});

describe('a durable store', () => {
  const tmp = () => mkdtemp(join(tmpdir(), 'opsmeter-durable-'));

  it('each accepted row is in the file before its 200 (nothing waits for close)', async () => {
    const store = join(await tmp(), 'rows.jsonl');
    const e = await start({ store, keepRows: false });
    for (let i = 0; i < 5; i++) expect((await sdkPost(e, sdkPayload(`ext_w${i}`))).status).toBe(200);
    const lines = (await readFile(store, 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).externalRequestId)).toEqual(['ext_w0', 'ext_w1', 'ext_w2', 'ext_w3', 'ext_w4']);
  });

  it('a restart loads the store: dedupe, plan count and budget spend carry on', async () => {
    const store = join(await tmp(), 'rows.jsonl');
    const first = await start({ store, planLimit: 4, budgetUsd: 1 });
    for (const id of ['ext_r1', 'ext_r2', 'ext_r3']) await sdkPost(first, sdkPayload(id));
    const spend = (await status(first)).budget.daily.currentSpendUsd as number;
    await first.close();

    const second = await start({ store, planLimit: 4, budgetUsd: 1 });
    expect(second.restored).toEqual({ rows: 3 });
    const s = await status(second);
    expect(s.plan.currentRequestCount).toBe(3);
    expect(s.budget.daily.currentSpendUsd).toBe(spend);
    expect((await sdkPost(second, sdkPayload('ext_r2'))).body.warnings).toEqual(['duplicate externalRequestId: not counted']);
    expect((await sdkPost(second, sdkPayload('ext_r4'))).status).toBe(200);
    expect((await sdkPost(second, sdkPayload('ext_r5'))).status).toBe(402);
    const ids = (await readFile(store, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).externalRequestId);
    expect(ids).toEqual(['ext_r1', 'ext_r2', 'ext_r3', 'ext_r4']);
  });

  it('a torn last line is reported and cut off; the rows before it are kept', async () => {
    const store = join(await tmp(), 'rows.jsonl');
    const good = [JSON.stringify(sdkPayload('ext_k1')), JSON.stringify(sdkPayload('ext_k2'))].join('\n') + '\n';
    const torn = JSON.stringify(sdkPayload('ext_k3')).slice(0, 57);
    await writeFile(store, good + torn);
    const e = await start({ store });
    expect(e.restored).toEqual({ rows: 2, tornLine: { line: 3, bytes: 57 } });
    expect(await readFile(store, 'utf8')).toBe(good);
    // The torn row was never acknowledged: its resend is a new row, on a line of its own.
    expect((await sdkPost(e, sdkPayload('ext_k3'))).body.warnings).toEqual([]);
    expect((await sdkPost(e, sdkPayload('ext_k1'))).body.warnings).toEqual(['duplicate externalRequestId: not counted']);
    const ids = (await readFile(store, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).externalRequestId);
    expect(ids).toEqual(['ext_k1', 'ext_k2', 'ext_k3']);
  });

  it('a complete last row without its newline is kept, and the next row starts on a new line', async () => {
    const store = join(await tmp(), 'rows.jsonl');
    await writeFile(store, JSON.stringify(sdkPayload('ext_n1')));
    const e = await start({ store });
    expect(e.restored).toEqual({ rows: 1 });
    await sdkPost(e, sdkPayload('ext_n2'));
    const ids = (await readFile(store, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).externalRequestId);
    expect(ids).toEqual(['ext_n1', 'ext_n2']);
  });

  it('an unreadable line before the last refuses the start with its line number', async () => {
    const store = join(await tmp(), 'rows.jsonl');
    await writeFile(store, `${JSON.stringify(sdkPayload('ext_c1'))}\n{"broken\n${JSON.stringify(sdkPayload('ext_c2'))}\n`);
    await expect(startEmulator({ port: 0, store })).rejects.toThrow(/^store .*rows\.jsonl line 2 is not a stored row \(.*\); move the file away or fix that line$/);
  });

  it('a deletion is durable too: the store is rewritten without the deleted rows', async () => {
    const store = join(await tmp(), 'rows.jsonl');
    const first = await start({ store, keepRows: false });
    await sdkPost(first, sdkPayload('ext_x1'));
    await sdkPost(first, sdkPayload('ext_x2', { dataMode: 'real', environment: 'prod' }));
    await sdkPost(first, sdkPayload('ext_x3'));
    expect((await bearer(first, 'DELETE', '/v1/ingest/test-data?scope=workspace')).body.deleted).toBe(2);
    await sdkPost(first, sdkPayload('ext_x4'));
    await first.close();
    const ids = (await readFile(store, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).externalRequestId);
    expect(ids).toEqual(['ext_x2', 'ext_x4']);
    const second = await start({ store });
    expect(second.restored).toEqual({ rows: 2 });
    expect((await sdkPost(second, sdkPayload('ext_x1'))).body.warnings).toEqual([]);
  });

  it('rows sent concurrently are each stored once, in one file without torn lines', async () => {
    const store = join(await tmp(), 'rows.jsonl');
    const e = await start({ store, keepRows: false });
    const ids = Array.from({ length: 200 }, (_, i) => `ext_cc${i}`);
    // Every id twice, all at once: the second copy must wait for the first to be written.
    const results = await Promise.all([...ids, ...ids].map((id) => sdkPost(e, sdkPayload(id))));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.body.warnings.length === 1)).toHaveLength(200);
    const stored = (await readFile(store, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).externalRequestId as string);
    expect(stored.sort()).toEqual([...ids].sort());
  });
});
