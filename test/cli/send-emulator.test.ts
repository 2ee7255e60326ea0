/**
 * `opsmeter send`, `status` and `catalog --fetch` against the real emulator on 127.0.0.1,
 * started in this test process: nothing lost or double counted under faults, the plan and
 * budget stops, auth, and the shapes the emulator serves.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/server.js';

const KEY = 'om_live_SECRET_123';
const env = { OPSMETER_API_KEY: KEY };
const dir = mkdtempSync(join(tmpdir(), 'opsmeter-send-emu-'));
let emulators: Emulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.map((e) => e.close()));
  emulators = [];
});
async function emulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const e = await startEmulator({ port: 0, apiKey: KEY, seed: 7, ...opts });
  emulators.push(e);
  return e;
}

describe('send against the emulator', () => {
  // The full 2,000-event run is in send-faults.test.ts, in process on a virtual clock; this is
  // the same scenario through the spawned CLI, small enough that its real waits stay short.
  it('under --fail-rate 0.3 and --rate-limit 50, 200 events end with stored rows == accepted and no duplicates', async () => {
    const emu = await emulator({ failRate: 0.3, rateLimit: 50 });
    const journal = join(dir, 'faults.jsonl');
    const r = await runCli(
      ['send', '--test', '--count', '200', '--seed', 'faults', '--max-retries', '12', '--timeout', '20000', '--journal', journal, '--format', 'json', '--base-url', emu.url],
      { env, timeoutMs: 120_000 },
    );
    expect(r.stderr).not.toContain(KEY);
    const summary = JSON.parse(r.stdout);
    const rows = emu.rows();
    const ids = rows.map((p) => p.externalRequestId);
    expect(new Set(ids).size).toBe(rows.length);
    expect(summary.outcomes.accepted).toBe(rows.length);
    expect(emu.stats().duplicates).toBe(0);
    // Faults really happened and were retried.
    expect(emu.stats().failed).toBeGreaterThan(10);
    expect(emu.stats().throttled).toBeGreaterThan(0);
    expect(summary.retries).toBeGreaterThan(10);
    // Every event is accounted for, and the journal agrees with the server.
    const total = Object.values(summary.outcomes as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(total).toBe(200);
    const accepted = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.outcome === 'accepted').map((e) => e.externalRequestId);
    expect(new Set(accepted)).toEqual(new Set(ids));
    expect(r.code === 0 || r.code === 5).toBe(true);
    if (r.code === 0) expect(rows.length).toBe(200);
  }, 150_000);

  it('accepted events land as rows; a resend of the same ids is not double counted and its warning is surfaced', async () => {
    const emu = await emulator();
    const args = ['send', '--test', '--count', '5', '--seed', 'dup', '--base-url', emu.url];
    const first = await runCli(args, { env });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('plan tier Free');
    expect(emu.rows()).toHaveLength(5);
    const again = await runCli(args, { env });
    expect(again.code).toBe(0);
    expect(emu.rows()).toHaveLength(5);
    expect(emu.stats().duplicates).toBe(5);
    expect(again.stderr).toContain('5 warnings');
    expect(again.stderr).toContain('warning: duplicate externalRequestId: not counted (×5)');
  });

  it('--plan-limit: 402 plan_limit_reached pauses the send, exit 3, nothing beyond the limit stored', async () => {
    const emu = await emulator({ planLimit: 5 });
    const r = await runCli(['send', '--demo', '--count', '12', '--concurrency', '1', '--base-url', emu.url], { env });
    expect(r.code).toBe(3);
    expect(emu.rows()).toHaveLength(5);
    expect(r.stderr).toMatch(/accepted\s+5/);
    expect(r.stderr).toMatch(/paused \(402\)\s+1/);
    expect(r.stderr).toMatch(/not sent\s+6/);
    expect(r.stderr).toContain('LLM calls keep running');
  });

  it('--budget-usd (soft, the default): every row accepted, the summary says "budget exceeded", never "plan limit"', async () => {
    const emu = await emulator({ budgetUsd: 0.000001 });
    const r = await runCli(['send', '--test', '--count', '5', '--concurrency', '1', '--base-url', emu.url], { env });
    expect(r.code).toBe(0);
    expect(emu.rows()).toHaveLength(5);
    expect(r.stderr).toContain('budget exceeded (soft stop: rows still accepted)');
    expect(r.stderr).not.toMatch(/plan limit|telemetry paused/);
    const j = JSON.parse((await runCli(['send', '--test', '--count', '2', '--format', 'json', '--base-url', emu.url], { env })).stdout);
    expect(j).toMatchObject({ stop: null, exitCode: 0, accepted: { budgetExceeded: 2, telemetryPaused: 0, planLimitReached: 0 } });
  });

  it('--budget-mode hard: 402 with another reason is a budget block, exit 3, called "budget" in text and JSON', async () => {
    const emu = await emulator({ budgetUsd: 0.000001, budgetMode: 'hard' });
    const r = await runCli(['send', '--test', '--count', '5', '--concurrency', '1', '--format', 'json', '--base-url', emu.url], { env });
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.stop).toMatchObject({ reason: 'blocked', policy: 'budget', status: 402, serverReason: 'budget_exceeded' });
    expect(j.stop.message).not.toMatch(/plan limit/);
    expect(j.outcomes.blocked).toBe(1);
    expect(j.outcomes.accepted).toBe(emu.rows().length);
    expect(j.accepted.telemetryPaused).toBe(0);
    const pretty = await runCli(['send', '--test', '--count', '2', '--concurrency', '1', '--base-url', emu.url], { env });
    expect(pretty.code).toBe(3);
    expect(pretty.stderr).toMatch(/blocked \(402\)\s+1 {2}budget hard stop \(not the plan limit\)/);
    expect(pretty.stderr).toContain("ingest stopped by the workspace's budget hard stop");
    expect(pretty.stderr).not.toMatch(/plan limit reached|telemetry paused/);
  });

  it('the plan limit is called "plan limit" in JSON too', async () => {
    const emu = await emulator({ planLimit: 1 });
    const r = await runCli(['send', '--test', '--count', '3', '--concurrency', '1', '--format', 'json', '--base-url', emu.url], { env });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).stop).toMatchObject({ reason: 'paused', policy: 'plan limit', serverReason: 'plan_limit_reached' });
  });

  it('a wrong key is unauthorized: exit 4, nothing stored', async () => {
    const emu = await emulator();
    const r = await runCli(['send', '--test', '--count', '3', '--base-url', emu.url], { env: { OPSMETER_API_KEY: 'om_live_WRONG' } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('OPSMETER_API_KEY');
    expect(emu.rows()).toHaveLength(0);
  });

  for (const mode of ['http-date', 'none'] as const) {
    it(`429 with Retry-After as ${mode} is honoured: everything accepted once`, async () => {
      const emu = await emulator({ rateLimit: 5, retryAfterMode: mode });
      const r = await runCli(['send', '--test', '--count', '12', '--max-retries', '10', '--base-url', emu.url], { env });
      expect(r.code).toBe(0);
      expect(emu.rows()).toHaveLength(12);
      expect(emu.stats().throttled).toBeGreaterThan(0);
      expect(r.stderr).toMatch(/throttled, retrying after \d+s/);
    });
  }

  it('--use-demo-endpoint posts demo rows', async () => {
    const emu = await emulator();
    const r = await runCli(['send', '--demo', '--count', '3', '--use-demo-endpoint', '--base-url', emu.url], { env });
    expect(r.code).toBe(0);
    expect(emu.rows()).toHaveLength(3);
    expect(emu.rows().every((p) => p.dataMode === 'demo')).toBe(true);
  });
});

describe('status and catalog against the emulator', () => {
  it('status reads the workspace status, and reflects the plan limit', async () => {
    const emu = await emulator({ planLimit: 3 });
    const before = await runCli(['status', '--base-url', emu.url], { env });
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/requests\s+\[.*\]\s+0\.0 %\s+0 used of 3/);
    await runCli(['send', '--test', '--count', '3', '--base-url', emu.url], { env });
    const after = await runCli(['status', '--fail-on', 'critical', '--base-url', emu.url], { env });
    expect(after.stdout).toContain('3 used of 3 · 0 remaining');
    expect(after.code).toBe(1);
    const json = await runCli(['status', '--json', '--base-url', emu.url], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({ plan: { currentRequestCount: 3, planRequestLimit: 3 } });
  });

  it('catalog --fetch reads the emulator\'s pricing-models response', async () => {
    const emu = await emulator();
    const cache = mkdtempSync(join(tmpdir(), 'opsmeter-cache-'));
    const r = await runCli(['catalog', '--fetch', '--base-url', emu.url], { env: { XDG_CACHE_HOME: cache } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/fetched \d{3,} models/);
    const list = await runCli(['catalog', '--provider', 'openai', '--search', 'gpt-4o-mini'], { env: { XDG_CACHE_HOME: cache } });
    expect(list.stdout).toContain(`fetched from ${emu.url}/v1/public/pricing-models`);
    expect(list.stdout).toMatch(/openai\s+gpt-4o-mini\s+0\.15\s+0\.6/);
  });
});
