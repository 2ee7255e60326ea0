/**
 * Issue 21 through the built CLI, against servers on 127.0.0.1 that misbehave the way proxies,
 * portals and dying servers do: nothing is journalled as accepted that the API did not accept,
 * no run hangs (each ends by itself, well inside runCli's kill timeout, and says why), a restart
 * costs no event, a rate-limited run ends with every event accepted, and SIGHUP ends a send as
 * SIGTERM does.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/server.js';
import { BIN, ROOT, runCli, type CliResult } from '../helpers/cli.js';
import { acceptingScript, scriptedServers, type Reply } from '../helpers/scripted-server.js';
import { waitFor } from '../helpers/wait.js';

const KEY = 'om_live_DELIVERY_0123456789';
const env = { OPSMETER_API_KEY: KEY };
const dir = mkdtempSync(join(tmpdir(), 'opsmeter-delivery-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const servers = scriptedServers();

let emulators: Emulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.map((e) => e.close()));
  emulators = [];
});
async function emulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const e = await startEmulator({ host: '127.0.0.1', port: 0, apiKey: KEY, seed: 5, ...opts });
  emulators.push(e);
  return e;
}

const noStack = (r: CliResult) => expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
const journalOf = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { externalRequestId: string; outcome: string; status: number | null; message?: string });

/** Runs a send that must end by itself: exited with a code, not killed by runCli's timeout. */
async function send(args: string[], timeoutMs = 120_000): Promise<CliResult> {
  const r = await runCli(['send', ...args], { env, timeoutMs });
  expect(r.signal, 'the send had to be killed: it hung').toBeNull();
  noStack(r);
  return r;
}

