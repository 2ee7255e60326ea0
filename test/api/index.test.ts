/**
 * The programmatic API in process (src/api/index.ts): the options and the bad cases. The
 * package as installed (tarball, ESM/CJS, types, agreement with the CLI) is test/packaging/package.slow.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, lintPayload, loadConfig, OpsmeterError, startEmulator, validateFiles } from '../../src/api/index.js';
import { FIXTURES } from '../helpers/cli.js';
import { failure } from '../helpers/repos.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-api-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const payload = {
  externalRequestId: 'a1',
  provider: 'openai',
  model: 'gpt-4o-mini',
  promptVersion: 'v1',
  endpointTag: 't',
  inputTokens: 1,
  outputTokens: 2,
  latencyMs: 5,
  status: 'success',
  createdAt: '2026-03-01T12:00:00Z',
};
const MARCH = new Date('2026-03-02T00:00:00Z');

describe('lintPayload', () => {
  it('is clean for a clean payload, with `now` fixing the createdAt checks', () => {
    expect(lintPayload(payload, { now: MARCH })).toEqual([]);
    expect(lintPayload(payload, { now: MARCH.getTime() + 30 * 86_400_000 }).map((p) => p.rule)).toEqual(['payload/created-at-old']);
  });

  it('a value that is no object is one problem, not a crash', () => {
    expect(lintPayload('{"provider":"openai"}')).toEqual([expect.objectContaining({ rule: 'payload/not-object', severity: 'error', pointer: '' })]);
    expect(lintPayload(null).map((p) => p.rule)).toEqual(['payload/not-object']);
  });

  it('checks against a catalog given as a document (and a path), and an unusable one is an OpsmeterError', async () => {
    const onlyMini = { date: '2026-01-01', models: [{ provider: 'openai', model: 'gpt-4o-mini' }] };
    expect(lintPayload(payload, { now: MARCH, catalog: onlyMini })).toEqual([]);
    expect(lintPayload({ ...payload, model: 'gpt-4o' }, { now: MARCH, catalog: onlyMini }).map((p) => p.rule)).toEqual(['catalog/unknown-model']);

    const file = join(tmp, 'catalog.json');
    writeFileSync(file, JSON.stringify({ models: [{ provider: 'openai', model: 'gpt-4o' }] }));
    expect(lintPayload({ ...payload, model: 'gpt-4o' }, { now: MARCH, catalog: file })).toEqual([]);
    // A changed file is read again (a test suite may rewrite it between cases).
    writeFileSync(file, JSON.stringify({ models: [{ provider: 'openai', model: 'gpt-4o-mini' }, { provider: 'openai', model: 'o3' }] }));
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(lintPayload({ ...payload, model: 'gpt-4o' }, { now: MARCH, catalog: file }).map((p) => p.rule)).toEqual(['catalog/unknown-model']);

    const bad = await failure(() => lintPayload(payload, { catalog: { models: [{ provider: 'openai' }] } as never }));
    expect(bad).toBeInstanceOf(OpsmeterError);
    expect((bad as OpsmeterError).exitCode).toBe(EXIT.usage);
    const missing = await failure(() => lintPayload(payload, { catalog: join(tmp, 'nope.json') }));
    expect(missing).toBeInstanceOf(OpsmeterError);
    expect((missing as Error).message).toContain('cannot read catalog');
  });

  it('rules: off drops a rule, error raises it, a fixed rule or a bad level is an OpsmeterError', async () => {
    const { latencyMs: _, ...noLatency } = payload;
    expect(lintPayload(noLatency, { now: MARCH, rules: { 'payload/missing-latency': 'off' } })).toEqual([]);
    expect(lintPayload(noLatency, { now: MARCH, rules: { 'payload/missing-latency': 'error' } })).toEqual([expect.objectContaining({ rule: 'payload/missing-latency', severity: 'error' })]);
    const fixed = await failure(() => lintPayload(payload, { rules: { 'json/syntax': 'off' } }));
    expect(fixed).toBeInstanceOf(OpsmeterError);
    expect((fixed as Error).message).toContain('cannot be configured');
    const level = await failure(() => lintPayload(payload, { rules: { 'payload/missing-latency': 'warnn' as never } }));
    expect((level as OpsmeterError).exitCode).toBe(EXIT.usage);
    expect((level as OpsmeterError).hint).toBe('did you mean "warn"?');
    // ESLint's spellings: "warn" and 1 are a warning, 2 an error.
    expect(lintPayload(noLatency, { now: MARCH, rules: { 'payload/missing-latency': 2 } })).toEqual([expect.objectContaining({ severity: 'error' })]);
    const { promptVersion: _version, ...bare } = noLatency;
    const warned = lintPayload(bare, { now: MARCH, rules: { 'payload/missing-latency': 'warn', 'payload/missing-prompt-version': 0 } });
    expect(warned.map((p) => `${p.rule}:${p.severity}`)).toEqual(['payload/missing-latency:warning']);
  });

  it('wrong argument types are TypeErrors', async () => {
    expect(await failure(() => lintPayload(payload, { now: Number.NaN }))).toBeInstanceOf(TypeError);
    expect(await failure(() => lintPayload(payload, { catalog: 42 as never }))).toBeInstanceOf(TypeError);
  });
});

describe('validateFiles', () => {
  it('reports directories and globs with positions, lists errors first under maxErrors, and keeps counts exact', async () => {
    const all = await validateFiles([join(FIXTURES, 'payloads', 'broken')]);
    expect(all.summary.errors).toBeGreaterThan(3);
    expect(all.summary.omitted).toBe(0);
    expect(all.problems).toHaveLength(all.summary.errors + all.summary.warnings);
    const capped = await validateFiles(join(FIXTURES, 'payloads', 'broken', '*.jsonl'), { maxErrors: 2, strict: true });
    expect(capped.problems).toHaveLength(2);
    expect(capped.problems.every((p) => p.severity === 'error' && p.line >= 1 && p.column >= 1)).toBe(true);
    expect(capped.summary.omitted).toBe(capped.summary.errors + capped.summary.warnings - 2);
    expect(capped.summary.strict).toBe(true);
  });

  it('quiet reports errors only (warnings not checked, unless a threshold needs them); bail stops at the first error', async () => {
    const all = await validateFiles(join(FIXTURES, 'payloads', 'broken'));
    const quiet = await validateFiles(join(FIXTURES, 'payloads', 'broken'), { quiet: true });
    expect(quiet.problems.length).toBeGreaterThan(0);
    expect(quiet.problems).toEqual(all.problems.filter((p) => p.severity === 'error'));
    expect(quiet.summary).toMatchObject({ errors: all.summary.errors, warnings: 0, warningsSkipped: true });
    const counted = await validateFiles(join(FIXTURES, 'payloads', 'broken'), { quiet: true, maxWarnings: 0 });
    expect(counted.problems).toEqual(quiet.problems);
    expect(counted.summary).toMatchObject({ warnings: all.summary.warnings, quietWarnings: all.summary.warnings });
    const bailed = await validateFiles(join(FIXTURES, 'payloads', 'broken'), { bail: true });
    expect(bailed.summary.bailed).toBe(true);
    expect(bailed.summary.errors).toBe(1);
  });

  it('a missing path, an empty folder and no paths are OpsmeterErrors (exit 2); allowEmpty makes the last two an empty report', async () => {
    const missing = await failure(() => validateFiles(join(tmp, 'missing.jsonl')));
    expect(missing).toBeInstanceOf(OpsmeterError);
    expect((missing as OpsmeterError).exitCode).toBe(EXIT.usage);
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    const none = await failure(() => validateFiles(empty));
    expect((none as Error).message).toMatch(/^no payload files/);
    expect((await failure(() => validateFiles([]))) as Error).toBeInstanceOf(OpsmeterError);
    const report = await validateFiles([empty], { allowEmpty: true });
    expect(report.summary).toMatchObject({ files: 0, records: 0, errors: 0, warnings: 0 });
    expect(report.problems).toEqual([]);
  });

  it('refuses stdin and bad option values with a TypeError', async () => {
    expect(await failure(() => validateFiles('-'))).toBeInstanceOf(TypeError);
    expect(await failure(() => validateFiles([''] as never))).toBeInstanceOf(TypeError);
    expect(await failure(() => validateFiles('x.jsonl', { maxErrors: -1 }))).toBeInstanceOf(TypeError);
    expect(await failure(() => validateFiles('x.jsonl', { maxWarnings: 1.5 }))).toBeInstanceOf(TypeError);
  });
});

describe('startEmulator', () => {
  it('starts on 127.0.0.1 and a free port, takes the API key it is given, and closes', async () => {
    const emulator = await startEmulator({ apiKey: 'om_test_api', seed: 7 });
    try {
      expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
      expect(emulator).toMatchObject({ apiKey: 'om_test_api', seed: 7 });
      const post = (key: string) =>
        fetch(`${emulator.url}/v1/ingest/llm-request`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(payload) });
      expect((await post('om_test_local')).status).toBe(401);
      expect((await post('om_test_api')).status).toBe(200);
      expect(emulator.rows().map((r) => r.externalRequestId)).toEqual(['a1']);
      expect(emulator.stats()).toMatchObject({ accepted: 1, unauthorized: 1 });
    } finally {
      await emulator.close();
    }
  });

  it('a taken port rejects with EADDRINUSE; an option out of range with a RangeError', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      expect(await failure(() => startEmulator({ port }))).toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    expect(await failure(() => startEmulator({ failRate: 2 }))).toBeInstanceOf(RangeError);
  });

  it('requests(), reset() and setFaults(): what the app sent (with the team\'s rule settings), a clean slate, faults changed mid-test', async () => {
    const repo = join(tmp, 'emulator-config');
    mkdirSync(join(repo, '.git'), { recursive: true });
    writeFileSync(join(repo, 'opsmeter.config.json'), JSON.stringify({ rules: { 'payload/missing-latency': 'error' } }));
    const config = await loadConfig(undefined, { cwd: repo });
    const emulator = await startEmulator({ config, rules: { 'payload/placeholder-value': 'off' } });
    try {
      const post = (body: object) => fetch(`${emulator.url}/v1/ingest/llm-request`, { method: 'POST', headers: { 'x-api-key': emulator.apiKey }, body: JSON.stringify(body) });
      // The emulator checks createdAt against the real clock: these payloads leave it out.
      const { latencyMs: _latency, createdAt: _createdAt, ...noLatency } = payload;
      const { createdAt: _at, ...current } = payload;
      expect((await post({ ...noLatency, externalRequestId: 'n1', promptVersion: 'unknown' })).status).toBe(200); // the answer is the server's
      const [first] = emulator.requests();
      expect(first!.findings!.map((f) => [f.rule, f.severity])).toEqual([['payload/missing-latency', 'error']]);
      expect(emulator.setFaults({ rateLimit: 1 })).toMatchObject({ rateLimit: 1 });
      expect((await post({ ...current, externalRequestId: 'n2' })).status).toBe(200);
      expect((await post({ ...current, externalRequestId: 'n3' })).status).toBe(429);
      expect(() => emulator.setFaults({ rateLimit: 0 })).toThrow(RangeError);
      expect(emulator.faults().rateLimit).toBe(1);
      expect(await emulator.reset()).toEqual({ rows: 2, requests: 3 });
      expect([emulator.rows(), emulator.requests(), emulator.stats().requests]).toEqual([[], [], 0]);
      expect((await post({ ...current, externalRequestId: 'n1' })).status).toBe(200);
      expect(emulator.requests().map((r) => [r.number, r.outcome])).toEqual([[4, 'accepted']]);
    } finally {
      await emulator.close();
    }
    expect(await failure(() => startEmulator({ rules: { 'payload/nope': 'off' } }))).toMatchObject({ exitCode: 2 });
  });
});
