/**
 * `opsmeter import --send` end to end: the built CLI streaming converted payloads into the
 * sender, against the real emulator on 127.0.0.1 started in this test.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/server.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const KEY = 'om_live_IMPORT_SEND_42';
const env = { OPSMETER_API_KEY: KEY };
const ANTHROPIC = 'fixtures/import/anthropic-batch/msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d_results.jsonl';
const TRIAL = ['--data-mode', 'test', '--environment', 'staging'];
const dir = mkdtempSync(join(tmpdir(), 'opsmeter-import-send-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let emulators: Emulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.map((e) => e.close()));
  emulators = [];
});
async function emulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const e = await startEmulator({ port: 0, apiKey: KEY, seed: 3, ...opts });
  emulators.push(e);
  return e;
}

const lines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { externalRequestId: string; metadata: Record<string, unknown> });

/** The import alone, for comparison: the payloads --send must deliver. */
async function plainImport(args: string[]) {
  const r = await runCli(['import', ...args]);
  expect(r.code === 0 || r.code === 1).toBe(true);
  return lines(r.stdout);
}

describe('import --send against the emulator', () => {
  it('delivers every payload once, partial ones with their mark; stdout stays empty; both summaries on stderr', async () => {
    const emu = await emulator();
    const expected = await plainImport([ANTHROPIC, '--from', 'anthropic-batch', ...TRIAL]);
    expect(expected).toHaveLength(15);
    const copy = join(dir, 'copy.jsonl');
    const r = await runCli(['import', '--from', 'anthropic-batch', ANTHROPIC, ...TRIAL, '--send', '--base-url', emu.url, '-o', copy], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('read 15 = complete 9 + partial 6 + skipped 0 + rejected 0 ✔');
    expect(r.stderr).toContain('payloads → the API (--send) and ' + copy);
    expect(r.stderr).toMatch(/15 events → http:\/\/127\.0\.0\.1:\d+\/v1\/ingest\/llm-request/);
    expect(r.stderr).toMatch(/accepted\s+15/);
    expect(r.stderr).not.toContain(KEY);

    const rows = emu.rows();
    expect(rows).toHaveLength(expected.length);
    const ids = rows.map((p) => p.externalRequestId);
    expect(new Set(ids).size).toBe(rows.length);
    expect(new Set(ids)).toEqual(new Set(expected.map((p) => p.externalRequestId)));
    expect(emu.stats().duplicates).toBe(0);
    // Partial payloads arrive marked, with their reason and without invented counts.
    const partial = rows.filter((p) => (p.metadata as Record<string, unknown> | undefined)?.usageStatus === 'partial');
    expect(partial).toHaveLength(6);
    for (const p of partial) expect((p.metadata as Record<string, unknown>).partialReason).toMatch(/^(request_failed|usage_missing|batch_canceled|batch_expired)$/);
    expect(partial.filter((p) => p.inputTokens === undefined).length).toBeGreaterThan(0);
    // -o keeps a copy identical to what the import alone writes.
    expect(readFileSync(copy, 'utf8')).toBe(expected.map((p) => JSON.stringify(p)).join('\n') + '\n');
  });

  it('a re-run with the same --journal sends nothing new', async () => {
    const emu = await emulator();
    const journal = join(dir, 'journal.jsonl');
    const args = ['import', ANTHROPIC, '--from', 'anthropic-batch', ...TRIAL, '--send', '--base-url', emu.url, '--journal', journal, '--format', 'json'];
    const first = await runCli(args, { env });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ events: 15, outcomes: { accepted: 15 } });
    const requests = emu.stats().requests;
    const again = await runCli(args, { env });
    expect(again.code).toBe(0);
    // stdout carries only the send summary JSON.
    const summary = JSON.parse(again.stdout);
    expect(summary.skipped).toBe(15);
    expect(summary.outcomes.accepted).toBe(0);
    expect(emu.stats().requests).toBe(requests);
    expect(emu.rows()).toHaveLength(15);
    expect(again.stderr).toContain('read 15 = complete 9');
  });

  // With --data-mode real given too, and the other --send usage errors: import-plan.test.ts (in-process).
  it('refuses dataMode real without --allow-real (exit 2, nothing read or sent) and says what to do', async () => {
    const emu = await emulator();
    const r = await runCli(['import', ANTHROPIC, '--from', 'anthropic-batch', '--send', '--base-url', emu.url], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing to send');
    expect(r.stderr).toContain('--data-mode test');
    expect(r.stderr).toContain('--allow-real');
    expect(r.stderr).not.toContain('rows read'); // refused before the import ran
    expect(r.stdout).toBe('');
    expect(emu.stats().requests).toBe(0);
    // --allow-real is the real backfill.
    const real = await runCli(['import', ANTHROPIC, '--from', 'anthropic-batch', '--send', '--allow-real', '--base-url', emu.url], { env });
    expect(real.code).toBe(0);
    expect(emu.rows()).toHaveLength(15);
    expect(emu.rows().every((p) => p.dataMode === 'real')).toBe(true);
  });

  it('a 402 plan limit stops sending: exit 3, the rest not sent, the import still accounts for every row', async () => {
    const emu = await emulator({ planLimit: 5 });
    const r = await runCli(['import', ANTHROPIC, '--from', 'anthropic-batch', ...TRIAL, '--send', '--base-url', emu.url, '--concurrency', '1', '--format', 'json'], { env });
    expect(r.code).toBe(3);
    const s = JSON.parse(r.stdout);
    expect(s.outcomes.accepted).toBe(5);
    expect(s.outcomes.paused).toBe(1);
    expect(s.outcomes['not-sent']).toBe(9);
    expect(emu.rows()).toHaveLength(5);
    expect(emu.stats().requests).toBe(6);
    expect(r.stderr).toContain('read 15 = complete 9 + partial 6 + skipped 0 + rejected 0 ✔');
  });

  it('--dry-run sends nothing (and needs no key): what would be sent goes to stdout', async () => {
    const emu = await emulator();
    const expected = await plainImport([ANTHROPIC, '--from', 'anthropic-batch', ...TRIAL]);
    const r = await runCli(['import', ANTHROPIC, '--from', 'anthropic-batch', ...TRIAL, '--send', '--dry-run', '--base-url', emu.url]);
    expect(r.code).toBe(0);
    expect(emu.stats().requests).toBe(0);
    expect(lines(r.stdout)).toEqual(expected);
    expect(r.stderr).toContain('read 15 = complete 9');
  });

  it('rejected import rows → exit 1 although every payload was accepted', async () => {
    const emu = await emulator();
    const expected = await plainImport(['fixtures/import/openai-batch', '--from', 'openai-batch', ...TRIAL]);
    const r = await runCli(['import', 'fixtures/import/openai-batch', '--from', 'openai-batch', ...TRIAL, '--send', '--base-url', emu.url], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rejected 7/);
    expect(r.stderr).toMatch(/accepted\s+25/);
    expect(emu.rows()).toHaveLength(expected.length);
  });

  it('streams a file far larger than the queue: every payload lands once', async () => {
    const emu = await emulator();
    const file = join(dir, 'batch_5f00dbad0001_output.jsonl');
    writeFileSync(file, batchLines(4000));
    const r = await runCli(['import', file, '--from', 'openai-batch', ...TRIAL, '--send', '--base-url', emu.url, '--concurrency', '16', '--format', 'json'], { env, timeoutMs: 170_000 });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outcomes.accepted).toBe(4000);
    const ids = emu.rows().map((p) => p.externalRequestId);
    expect(ids).toHaveLength(4000);
    expect(new Set(ids).size).toBe(4000);
  }, 180_000);

  it('--against with --send: every payload is sent, the coverage is checked on the same import, and its exit code is the coverage\'s', async () => {
    const R = 'fixtures/reconcile';
    const logs = ['fixtures/import/openai-batch/batch_68c3a1e9f0b48190_output.jsonl', 'fixtures/import/openai-log/app-completions.jsonl'];
    const emu = await emulator();
    const r = await runCli(['import', ...logs, ...TRIAL, '--send', '--base-url', emu.url, '--against', `${R}/openai-usage-2025-09-page-1.json`, `${R}/openai-usage-2025-09-page-2.json`], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/accepted\s+24/);
    expect(emu.rows()).toHaveLength(24);
    expect(r.stderr).toContain('12 of 12 rows within ±1%');

    // Half a day's usage missing from the report: all 24 are still sent; the run exits 1 for the coverage.
    const emu2 = await emulator();
    const half = await runCli(['import', ...logs, ...TRIAL, '--send', '--base-url', emu2.url, '--against', `${R}/openai-usage-2025-09-page-1.json`, `${R}/openai-usage-2025-09-page-2-half-missing.json`], { env });
    expect(half.code).toBe(1);
    expect(half.stderr).toMatch(/accepted\s+24/);
    expect(emu2.rows()).toHaveLength(24);
    expect(half.stderr).toContain('coverage against OpenAI Usage API');
    expect(half.stderr).not.toMatch(/\n\s+at /);
  });

  it('an import that cannot go on midway: what was converted is sent, then exit 2 with the reason', async () => {
    const emu = await emulator();
    const r = await runCli(
      ['import', 'fixtures/import/openai-batch/batch_68c3a1e9f0b48190_output.jsonl', 'fixtures/import/aggregate/openai-usage-page.json', '--from', 'openai-batch', ...TRIAL, '--send', '--base-url', emu.url],
      { env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('openai-usage-page.json is an OpenAI usage export');
    expect(r.stderr).toMatch(/accepted\s+12/);
    expect(emu.rows()).toHaveLength(12);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('SIGINT stops both: exit 130, the journal matches the server, the import stopped early; a resumed run sends the rest', async () => {
    const emu = await emulator({ latencyMs: 50 });
    const N = 3000;
    const file = join(dir, 'batch_5f00dbad0002_output.jsonl');
    writeFileSync(file, batchLines(N, 'b2'));
    const journal = join(dir, 'sigint.jsonl');
    const args = ['import', file, '--from', 'openai-batch', ...TRIAL, '--send', '--base-url', emu.url, '--journal', journal];
    const child = spawn(process.execPath, [BIN, ...args, '--concurrency', '2'], { cwd: ROOT, env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000); // never leave a stray process
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (clearTimeout(killer), resolve(code))));
    await waitFor(() => emu.rows().length >= 10, '10 rows stored');
    expect(emu.rows().length).toBeGreaterThanOrEqual(10);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('interrupted');
    // The import stopped reading too, and its summary counts what it read: the queue is
    // bounded, so it had converted at most ~1,000 more than were sent.
    const stopped = /opsmeter import: interrupted: stopped reading after ([\d,]+) rows/.exec(stderr);
    expect(stopped).not.toBeNull();
    const read = Number(stopped![1]!.replace(/,/g, ''));
    expect(read).toBeLessThan(N);
    expect(stderr).toContain(`read ${read} = complete ${read} + partial 0 + skipped 0 + rejected 0 ✔`);
    const accepted = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.outcome === 'accepted').map((e) => e.externalRequestId);
    expect(new Set(accepted)).toEqual(new Set(emu.rows().map((p) => p.externalRequestId)));

    const resumed = await runCli([...args, '--concurrency', '32'], { env, timeoutMs: 170_000 });
    expect(resumed.code).toBe(0);
    const ids = emu.rows().map((p) => p.externalRequestId);
    expect(ids).toHaveLength(N);
    expect(new Set(ids).size).toBe(N);
    expect(emu.stats().duplicates).toBe(0);
  }, 240_000);
});

/** OpenAI Batch output lines, each with its own batch_req id and usage. */
function batchLines(n: number, tag = 'b1'): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    out +=
      JSON.stringify({
        id: `batch_req_${tag}_${i}`,
        custom_id: `request-${i}`,
        response: {
          status_code: 200,
          request_id: `req${tag}${i}`,
          body: { id: `chatcmpl-${tag}-${i}`, object: 'chat.completion', created: 1757683214, model: 'gpt-4o-mini-2024-07-18', usage: { prompt_tokens: 20 + (i % 50), completion_tokens: 5, total_tokens: 25 + (i % 50) } },
        },
        error: null,
      }) + '\n';
  }
  return out;
}

function cleanEnv(): Record<string, string> {
  const e: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OPSMETER_')) e[k] = v;
  return { ...e, NO_COLOR: '1', TZ: 'UTC', XDG_CACHE_HOME: join(ROOT, '.test-cache') };
}