describe('a 2xx that is not the API\'s answer is never accepted', () => {
  const portal: Reply = { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<!DOCTYPE html><html><head><title>Hotel Wi-Fi</title></head><body>Please sign in</body></html>' };

  it('a captive portal answering 200 text/html: exit 5, not-api with what came back, nothing journalled as accepted', async () => {
    const server = await servers.start(() => portal);
    const journal = join(dir, 'portal.jsonl');
    const r = await send(['--test', '--count', '12', '--journal', journal, '--base-url', server.url]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/✖ not the API +12 {2}2xx answers that were not the Opsmeter API's \(a proxy or portal\?\); not accepted/);
    expect(r.stderr).toContain('not the Opsmeter API — a proxy or portal? HTTP 200 (text/html; charset=utf-8), not a JSON object with "ok": "<!DOCTYPE html><html><head><title>Hotel Wi-Fi</title>');
    expect(r.stderr).not.toMatch(/accepted\s+[1-9]/);
    const lines = journalOf(journal);
    expect(lines).toHaveLength(12);
    expect(lines.filter((l) => l.outcome === 'accepted')).toEqual([]);
    expect(new Set(lines.map((l) => l.outcome))).toEqual(new Set(['not-api']));
    // Retried like a 5xx, with the same id: 4 attempts each at the default --max-retries 3.
    expect(server.requests).toHaveLength(48);
    // A resume with the same journal sends them all again: none was taken as delivered.
    const again = await send(['--test', '--count', '12', '--journal', journal, '--base-url', server.url, '--max-retries', '0', '--format', 'json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ skipped: 0, outcomes: { 'not-api': 12, accepted: 0 }, exitCode: 5 });
  });

  it('a body cut off mid-way (200, content-length 60, 12 bytes, closed): retried, gave up, exit 5, never accepted', async () => {
    const server = await servers.start(() => ({ status: 200, body: { ok: true, planTier: 'Free', warnings: [], budgetWarning: false }, cutAfter: 12 }));
    const journal = join(dir, 'cut.jsonl');
    const r = await send(['--test', '--count', '3', '--journal', journal, '--base-url', server.url, '--format', 'json']);
    expect(r.code).toBe(5);
    const s = JSON.parse(r.stdout);
    expect(s.outcomes).toMatchObject({ accepted: 0, 'gave-up': 3 });
    expect(s.samples.gaveUp[0].message).toMatch(/^the connection closed in the middle of the answer: HTTP 200 arrived, then 12 bytes of its body \(after 3 retries\)$/);
    expect(journalOf(journal).filter((l) => l.outcome === 'accepted')).toEqual([]);
  });

  it('a 200 whose JSON has no "ok" (another service\'s answer) is not the API either', async () => {
    const server = await servers.start(() => ({ status: 200, body: { status: 'ok', service: 'nginx-health' } }));
    const r = await send(['--test', '--max-retries', '1', '--base-url', server.url, '--format', 'json']);
    expect(r.code).toBe(5);
    const s = JSON.parse(r.stdout);
    expect(s.outcomes['not-api']).toBe(1);
    expect(s.samples.notApi[0].message).toBe('not the Opsmeter API — a proxy or portal? HTTP 200 (application/json), not a JSON object with "ok": "{\\"status\\":\\"ok\\",\\"service\\":\\"nginx-health\\"}" (after 1 retry)');
  });
});

describe('no run hangs', () => {
  const drip: Reply = { status: 200, body: { ok: true, planTier: 'Free', warnings: [] }, drip: 500 };

  it('a server dripping its body a byte every 0.5 s: --timeout 2000 --max-retries 0 ends, exit 5, saying so', async () => {
    const server = await servers.start(() => drip);
    const r = await send(['--test', '--timeout', '2000', '--max-retries', '0', '--base-url', server.url, '--format', 'json'], 60_000);
    expect(r.code).toBe(5);
    expect(JSON.parse(r.stdout).samples.gaveUp[0].message).toMatch(/^no complete answer within 2000 ms: HTTP 200 arrived, then only \d bytes of its body \(a server dripping its answer\?\)$/);
  });

  it('status against the same drip ends too (exit 5)', async () => {
    const server = await servers.start(() => ({ ...drip, body: { workspaceId: 'w', severity: 'normal' } }));
    const r = await runCli(['status', '--timeout', '1500', '--max-retries', '1', '--base-url', server.url], { env, timeoutMs: 60_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/could not read the workspace status from .*: no complete answer within 1500 ms: HTTP 200 arrived/);
  });

  it('a server that accepts connections and never answers: the run gives up on it by itself, the rest not sent, exit 5', async () => {
    const server = await servers.start(() => 'hang');
    const journal = join(dir, 'silent.jsonl');
    const r = await send(['--test', '--count', '300', '--timeout', '1000', '--give-up-after', '3', '--journal', journal, '--base-url', server.url, '--format', 'json']);
    expect(r.code).toBe(5);
    const s = JSON.parse(r.stdout);
    expect(s.stop).toMatchObject({ reason: 'unreachable' });
    expect(s.stop.message).toMatch(/^gave up on the server: no answer from the API for \d+\.\d s: \d+ attempts in a row failed .*; the last: no response within 1000 ms\./);
    expect(s.outcomes.accepted).toBe(0);
    expect(s.outcomes['not-sent']).toBeGreaterThan(250);
    // One final line per event, every event of the run.
    const lines = journalOf(journal);
    expect(lines).toHaveLength(300);
    expect(new Set(lines.map((l) => l.externalRequestId)).size).toBe(300);
  });

  it('a closed port: the sender waits for the server as a whole, then says it is unreachable, exit 5', async () => {
    const r = await send(['--test', '--count', '200', '--give-up-after', '2', '--base-url', await servers.deadUrl(), '--format', 'json']);
    expect(r.code).toBe(5);
    const s = JSON.parse(r.stdout);
    expect(s.stop.message).toMatch(/^the server is unreachable: \d+ connection attempts in a row failed over 2\.\d s; the last: connection refused/);
    // Waiting for a server uses no retry: nothing gave up, the rest is simply not sent.
    expect(s.outcomes).toMatchObject({ accepted: 0, 'gave-up': 0, 'not-sent': 200 });
    expect(s.requests).toBeLessThan(100);
  });
});

/** A loopback port nothing listens on yet (bound, then closed): where the emulator restarts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('a restart costs no event', () => {
  it('the emulator (with --store) down for 5 s in the middle of a send at default flags: every event accepted once, one journal line each, exit 0', async () => {
    const port = await freePort();
    const store = join(dir, 'restart-store.jsonl');
    let emu = await emulator({ port, store, latencyMs: 5 });
    const journal = join(dir, 'restart.jsonl');
    const N = 400;
    const child = spawn(process.execPath, [BIN, 'send', '--test', '--count', String(N), '--concurrency', '4', '--journal', journal, '--base-url', emu.url, '--format', 'json'], {
      cwd: ROOT,
      env: { ...cleanEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 150_000); // never leave a stray process
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (clearTimeout(killer), resolve(code))));
    await waitFor(() => emu.rows().length >= 50, '50 rows stored');
    await emu.close();
    emulators = emulators.filter((e) => e !== emu);
    const downFor = 5000;
    await new Promise((r) => setTimeout(r, downFor));
    emu = await emulator({ port, store, latencyMs: 5 });
    const code = await exited;
    expect(code, stderr).toBe(0);
    const s = JSON.parse(stdout);
    expect(s.outcomes).toMatchObject({ accepted: N, 'gave-up': 0, 'not-sent': 0 });
    const ids = emu.rows().map((p) => p.externalRequestId);
    expect(ids).toHaveLength(N);
    expect(new Set(ids).size).toBe(N);
    const lines = journalOf(journal);
    expect(lines).toHaveLength(N);
    expect(new Set(lines.filter((l) => l.outcome === 'accepted').map((l) => l.externalRequestId))).toEqual(new Set(ids));
  }, 180_000);
});

describe('a 429 pauses the whole sender and the pace adapts', () => {
  it('emulate --rate-limit 1: send --count 6 --concurrency 4 ends with every event accepted once, exit 0', async () => {
    const emu = await emulator({ rateLimit: 1 });
    const r = await send(['--test', '--count', '6', '--concurrency', '4', '--base-url', emu.url, '--format', 'json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.outcomes).toMatchObject({ accepted: 6, 'gave-up': 0 });
    expect(s.throttled.responses).toBeGreaterThan(0);
    expect(emu.rows()).toHaveLength(6);
    expect(emu.stats().duplicates).toBe(0);
  });
});

describe('SIGHUP', () => {
  it('ends a send as SIGTERM does: in-flight requests finish, journal and summary are written, exit 129', async () => {
    const stored = new Map<string, unknown>();
    const accept = acceptingScript(stored);
    const server = await servers.start(async (q) => {
      await new Promise((r) => setTimeout(r, 30));
      return accept(q);
    });
    const journal = join(dir, 'sighup.jsonl');
    const child = spawn(process.execPath, [BIN, 'send', '--test', '--count', '512', '--concurrency', '8', '--journal', journal, '--base-url', server.url], {
      cwd: ROOT,
      env: { ...cleanEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 40_000); // never leave a stray process
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (clearTimeout(killer), resolve(code))));
    await waitFor(() => stored.size >= 20, '20 rows stored');
    child.kill('SIGHUP');
    expect(await exited).toBe(129);
    expect(stderr).toContain('hung up (SIGHUP): stopped issuing requests and let the ones in flight finish.');
    const accepted = new Set(journalOf(journal).filter((e) => e.outcome === 'accepted').map((e) => e.externalRequestId));
    expect(accepted.size).toBeLessThan(512);
    // Every row the server stored is in the journal as accepted.
    expect(accepted).toEqual(new Set(stored.keys()));
  });
});

function cleanEnv(): Record<string, string> {
  const e: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OPSMETER_')) e[k] = v;
  return { ...e, NO_COLOR: '1', TZ: 'UTC', XDG_CACHE_HOME: join(ROOT, '.test-cache') };
}
