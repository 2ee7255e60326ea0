/**
 * Runs the built CLI as a user would: a child process with a fixed environment
 * (NO_COLOR=1, TZ=UTC, no API key unless given), returning exit code, stdout and stderr.
 * `npm test` builds first; run `npx tsc -p tsconfig.json` before running a single file.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'opsmeter.js');
export const FIXTURES = join(ROOT, 'fixtures');
export const SHARED = join(ROOT, '..', 'shared');
/**
 * Opsmeter's own example payloads in the shared reference next to the repo (../shared), which
 * a plain clone lacks: tests that compare against it are skipped, visibly, without it.
 */
export const OFFICIAL_PAYLOADS_REF = join(SHARED, 'reference', 'official-payloads');
export const HAS_OFFICIAL_PAYLOADS_REF = existsSync(OFFICIAL_PAYLOADS_REF);

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { XDG_CACHE_HOME: join(ROOT, '.test-cache'), ...opts.env },
    timeoutMs: opts.timeoutMs ?? 100_000,
    input: opts.input,
  });
}

export interface ProcessOptions extends CliOptions {
  /** Prefixes of this process's variables not passed on (OPSMETER_ always, FORCE_COLOR too). */
  drop?: readonly string[];
}

/**
 * Runs a command without a shell, colourless and in UTC, killed after `timeoutMs`: this
 * process's environment minus the opsmeter variables (and `drop`), then `env` on top (an
 * undefined value removes a variable).
 */
export function runProcess(cmd: string, args: string[], opts: ProcessOptions = {}): Promise<CliResult> {
  const drop = ['OPSMETER_', ...(opts.drop ?? [])];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== 'FORCE_COLOR' && !drop.some((p) => k.startsWith(p))) env[k] = v;
  }
  Object.assign(env, { NO_COLOR: '1', TZ: 'UTC' });
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 100_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the command may exit before reading all input
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
