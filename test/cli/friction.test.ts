/**
 * Smaller friction from a new user's first hour (issue 8, item 8), through the built CLI (the
 * flag errors in-process, as the CLI parses them: test/helpers/command-line.ts):
 * `--format json` on status and catalog (with `--json` kept), a refused `--api-key` that
 * never repeats its value, "no input" for an empty stdin or payload-less files in send,
 * `catalog --search gpt-4.1` finding the catalog's `gpt-4-1`, and the send progress
 * line's total and ETA.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressText } from '../../src/cli/send-session.js';
import { DEFAULT_EMULATOR_KEY, startEmulator, type Emulator } from '../../src/emulator/server.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { usageError } from '../helpers/command-line.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-friction-'));
let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await emulator?.close();
  rmSync(tmp, { recursive: true, force: true });
});
const KEY_ENV = () => ({ OPSMETER_API_KEY: DEFAULT_EMULATOR_KEY });

describe('--format json on status and catalog', () => {
  it('status --format json and --json print the same API response', async () => {
    const a = await runCli(['status', '--format', 'json', '--base-url', emulator.url], { env: KEY_ENV() });
    const b = await runCli(['status', '--json', '--base-url', emulator.url], { env: KEY_ENV() });
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const ja = JSON.parse(a.stdout);
    expect(typeof ja).toBe('object');
    expect(Object.keys(ja).length).toBeGreaterThan(3);
    expect(Object.keys(JSON.parse(b.stdout))).toEqual(Object.keys(ja));
    expect((await usageError(['status', '--format', 'xml', '--base-url', emulator.url], { vars: KEY_ENV() })).code).toBe(2);
  });

  it('catalog --format json and --json print the same document', async () => {
    const a = await runCli(['catalog', '--format', 'json', '--provider', 'openai']);
    const b = await runCli(['catalog', '--json', '--provider', 'openai']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
    expect(JSON.parse(a.stdout).models.length).toBeGreaterThan(10);
  });
});

describe('--api-key is refused with the reason, and the value is never repeated', () => {
  it.each([
    ['send', ['send', '--test', '--api-key', 'om_live_SECRET123']],
    ['send, --api-key=', ['send', '--test', '--api-key=om_live_SECRET123']],
    ['status', ['status', '--api-key', 'om_live_SECRET123']],
    ['smoke', ['smoke', '--base-url', 'http://127.0.0.1:1', '--api-key', 'om_live_SECRET123']],
    ['import --send', ['import', 'fixtures/import/litellm/spend.csv', '--send', '--api-key', 'om_live_SECRET123']],
  ])('%s', async (_what, args) => {
    // Refused as the command line is parsed (refuseApiKeyOption): in-process, as the CLI parses it.
    const r = await usageError(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/there is no --api-key flag: a key on the command line ends up in shell history/);
    expect(r.stderr).toMatch(/OPSMETER_API_KEY.*--api-key-file/);
    expect(r.stdout + r.stderr).not.toContain('SECRET123');
  });
});

describe('send: no input is exit 2, as in validate', () => {
  it('an empty stdin', async () => {
    const r = await runCli(['send', '--dry-run'], { input: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no input: nothing to send \(stdin is empty\)/);
  });

  it('files that hold no payloads (empty, blank lines, an empty array)', async () => {
    writeFileSync(join(tmp, 'empty.jsonl'), '');
    writeFileSync(join(tmp, 'blank.jsonl'), '\n\n');
    writeFileSync(join(tmp, 'none.json'), '[]');
    for (const f of ['empty.jsonl', 'blank.jsonl', 'none.json']) {
      const r = await runCli(['send', join(tmp, f)], { env: KEY_ENV() });
      expect(r.code, f).toBe(2);
      expect(r.stderr, f).toMatch(new RegExp(`no input: nothing to send \\(.*${f.replace('.', '\\.')} holds no payloads\\)`));
    }
  });

  it('an empty file next to one with payloads is still sent (and the empty one reported)', async () => {
    writeFileSync(join(tmp, 'one.jsonl'), '{"externalRequestId":"x1","provider":"openai","model":"gpt-4o-mini","inputTokens":1,"outputTokens":1,"status":"success","dataMode":"test","environment":"staging"}\n');
    const r = await runCli(['send', '--dry-run', join(tmp, 'empty.jsonl'), join(tmp, 'one.jsonl')]);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/empty\.jsonl holds no payloads/);
  });
});

describe('catalog --search', () => {
  it('gpt-4.1 finds the gpt-4-1 that validate maps it to', async () => {
    const r = await runCli(['catalog', '--provider', 'openai', '--search', 'gpt-4.1', '--format', 'json']);
    expect(r.code).toBe(0);
    const models = JSON.parse(r.stdout).models.map((m: { model: string }) => m.model);
    expect(models).toContain('gpt-4-1');
    expect(models).toContain('gpt-4-1-mini');
    expect(models.every((m: string) => m.includes('gpt-4-1') || m.includes('gpt-4.1'))).toBe(true);
  });
});

describe('the send progress line', () => {
  it('shows n/total, a percentage and an ETA when the total is known', () => {
    const c = { done: 25, accepted: 24, retrying: 1, inFlight: 4, requests: 30 };
    expect(progressText(c, 10, 100)).toBe('sent 25/100 (25%) · accepted 24 · retrying 1 · in flight 4 · 3.0 req/s · ETA 30s');
    expect(progressText(c, 10)).toBe('sent 25 · accepted 24 · retrying 1 · in flight 4 · 3.0 req/s');
    expect(progressText({ ...c, done: 0 }, 0.5, 100)).toBe('sent 0/100 (0%) · accepted 24 · retrying 1 · in flight 4 · 60.0 req/s');
    expect(progressText({ ...c, done: 1 }, 100, 10_000)).toMatch(/ETA 277h4\dm$/);
    expect(progressText({ ...c, done: 100 }, 10, 100)).toMatch(/sent 100\/100 \(100%\)[^E]*$/);
  });

  it('on a terminal, `send --test --count N` draws it with the total', async () => {
    // `script` gives the CLI a pseudo-terminal, so stderr is a TTY and the line is drawn.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OPSMETER_')) env[k] = v;
    Object.assign(env, { NO_COLOR: '1', TZ: 'UTC', XDG_CACHE_HOME: join(ROOT, '.test-cache'), OPSMETER_API_KEY: DEFAULT_EMULATOR_KEY });
    const command = `"${process.execPath}" "${BIN}" send --test --count 12 --rate 4 --base-url ${emulator.url}`;
    const out = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
      const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, text }));
    });
    expect(out.code, out.text).toBe(0);
    expect(out.text).toMatch(/sent \d+\/12 \(\d+%\) · accepted \d+/);
  });
});
