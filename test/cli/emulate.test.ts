/**
 * `opsmeter emulate` as a user runs it: the built CLI in a child process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/server.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';

const children: ChildProcessWithoutNullStreams[] = [];
const servers: Emulator[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Running {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr: () => string;
  stdout: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start `opsmeter emulate ARGS` and wait until it prints its URL. */
async function emulate(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OPSMETER_')) base[k] = v;
  const child = spawn(process.execPath, [BIN, 'emulate', ...args], {
    cwd: ROOT,
    env: { ...base, NO_COLOR: '1', TZ: 'UTC', XDG_CACHE_HOME: join(ROOT, '.test-cache'), ...env },
  });
  children.push(child);
  let stderr = '';
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed; stderr so far:\n${stderr}`)), 30_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m && stderr.includes('stop with Ctrl+C')) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`emulate exited early:\n${stderr}`));
    });
  });
  return { child, url, exit, stderr: () => stderr, stdout: () => stdout };
}

const PAYLOAD = {
  externalRequestId: 'ext_cli_1',
  provider: 'openai',
  model: 'gpt-4o-mini',
  promptVersion: 'v1',
  endpointTag: 'cli.test',
  inputTokens: 10,
  outputTokens: 2,
  latencyMs: 100,
  status: 'success',
  dataMode: 'test',
  environment: 'staging',
};

describe('opsmeter emulate (CLI)', () => {
  it('--port 0 prints its URL and key, answers requests, exits 0 on SIGTERM with a summary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'opsmeter-emu-cli-'));
    const store = join(dir, 'rows.jsonl');
    const run = await emulate(['--port', '0', '--store', store]);
    expect(run.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(run.stderr()).toContain('API key (X-API-Key): om_test_local');
    const res = await fetch(run.url + '/v1/ingest/llm-request', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': 'om_test_local' },
      body: JSON.stringify(PAYLOAD),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, planTier: 'Free', warnings: [] });
    run.child.kill('SIGTERM');
    const { code } = await run.exit;
    expect(code).toBe(0);
    expect(run.stderr()).toMatch(/stopped \(SIGTERM\) after 1 requests: 1 accepted/);
    expect(run.stdout()).toBe('');
    const lines = (await readFile(store, 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([PAYLOAD]);
  });

  it('exits 0 on SIGINT too', async () => {
    const run = await emulate(['--port', '0']);
    run.child.kill('SIGINT');
    expect((await run.exit).code).toBe(0);
  });

  it('a key from OPSMETER_API_KEY is used but never printed, even with --verbose', async () => {
    const secret = 'om_live_VERY_SECRET_123';
    const run = await emulate(['--port', '0', '--verbose'], { OPSMETER_API_KEY: secret });
    expect(run.stderr()).toContain('(from OPSMETER_API_KEY)');
    const ok = await fetch(run.url + '/v1/ingest/llm-request', { method: 'POST', headers: { 'x-api-key': secret }, body: JSON.stringify(PAYLOAD) });
    expect(ok.status).toBe(200);
    const bad = await fetch(run.url + '/v1/ingest/llm-request', { method: 'POST', headers: { 'x-api-key': 'om_test_local' }, body: JSON.stringify(PAYLOAD) });
    expect(bad.status).toBe(401);
    run.child.kill('SIGTERM');
    expect((await run.exit).code).toBe(0);
    expect(run.stderr()).not.toContain(secret);
    expect(run.stdout()).not.toContain(secret);
    // --verbose: one line per request.
    expect(run.stderr()).toMatch(/POST \/v1\/ingest\/llm-request 200 accepted [\d.]+ms ext_cli_1/);
    expect(run.stderr()).toMatch(/POST \/v1\/ingest\/llm-request 401 unauthorized/);
  });

  it('a key given with --api-key is not echoed either', async () => {
    const run = await emulate(['--port', '0', '--api-key', 'my-local-key-xyz']);
    expect(run.stderr()).toContain('(as given with --api-key)');
    expect(run.stderr()).not.toContain('my-local-key-xyz');
    run.child.kill('SIGTERM');
    expect((await run.exit).code).toBe(0);
  });

  it('without --verbose it logs no per-request lines; fault knobs are summarised at start', async () => {
    const run = await emulate(['--port', '0', '--plan-limit', '1', '--fail-rate', '0', '--seed', '4', '--rate-limit', '100', '--retry-after', 'http-date', '--latency', '0', '--budget-usd', '5']);
    expect(run.stderr()).toContain('faults: plan limit 1 rows · budget $5 (soft) · rate limit 100/s (Retry-After: http-date) · fail rate 0 % (seed 4) · latency 0 ms');
    for (let i = 0; i < 2; i++) {
      await fetch(run.url + '/v1/ingest/llm-request', { method: 'POST', headers: { 'x-api-key': 'om_test_local' }, body: JSON.stringify({ ...PAYLOAD, externalRequestId: `q${i}` }) });
    }
    run.child.kill('SIGTERM');
    expect((await run.exit).code).toBe(0);
    expect(run.stderr()).not.toContain('POST /v1/');
    expect(run.stderr()).toMatch(/1 accepted.*1 paused/);
  });

  it('warns when bound to a non-loopback address', async () => {
    const run = await emulate(['--port', '0', '--host', '0.0.0.0']);
    expect(run.stderr()).toMatch(/warning: binding 0\.0\.0\.0/);
    run.child.kill('SIGTERM');
    expect((await run.exit).code).toBe(0);
  });

  it('a port in use → exit 2 with a hint', async () => {
    const busy = await startEmulator({ host: '127.0.0.1', port: 0 });
    servers.push(busy);
    const r = await runCli(['emulate', '--port', String(busy.port)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`port ${busy.port} is in use; try --port 0`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  // Every bad flag value is tested in-process (emulate-plan.test.ts); one here end to end.
  it('a bad flag value → exit 2 naming the flag', async () => {
    const r = await runCli(['emulate', '--fail-rate', '1.5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('opsmeter: --fail-rate takes a number between 0 and 1, got "1.5"\n');
  });

  it('an unwritable store → exit 2', async () => {
    const r = await runCli(['emulate', '--port', '0', '--store', join(tmpdir(), 'no-such-dir-opsmeter', 'rows.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot open store .*ENOENT/);
  });
});
