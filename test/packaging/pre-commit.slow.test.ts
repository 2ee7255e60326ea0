/**
 * The pre-commit hook (.pre-commit-hooks.yaml, id opsmeter-validate) under the real
 * `pre-commit`, end to end: pre-commit clones this repository, builds and installs the tool into
 * its node environment (the Node.js on PATH: no download), and runs it on a user repository's
 * payload files. The repository is snapshotted first (tracked and untracked files, as the
 * working tree has them), so what is tested is what would be committed.
 *
 * Each install runs npm install + build + npm pack + npm install -g (about 1-2 minutes on a
 * loaded machine), offline-first from npm's cache. Skipped when `pre-commit` is not installed;
 * `.ci/run` installs it (apt-get), so CI runs it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/cli.js';
import { git, snapshotRepo } from '../helpers/snapshot.js';

const hasPreCommit = spawnSync('pre-commit', ['--version'], { stdio: 'ignore' }).status === 0;
const INSTALL_TIMEOUT = 480_000;

interface Run {
  code: number | null;
  output: string;
}

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-pre-commit-'));
const hookRepo = join(tmp, 'hook-repo');
const userRepo = join(tmp, 'user-repo');

/** Runs a command (no shell) with npm's own npm_* variables removed and pre-commit's store in tmp. */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('npm_') && !k.startsWith('OPSMETER_')) env[k] = v;
  Object.assign(env, {
    NO_COLOR: '1',
    TZ: 'UTC',
    PRE_COMMIT_HOME: join(tmp, 'pre-commit-home'),
    PRE_COMMIT_COLOR: 'never',
    XDG_CACHE_HOME: join(tmp, 'cache'),
    // The packages are in npm's cache after `npm ci`: use it before the network.
    npm_config_prefer_offline: 'true',
  });
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const BAD_PAYLOAD = '{"externalRequestId":"b1","provider":"openai","model":"gpt-4o-mini","status":"success","inputTokens":"12","outputTokens":3}\n';

describe.skipIf(!hasPreCommit)('pre-commit hook opsmeter-validate (skipped when pre-commit is not installed; .ci/run installs it)', () => {
  let rev = '';

  beforeAll(async () => {
    // The hook repository: this working tree's files as git sees them (node_modules/, dist/ ignored).
    rev = snapshotRepo(hookRepo);

    // A user's repository: payloads, and a package.json that is no payload.
    mkdirSync(join(userRepo, 'payloads'), { recursive: true });
    cpSync(join(FIXTURES, 'payloads', 'valid', 'events.jsonl'), join(userRepo, 'payloads', 'good.jsonl'));
    writeFileSync(join(userRepo, 'package.json'), '{ "name": "user-app", "private": true }\n');
    git(userRepo, 'init', '-q');
    git(userRepo, 'add', '-A');
    git(userRepo, 'commit', '-q', '-m', 'init');
  }, 120_000);

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('pre-commit try-repo installs the hook and fails on a bad payload, showing the problem', async () => {
    writeFileSync(join(userRepo, 'payloads', 'bad.json'), BAD_PAYLOAD);
    git(userRepo, 'add', 'payloads/bad.json');
    const r = await run('pre-commit', ['try-repo', hookRepo, 'opsmeter-validate', '--ref', rev, '--files', 'payloads/good.jsonl', 'payloads/bad.json'], userRepo, INSTALL_TIMEOUT);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/opsmeter validate\.+Failed/);
    expect(r.output).toContain('payloads/bad.json');
    expect(r.output).toMatch(/1:\d+ +error +inputTokens must be a JSON number, got the string "12" +payload\/type/);
    expect(r.output).toMatch(/1 error, \d+ warnings?\): 2 files/);
    git(userRepo, 'rm', '-q', '--cached', 'payloads/bad.json');
    rmSync(join(userRepo, 'payloads', 'bad.json'));
  }, INSTALL_TIMEOUT + 30_000);

  it('from a .pre-commit-config.yaml with language_version: system and files narrowed: passes on good payloads, fails on a staged bad one', async () => {
    writeFileSync(
      join(userRepo, '.pre-commit-config.yaml'),
      `repos:\n  - repo: ${hookRepo}\n    rev: ${rev}\n    hooks:\n      - id: opsmeter-validate\n        language_version: system\n        files: ^payloads/\n`,
    );
    git(userRepo, 'add', '.pre-commit-config.yaml');
    const pass = await run('pre-commit', ['run', '--all-files'], userRepo, INSTALL_TIMEOUT);
    expect(pass.code, pass.output).toBe(0);
    expect(pass.output).toMatch(/opsmeter validate\.+Passed/);
    // The Node.js on PATH was used (nodeenv --node=system), none was downloaded.
    const home = join(tmp, 'pre-commit-home');
    expect(readdirSync(home).some((d) => existsSync(join(home, d, 'node_env-system')))).toBe(true);

    writeFileSync(join(userRepo, 'payloads', 'bad.json'), BAD_PAYLOAD);
    git(userRepo, 'add', 'payloads/bad.json');
    const fail = await run('pre-commit', ['run'], userRepo, 120_000);
    expect(fail.code, fail.output).toBe(1);
    expect(fail.output).toMatch(/opsmeter validate\.+Failed/);
    expect(fail.output).toContain('payload/type');
    git(userRepo, 'rm', '-q', '--cached', 'payloads/bad.json');
    rmSync(join(userRepo, 'payloads', 'bad.json'));
  }, INSTALL_TIMEOUT + 150_000);

  it("with the hook's own files pattern (not narrowed): package.json and a commented tsconfig.json are excluded, and it passes", async () => {
    writeFileSync(join(userRepo, 'tsconfig.json'), '{\n  // the app\'s settings\n  "compilerOptions": { "strict": true, },\n}\n');
    writeFileSync(
      join(userRepo, '.pre-commit-config.yaml'),
      `repos:\n  - repo: ${hookRepo}\n    rev: ${rev}\n    hooks:\n      - id: opsmeter-validate\n        language_version: system\n`,
    );
    git(userRepo, 'add', '-A');
    const r = await run('pre-commit', ['run', '--all-files', '--verbose'], userRepo, INSTALL_TIMEOUT);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/opsmeter validate\.+Passed/);
    expect(r.output).toMatch(/no problems: 1 file, \d+ payloads? checked/); // payloads/good.jsonl alone
  }, INSTALL_TIMEOUT + 30_000);
});
