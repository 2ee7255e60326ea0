/**
 * `opsmeter clean` end to end: the built CLI against an emulator on 127.0.0.1 (port 0)
 * serving the documented Bearer cleanup endpoints.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EMULATOR_KEY, startEmulator, type Emulator } from '../../src/emulator/server.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { usageError } from '../helpers/command-line.js';

/** util-linux `script` gives the CLI a terminal (a pty) on stdin and stderr, as a person has. */
const HAS_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/** Run `opsmeter ARGS` on a pty, answer the first prompt with `answer`, return the exit code and what the terminal showed. */
function onTerminal(args: string[], answer: string, env: Record<string, string>): Promise<{ code: number | null; screen: string }> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OPSMETER_')) base[k] = v;
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: { ...base, NO_COLOR: '1', TZ: 'UTC', ...env } });
  let screen = '';
  let answered = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    screen += d;
    if (!answered && screen.includes('[y/N]')) {
      answered = true;
      child.stdin.write(answer + '\r');
    }
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, screen })));
}

const TOKEN = 'om_user_CLEAN_SECRET_9';
let dir: string;
let emu: Emulator;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-clean-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await emu?.close();
});

function row(id: string, dataMode: string, environment: string) {
  return { externalRequestId: id, provider: 'openai', model: 'gpt-4o-mini', promptVersion: 'v3', endpointTag: 'clean.test', inputTokens: 10, outputTokens: 2, latencyMs: 50, status: 'success', dataMode, environment };
}

async function seeded(): Promise<Emulator> {
  emu = await startEmulator({ host: '127.0.0.1', port: 0, bearerToken: TOKEN });
  for (const p of [row('t1', 'test', 'staging'), row('t2', 'test', 'dev'), row('d1', 'demo', 'dev'), row('r1', 'real', 'prod')]) {
    const res = await fetch(emu.url + '/v1/ingest/llm-request', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': DEFAULT_EMULATOR_KEY }, body: JSON.stringify(p) });
    expect(res.status).toBe(200);
  }
  return emu;
}

const modes = (e: Emulator) => e.rows().map((r) => r.dataMode);

describe('opsmeter clean', () => {
  it('--test-data deletes the test rows (scope mine by default) with the token from OPSMETER_TOKEN', async () => {
    const e = await seeded();
    const r = await runCli(['clean', '--test-data', '--base-url', e.url], { env: { OPSMETER_TOKEN: TOKEN } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`deleted the test rows (scope mine) at ${e.url}: 2 rows\n`);
    expect(modes(e)).toEqual(['demo', 'real']);
  });

  it('--demo-data --format json, token from --token-file (a pasted "Bearer " prefix is forgiven)', async () => {
    const e = await seeded();
    const file = join(dir, 'token.txt');
    writeFileSync(file, `Bearer ${TOKEN}\n`);
    const r = await runCli(['clean', '--demo-data', '--format', 'json', '--token-file', file], { env: { OPSMETER_API_BASE_URL: e.url } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: true,
      dataMode: 'demo',
      scope: 'mine',
      url: `${e.url}/v1/ingest/demo-data?scope=mine`,
      status: 200,
      deleted: 1,
      response: { ok: true, dataMode: 'demo', scope: 'mine', deleted: 1 },
    });
    expect(modes(e)).toEqual(['test', 'test', 'real']);
  });

  it('--scope workspace needs --yes when there is no terminal to ask on; nothing is deleted without it', async () => {
    const e = await seeded();
    const no = await runCli(['clean', '--test-data', '--scope', 'workspace', '--base-url', e.url], { env: { OPSMETER_TOKEN: TOKEN } });
    expect(no.code).toBe(2);
    expect(no.stderr).toContain('--scope workspace deletes the test rows of every member of the workspace');
    expect(no.stderr).toContain('pass --yes to confirm');
    expect(modes(e)).toHaveLength(4);
    const yes = await runCli(['clean', '--test-data', '--scope', 'workspace', '--yes', '--base-url', e.url], { env: { OPSMETER_TOKEN: TOKEN } });
    expect(yes.code).toBe(0);
    expect(yes.stdout).toContain('deleted the test rows (scope workspace)');
    expect(modes(e)).toEqual(['demo', 'real']);
  });

  it.skipIf(!HAS_SCRIPT)('--scope workspace asks on a terminal: "n" deletes nothing (exit 2), "y" deletes', async () => {
    const e = await seeded();
    const args = ['clean', '--test-data', '--scope', 'workspace', '--base-url', e.url];
    const no = await onTerminal(args, 'n', { OPSMETER_TOKEN: TOKEN });
    expect(no.screen).toContain(`Delete the test rows of EVERY member of the workspace at ${e.url}? [y/N]`);
    expect(no.screen).toContain('opsmeter: nothing deleted (not confirmed)');
    expect(no.code).toBe(2);
    expect(modes(e)).toHaveLength(4);
    const yes = await onTerminal(args, 'y', { OPSMETER_TOKEN: TOKEN });
    expect(yes.code).toBe(0);
    expect(yes.screen).toContain('deleted the test rows (scope workspace)');
    expect(modes(e)).toEqual(['demo', 'real']);
  });

  it('a wrong token is exit 4 with a hint, and the token is never printed', async () => {
    const e = await seeded();
    const r = await runCli(['clean', '--test-data', '--base-url', e.url], { env: { OPSMETER_TOKEN: 'om_user_WRONG_1234' } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('opsmeter: the token was refused (HTTP 401: invalid token)');
    expect(r.stderr).toContain("the workspace API key is not one");
    expect(r.stdout + r.stderr).not.toContain('om_user_WRONG_1234');
    expect(modes(e)).toHaveLength(4);
  });

  it('usage errors (exit 2): no token (the API key is not one), neither or both kinds, a token as a flag value', async () => {
    const e = await seeded();
    const none = await runCli(['clean', '--test-data', '--base-url', e.url], { env: { OPSMETER_API_KEY: DEFAULT_EMULATOR_KEY } });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`opsmeter: no dashboard token for ${e.url}`);
    expect(none.stderr).toContain('OPSMETER_TOKEN');
    for (const args of [[], ['--test-data', '--demo-data']]) {
      const r = await runCli(['clean', ...args, '--base-url', e.url], { env: { OPSMETER_TOKEN: TOKEN } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('say which rows to delete: --test-data or --demo-data');
    }
    // Flag errors as the command line is parsed: in-process.
    const flag = await usageError(['clean', '--test-data', '--token', TOKEN, '--base-url', e.url]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--token'");
    const scope = await usageError(['clean', '--test-data', '--scope', 'all', '--base-url', e.url], { vars: { OPSMETER_TOKEN: TOKEN } });
    expect(scope.code).toBe(2);
    expect(modes(e)).toHaveLength(4);
  });

  it('nothing listening is exit 5', async () => {
    const gone = await startEmulator({ host: '127.0.0.1', port: 0 });
    const url = gone.url;
    await gone.close();
    const r = await runCli(['clean', '--test-data', '--base-url', url, '--max-retries', '0'], { env: { OPSMETER_TOKEN: TOKEN } });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/could not delete the test rows at .*connection refused/);
  });
});
