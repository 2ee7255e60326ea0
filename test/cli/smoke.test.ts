/**
 * `opsmeter smoke` end to end: the embedded emulator (the README's main job), and a
 * "remote" API played by an emulator this test starts on 127.0.0.1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/server.js';
import { runCli } from '../helpers/cli.js';

const KEY = 'om_live_SMOKE_SECRET_42';

describe('opsmeter smoke (embedded emulator)', () => {
  it('passes every check and exits 0', async () => {
    const r = await runCli(['smoke', '--seed', 'fixed']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('opsmeter smoke — embedded emulator on 127.0.0.1 (seed fixed)');
    const marks = lines.filter((l) => /^[✔✖–] /.test(l));
    expect(marks.map((l) => l.split(' — ')[0])).toEqual([
      '✔ API key accepted',
      '✔ bundled payload fixtures are valid',
      '✔ a test event is accepted (ok=true)',
      '✔ a resent externalRequestId is not counted twice',
      '✔ a sample export imports as expected (anthropic-batch)',
      '✔ 429 honoured with Retry-After',
      '✔ 402 reported as paused',
      '✔ budget stops reported as budget, not plan limit',
      '✔ workspace status readable',
      '✔ test rows cleaned up (DELETE /v1/ingest/test-data?scope=mine)',
    ]);
    expect(r.stdout).toContain('1 row stored');
    expect(r.stdout).toContain('15 rows: 9 complete, 6 partial');
    expect(r.stdout).toContain('soft: 3 accepted, flagged "budget exceeded"; hard: 402 budget_exceeded → blocked by the budget');
    expect(r.stdout).toMatch(/1 test row deleted; ext_test_\w+_1 is a new id again/);
    expect(r.stdout).toMatch(/all 10 checks passed\n$/);
  });

  it('--format json gives a machine-readable checklist', async () => {
    const r = await runCli(['smoke', '--format', 'json', '--seed', 's1']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ embedded: true, seed: 's1', passed: 10, failed: 0, skipped: 0 });
    expect(j.checks).toHaveLength(10);
    for (const c of j.checks) expect(c.status).toBe('pass');
  });

  it('refuses --api-key-file without --base-url (usage error, exit 2)', async () => {
    const r = await runCli(['smoke', '--api-key-file', 'nope.txt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--api-key-file goes with --base-url');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('opsmeter smoke --base-url (a remote API)', () => {
  let remote: Emulator;
  let dir: string;
  beforeAll(async () => {
    remote = await startEmulator({ host: '127.0.0.1', port: 0, apiKey: KEY });
    dir = mkdtempSync(join(tmpdir(), 'opsmeter-smoke-'));
  });
  afterAll(async () => {
    await remote.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the checks that make sense remotely, sends only test events, never prints the key', async () => {
    const r = await runCli(['smoke', '--base-url', remote.url], { env: { OPSMETER_API_KEY: KEY } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('all 7 checks passed, 4 skipped');
    expect(r.stdout).toMatch(/^✔ API host reachable — http:\/\/127\.0\.0\.1:\d+\/ answered HTTP/m);
    expect(r.stdout).toMatch(/^– 429 honoured with Retry-After — emulator only/m);
    expect(r.stdout).toMatch(/^– 402 reported as paused — emulator only/m);
    expect(r.stdout).toMatch(/^– budget stops reported as budget, not plan limit — emulator only/m);
    expect(r.stdout).toMatch(/^– test rows cleaned up .* — give a dashboard user's token \(OPSMETER_TOKEN or --token-file\)/m);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    expect(remote.rows().length).toBeGreaterThan(0);
    for (const row of remote.rows()) expect(row.dataMode).toBe('test');
  });

  it('takes the key from --api-key-file', async () => {
    const file = join(dir, 'key.txt');
    writeFileSync(file, KEY + '\n');
    const r = await runCli(['smoke', '--base-url', remote.url, '--api-key-file', file, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ embedded: false, passed: 7, failed: 0, skipped: 4 });
  });

  it('with a dashboard token it ends by deleting the test rows it sent (never printing the token)', async () => {
    const token = 'om_user_SMOKE_TOKEN_7';
    const cleaned = await startEmulator({ host: '127.0.0.1', port: 0, apiKey: KEY, bearerToken: token });
    try {
      const r = await runCli(['smoke', '--base-url', cleaned.url], { env: { OPSMETER_API_KEY: KEY, OPSMETER_TOKEN: token } });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^✔ test rows cleaned up \(DELETE \/v1\/ingest\/test-data\?scope=mine\) — 1 test row deleted$/m);
      expect(r.stdout).toContain('all 8 checks passed, 3 skipped');
      expect(cleaned.rows()).toHaveLength(0);
      expect(cleaned.stats().deleted).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(token);
      const file = join(dir, 'token.txt');
      writeFileSync(file, 'om_user_wrong\n');
      const refused = await runCli(['smoke', '--base-url', cleaned.url, '--token-file', file], { env: { OPSMETER_API_KEY: KEY } });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/^✖ test rows cleaned up .* — the token was refused \(HTTP 401: invalid token\)/m);
    } finally {
      await cleaned.close();
    }
  });

  it('a refused key fails the checklist (exit 1) and skips what needs the key', async () => {
    const r = await runCli(['smoke', '--base-url', remote.url], { env: { OPSMETER_API_KEY: 'om_wrong_key' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✖ API key accepted — .*401/m);
    expect(r.stdout).toMatch(/^– a test event is accepted \(ok=true\) — needs an accepted API key/m);
    expect(r.stdout).toMatch(/1 of 11 checks failed, 7 skipped/);
    expect(r.stdout + r.stderr).not.toContain('om_wrong_key');
  });

  it('a dead host says the host is unreachable, not that the key failed', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = await runCli(['smoke', '--base-url', `http://127.0.0.1:${port}`, '--timeout', '1000'], { env: { OPSMETER_API_KEY: KEY } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^✖ API host reachable — http://127\\.0\\.0\\.1:${port}/ is unreachable: connection refused`, 'm'));
    expect(r.stdout).toMatch(/^– API key accepted — the host did not answer/m);
    expect(r.stdout).not.toMatch(/✖ API key accepted/);
  });

  it('without a key: usage error naming how to give one (exit 2)', async () => {
    const r = await runCli(['smoke', '--base-url', remote.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no API key');
    expect(r.stderr).toContain('OPSMETER_API_KEY');
  });

  it('refuses plain http:// to a non-loopback host', async () => {
    const r = await runCli(['smoke', '--base-url', 'http://203.0.113.9:8787'], { env: { OPSMETER_API_KEY: KEY } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing plain http://');
  });
});
