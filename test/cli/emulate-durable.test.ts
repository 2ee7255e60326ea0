/**
 * A durable emulator, as a user would crash it: the built CLI's `emulate --store` on
 * 127.0.0.1 port 0 (its URL read from the banner), a `send --journal` into it, `kill -9`
 * of the emulator mid-send, a restart on the same store, and the journalled send resumed.
 * Every row must end up stored exactly once. No sleeps: the kill follows the emulator's own
 * --verbose request lines.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_EMULATOR_KEY } from '../../src/emulator/server.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'opsmeter-durable-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Running {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr: () => string;
  /** Resolves once `test(stderr)` holds (checked on every chunk); rejects if the process ends first. */
  until: (test: (stderr: string) => boolean) => Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function emulate(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OPSMETER_')) base[k] = v;
  const child = spawn(process.execPath, [BIN, 'emulate', '--port', '0', ...args], { cwd: ROOT, env: { ...base, NO_COLOR: '1', TZ: 'UTC', ...env } });
  children.push(child);
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of [...waiters]) w();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const until = (test: (s: string) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (test(stderr)) {
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
      check();
      void exit.then(() => {
        if (waiters.delete(check)) reject(new Error(`emulate ended first:\n${stderr.slice(-2000)}`));
      });
    });
  // The banner is written in one piece; the URL line carries the port chosen for --port 0.
  await until((s) => s.includes('stop with Ctrl+C'));
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1]!;
  return { child, url, stderr: () => stderr, until, exit };
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;
const storedIds = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { externalRequestId: string }).externalRequestId);

describe('emulate --store survives kill -9', () => {
  it('kill -9 mid-send, restart on the same store, resume the journalled send: every row stored exactly once', async () => {
    const store = join(dir, 'rows.jsonl');
    const journal = join(dir, 'sent.jsonl');
    const events = 600;
    const env = { OPSMETER_API_KEY: DEFAULT_EMULATOR_KEY };
    const send = (url: string) =>
      runCli(['send', '--test', '--count', String(events), '--seed', 'kill9', '--journal', journal, '--max-retries', '0', '--concurrency', '8', '--base-url', url], { env });

    // The key comes from the environment (it stays out of `ps`); --latency keeps requests in flight at the kill.
    const first = await emulate(['--store', store, '--latency', '5', '--verbose'], { OPSMETER_EMULATOR_API_KEY: DEFAULT_EMULATOR_KEY });
    expect(first.stderr()).toContain('API key (X-API-Key): (from OPSMETER_EMULATOR_API_KEY)');
    const sending = send(first.url);
    await first.until((s) => count(s, / 200 accepted /g) >= 100);
    first.child.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    const interrupted = await sending;
    expect(interrupted.code, interrupted.stderr).toBe(5); // the rest gave up: connection refused
    const answered = count(first.stderr(), / 200 accepted /g);
    const afterKill = storedIds(store);
    // Every row answered 200 is on disk (a row may be on disk without its answer: killed in between).
    expect(afterKill.length).toBeGreaterThanOrEqual(answered);
    expect(new Set(afterKill).size).toBe(afterKill.length);
    expect(afterKill.length).toBeLessThan(events);

    const second = await emulate(['--store', store]);
    expect(second.stderr()).toContain(`store ${store}: ${afterKill.length} rows restored (dedupe, plan count and spend carry on)`);
    const resumed = await send(second.url);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/skipped\s+\d+\s+already accepted according to the journal/);
    const finalIds = storedIds(store);
    expect(finalIds).toHaveLength(events);
    expect(new Set(finalIds).size).toBe(events);
    expect(finalIds.slice(0, afterKill.length)).toEqual(afterKill);

    // The restored count is the plan count: workspace-status says so.
    const status = (await (await fetch(second.url + '/v1/diagnostics/workspace-status', { headers: { 'X-API-Key': DEFAULT_EMULATOR_KEY } })).json()) as { plan: { currentRequestCount: number } };
    expect(status.plan.currentRequestCount).toBe(events);
    second.child.kill('SIGTERM');
    expect((await second.exit).code).toBe(0);
    expect(second.stderr()).toMatch(/opsmeter emulate: stopped \(SIGTERM\) after \d+ requests: \d+ accepted, \d+ duplicates/);
  });
});
