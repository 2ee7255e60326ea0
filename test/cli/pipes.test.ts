/**
 * A closed stdout (`opsmeter … | head -1`): every command ends quietly — no stack trace, no
 * EPIPE message — with the exit code its documentation gives for what it found. The CLI is
 * spawned with a stdout pipe whose reading end is closed before the CLI writes anything,
 * so its first write fails with EPIPE. Also: the pretty code frame fits the terminal width.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPretty } from '../../src/report/pretty.js';
import type { ValidateResult } from '../../src/validate/validate.js';
import { DEFAULT_EMULATOR_KEY, startEmulator, type Emulator } from '../../src/emulator/server.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { PLAIN } from '../../src/terminal.js';

/** Runs the built CLI with its stdout closed early; returns the exit code and stderr. */
function withClosedStdout(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OPSMETER_') && k !== 'FORCE_COLOR') childEnv[k] = v;
  Object.assign(childEnv, { NO_COLOR: '1', TZ: 'UTC', XDG_CACHE_HOME: join(ROOT, '.test-cache') }, env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the first write
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const quiet = (stderr: string) => {
  expect(stderr).not.toMatch(/EPIPE|internal error|Unhandled|\n\s+at /);
};

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await emulator?.close();
});

describe('a closed stdout ends every command quietly with its exit code', () => {
  it.each([
    ['--help', ['--help'], 0],
    ['validate --help', ['validate', '--help'], 0],
    ['catalog', ['catalog'], 0],
    ['catalog --json', ['catalog', '--json'], 0],
    ['schema', ['schema'], 0],
    ['validate, clean, json', ['validate', '--format', 'json', 'fixtures/payloads/valid'], 0],
    ['validate, broken', ['validate', 'fixtures/payloads/broken'], 1],
    ['import (one row rejected)', ['import', 'fixtures/import/litellm/spend.csv', '--from', 'litellm'], 1],
    ['send --dry-run', ['send', '--test', '--dry-run', '--count', '3000'], 0],
  ])('%s', async (_what, args, code) => {
    const r = await withClosedStdout(args as string[]);
    quiet(r.stderr);
    expect(r.code, r.stderr).toBe(code);
  });

  it('import still reports its summary on stderr', async () => {
    const r = await withClosedStdout(['import', 'fixtures/import/litellm/spend.csv', '--from', 'litellm']);
    expect(r.stderr).toMatch(/read 10 = complete 6 \+ partial 3 \+ skipped 0 \+ rejected 1/);
  });

  it('import in worker threads (forced on a small batch file) ends quietly with its summary too', async () => {
    const r = await withClosedStdout(['import', 'fixtures/import/openai-batch/batch_68c3a1e9f0b48190_output.jsonl', '--from', 'openai-batch'], { OPSMETER_IMPORT_WORKERS: '2' });
    quiet(r.stderr);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/read (\d+) = complete/);
  });

  it('status --json against the emulator', async () => {
    const r = await withClosedStdout(['status', '--json', '--base-url', emulator.url], { OPSMETER_API_KEY: DEFAULT_EMULATOR_KEY });
    quiet(r.stderr);
    expect(r.code, r.stderr).toBe(0);
  });

  it('smoke (the embedded emulator, the whole checklist)', async () => {
    const r = await withClosedStdout(['smoke', '--seed', '1']);
    quiet(r.stderr);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('a stdout that fails for another reason', () => {
  it.skipIf(!existsSync('/dev/full'))('a full disk (/dev/full) is one line and exit 2, not an internal error', async () => {
    for (const args of [['validate', 'fixtures/payloads/valid'], ['catalog', '--json']]) {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const out = openSync('/dev/full', 'w');
        const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', out, 'pipe'] });
        closeSync(out);
        let stderr = '';
        child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toBe('opsmeter: cannot write the output: ENOSPC\n');
    }
  });
});

describe('the pretty code frame fits the terminal', () => {
  const longLine = '{"externalRequestId":"e1","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"checkout.summary","userId":"u_1234567890abcdef","inputTokens":"12","outputTokens":3,"latencyMs":5,"status":"success"}';
  const column = longLine.indexOf('"12"') + 1;
  const result = (): ValidateResult => ({
    files: [{ file: 'e.jsonl', format: 'jsonl', records: 1, blankLines: 0, errors: 1, warnings: 0 }],
    problems: [{ file: 'e.jsonl', line: 12345, column, pointer: '/inputTokens', rule: 'payload/type', severity: 'error', message: 'inputTokens must be a JSON number', excerpt: longLine }],
    counts: { files: 1, records: 1, errors: 1, warnings: 0 },
    omitted: 0,
    omittedErrors: 0,
    quietWarnings: 0,
    warningsSkipped: false,
    bailed: false,
    byRule: { 'payload/type': 1 },
  });
  const frameLines = (width: number | undefined): [string, string] => {
    const out = renderPretty(result(), { paint: PLAIN, strict: false, version: 't', catalog: 'c', width }).split('\n');
    const i = out.findIndex((l) => l.includes(' | {') || l.includes(' | …'));
    return [out[i]!, out[i + 1]!];
  };

  it.each([80, 60, 120])('%i columns: neither line wraps and the caret is under the value', (width) => {
    const [text, caret] = frameLines(width);
    expect(text.length).toBeLessThan(width);
    expect(caret.length).toBeLessThan(width);
    const at = caret.indexOf('^');
    expect(text.slice(at, at + 4)).toBe('"12"');
  });

  it('no TTY width: the frame keeps its 100-character window', () => {
    const [text, caret] = frameLines(undefined);
    const body = text.slice(text.indexOf('| ') + 2);
    expect(body.replace(/…/g, '').length).toBe(100);
    const at = caret.indexOf('^');
    expect(text.slice(at, at + 4)).toBe('"12"');
  });
});
