/**
 * The CI integrations as files: the GitHub Action (action.yml, a composite action whose steps
 * are scripts/github-action.sh) and the pre-commit manifest (.pre-commit-hooks.yaml). The
 * action's steps run here as the runner runs them: the script, with its inputs in the
 * environment, in a workspace of payload files; the install step once in a fresh checkout
 * (a snapshot of the working tree), where it runs npm ci and the build. (test/packaging/pre-commit.slow.test.ts runs the hook under
 * the real pre-commit.) Both YAML files are read with Python's yaml module, when there is one.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, runProcess, type CliResult } from '../helpers/cli.js';
import { snapshotRepo } from '../helpers/snapshot.js';
import { VERSION } from '../../src/version.js';

const SCRIPT = join(ROOT, 'scripts', 'github-action.sh');
const YAML_TO_JSON = 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))))';
/** A GitHub expression as written in action.yml: ${{ … }}. */
const gh = (expr: string) => `\${{ ${expr} }}`;
const hasPyYaml = spawnSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' }).status === 0;

function yamlFile(name: string): any {
  const r = spawnSync('python3', ['-c', YAML_TO_JSON, join(ROOT, name)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${name} is not valid YAML: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function runStep(step: string, cwd: string, env: Record<string, string>, script = SCRIPT, timeoutMs = 60_000): Promise<CliResult> {
  // npm's own npm_* variables (set under `npm test`) would reach the install step's npm ci.
  return runProcess('bash', [script, step], { cwd, timeoutMs, drop: ['INPUT_', 'npm_'], env: { XDG_CACHE_HOME: join(ROOT, '.test-cache'), ...env } });
}

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-action-'));
const workspace = join(tmp, 'workspace');
mkdirSync(workspace);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the GitHub Action', () => {
  beforeAll(() => {
    mkdirSync(join(workspace, 'payloads'));
    mkdirSync(join(workspace, 'events', '2026', '01'), { recursive: true });
    cpSync(join(FIXTURES, 'payloads', 'valid', 'events.jsonl'), join(workspace, 'events', '2026', '01', 'day.jsonl'));
    cpSync(join(FIXTURES, 'payloads', 'valid', 'single-object.json'), join(workspace, 'payloads', 'good.json'));
  });

  it.skipIf(!hasPyYaml)('action.yml is a composite action whose steps set up Node and run the script with the inputs', () => {
    const action = yamlFile('action.yml');
    expect(action.runs.using).toBe('composite');
    expect(action.inputs.paths.required).toBe(true);
    expect(Object.keys(action.inputs).sort()).toEqual(['args', 'node-version', 'paths']);
    const [setup, install, validate] = action.runs.steps;
    // setup-node's current major (v7, July 2026: it runs on node24) and Node 24 by default: GitHub has retired Node 20.
    expect(setup).toMatchObject({ uses: 'actions/setup-node@v7', if: "inputs.node-version != ''", with: { 'node-version': gh('inputs.node-version') } });
    expect(action.inputs['node-version'].default).toBe('24');
    expect(install).toMatchObject({ shell: 'bash', run: '"$GITHUB_ACTION_PATH/scripts/github-action.sh" install' });
    expect(validate).toMatchObject({
      shell: 'bash',
      run: '"$GITHUB_ACTION_PATH/scripts/github-action.sh" validate',
      env: { INPUT_PATHS: gh('inputs.paths'), INPUT_ARGS: gh('inputs.args') },
    });
  });

  it('install: a built checkout is left as it is', async () => {
    const r = await runStep('install', workspace, {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('already built');
  });

  it('validate: clean payloads pass with no annotations, a glob reaching nested folders included', async () => {
    const r = await runStep('validate', workspace, { INPUT_PATHS: 'payloads/\nevents/**/*.jsonl', INPUT_ARGS: '' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/^::error/m);
    expect(r.stdout).toMatch(/2 files, \d+ payloads checked/);
  });

  it('validate: a bad payload is an ::error annotation on its file and line, and the step fails', async () => {
    writeFileSync(join(workspace, 'payloads', 'bad.json'), '{"externalRequestId":"b1","provider":"openai","model":"gpt-4o-mini","status":"success","inputTokens":"12","outputTokens":3}\n');
    const r = await runStep('validate', workspace, { INPUT_PATHS: 'payloads/ events/**/*.jsonl', INPUT_ARGS: '--strict' });
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^::error file=payloads\/bad\.json,line=1,col=\d+,title=payload\/type::inputTokens must be a JSON number/);
    expect(r.stdout).toMatch(/1 error, \d+ warnings?\): 3 files/);
    rmSync(join(workspace, 'payloads', 'bad.json'));
  });

  it('validate: no paths is the CLI\'s usage error (exit 2), not a pass', async () => {
    const r = await runStep('validate', workspace, { INPUT_PATHS: '', INPUT_ARGS: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no input');
  });

  const checkout = join(tmp, 'action-checkout');

  it('install, in a fresh checkout of the action (no node_modules, no dist): npm ci builds it, and validate runs from there', async () => {
    snapshotRepo(checkout);
    const script = join(checkout, 'scripts', 'github-action.sh');
    // Offline-first: after the repository's own `npm ci` every package is in npm's cache.
    const install = await runStep('install', workspace, { npm_config_prefer_offline: 'true' }, script, 300_000);
    expect(install.code, install.stdout + install.stderr).toBe(0);
    expect(existsSync(join(checkout, 'dist', 'cli', 'main.js'))).toBe(true);
    const r = await runStep('validate', workspace, { INPUT_PATHS: 'payloads/', INPUT_ARGS: '--strict' }, script);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no problems: 1 file/);
  }, 330_000);

  it('the first `npx opsmeter` in that fresh clone rebuilds nothing: npx runs prepare, which finds dist/ up to date', async () => {
    const main = join(checkout, 'dist', 'cli', 'main.js');
    expect(existsSync(main)).toBe(true);
    const built = statSync(main).mtimeMs;
    // npx links the clone into its own cache (a fresh one here) and runs the project's prepare
    // there; in the foreground, prepare says what it decided.
    const r = await runProcess('npx', ['opsmeter', '--version'], {
      cwd: checkout,
      timeoutMs: 120_000,
      drop: ['npm_'],
      env: { npm_config_cache: join(tmp, 'npx-cache'), npm_config_prefer_offline: 'true', npm_config_foreground_scripts: 'true' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('opsmeter: dist/ is up to date with src/, no build');
    expect(r.stdout.trim().split('\n').at(-1)).toBe(VERSION);
    expect(statSync(main).mtimeMs).toBe(built);
  }, 150_000);

  it('the script refuses an unknown step', async () => {
    const r = await runStep('deploy', workspace, {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage');
  });
});

describe('the pre-commit manifest', () => {
  it.skipIf(!hasPyYaml)('declares opsmeter-validate: language node, entry opsmeter validate, payload files only (well-known non-payload JSON excluded)', () => {
    const hooks = yamlFile('.pre-commit-hooks.yaml');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ id: 'opsmeter-validate', language: 'node', entry: 'opsmeter validate', files: '\\.(json|jsonl|ndjson)$', require_serial: true });
    const files = new RegExp(hooks[0].files);
    expect(['a.json', 'logs/b.jsonl', 'c.ndjson'].every((f) => files.test(f))).toBe(true);
    expect(['a.json.bak', 'b.txt', 'jsonl'].some((f) => files.test(f))).toBe(false);
    // The exclude, read by Python's re as pre-commit reads it: no package.json, tsconfig.json or lock file.
    const names = ['package.json', 'app/package-lock.json', 'tsconfig.json', 'web/tsconfig.app.json', 'opsmeter.config.schema.json', 'payloads/a.json', 'events.jsonl'];
    const excluded = spawnSync('python3', ['-c', 'import json, re, sys; r = re.compile(sys.argv[1]); print(json.dumps([n for n in sys.argv[2:] if r.search(n)]))', hooks[0].exclude, ...names], { encoding: 'utf8' });
    expect(JSON.parse(excluded.stdout)).toEqual(['package.json', 'app/package-lock.json', 'tsconfig.json', 'web/tsconfig.app.json', 'opsmeter.config.schema.json']);
  });

  it('the entry is the package\'s bin, and .npmrc keeps `npm pack` output to the tarball name (pre-commit reads it)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.bin.opsmeter).toBe('bin/opsmeter.js');
    expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).toMatch(/^foreground-scripts=false$/m);
  });
});
