/**
 * The package as a user gets it: `npm pack` of the built tree, what the tarball holds, and the
 * tarball installed into a fresh project outside the repo. There: the ESM import and a
 * CommonJS require of 'opsmeter', the API agreeing with the installed CLI's
 * `validate --format json`, the emulator answering, importing the API loading nothing heavy,
 * and a TypeScript consumer typechecked (with the repo's own typescript) against the shipped
 * declarations. The install is offline-first (--prefer-offline: after `npm ci` every package is
 * in npm's cache) and every child process is bounded by a timeout. Last, the install as a
 * devDependency from git (git+file:// of a snapshot of the working tree), where npm itself runs
 * `prepare`, the build, with the devDependencies it installs in its clone.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runProcess, type CliResult } from '../helpers/cli.js';
import { snapshotRepo } from '../helpers/snapshot.js';

/** Runs a command; npm's own npm_* variables (set under `npm test`) are not passed on. */
const run = (cmd: string, args: string[], cwd: string, timeoutMs: number, env: Record<string, string> = {}): Promise<CliResult> =>
  runProcess(cmd, args, { cwd, timeoutMs, env, drop: ['npm_'] });

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-package-'));
const project = join(tmp, 'consumer');
/** An empty cache dir: the API and the CLI both fall back to the built-in catalog. */
const cacheHome = join(tmp, 'cache');
const HOOK = join(ROOT, 'test', 'helpers', 'load-log.mjs');
let tarball = '';
let packed: string[] = [];

beforeAll(async () => {
  // Packs what `npm run build` left in dist/ (as the e2e tests spawn it), without rebuilding.
  if (!existsSync(join(ROOT, 'dist', 'api', 'index.js'))) throw new Error('dist/ is not built: run `npm run build` first');
  const r = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT, 120_000);
  expect(r.code, r.stderr).toBe(0);
  const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(tmp, info!.filename);
  packed = info!.files.map((f) => f.path);
  mkdirSync(project);
  mkdirSync(cacheHome);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
}, 180_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the tarball', () => {
  it('ships the license, the docs, the build with its type declarations, and no source maps or sources', () => {
    expect(packed).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'bin/opsmeter.js', 'dist/api/index.js', 'dist/api/index.d.ts', 'dist/cli/main.js']));
    for (const doc of readdirSync(join(ROOT, 'docs'))) expect(packed).toContain(`docs/${doc}`);
    expect(packed.filter((p) => p.endsWith('.map') || p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);
    const js = packed.filter((p) => p.startsWith('dist/') && p.endsWith('.js'));
    expect(js.length).toBeGreaterThan(50);
    expect(js.filter((p) => !packed.includes(p.replace(/\.js$/, '.d.ts')))).toEqual([]);
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });

  it('names only packed files as its entry points', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.license).toBe('MIT');
    const targets = [pkg.main, pkg.types, pkg.exports['.'].types, pkg.exports['.'].default, ...Object.values(pkg.bin as Record<string, string>)];
    for (const t of targets) expect(packed, t).toContain(t.replace(/^\.\//, ''));
  });
});

describe('installed from the tarball into a fresh project', () => {
  beforeAll(async () => {
    const r = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project, 240_000);
    expect(r.code, r.stderr).toBe(0);
    writeFileSync(
      join(project, 'payloads.jsonl'),
      [
        '{"externalRequestId":"p1","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":1,"outputTokens":2,"latencyMs":5,"status":"success"}',
        '{"externalRequestId":"p2","provider":"openai","model":"gpt-4.1","inputTokens":"12","outputTokens":3,"status":"success"}',
        '{"provider":"openai"',
        '{"externalRequestId":"p1","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":9,"outputTokens":2,"latencyMs":5,"status":"success"}',
        '',
      ].join('\n'),
    );
  }, 300_000);

  it('the API works from an ESM import and agrees with the installed CLI', async () => {
    writeFileSync(
      join(project, 'consumer.mjs'),
      `import { lintPayload, validateFiles, startEmulator, loadConfig, findConfig, ConfigFileError, OpsmeterError, EXIT, VERSION } from 'opsmeter';
const out = { version: VERSION };
const payload = { externalRequestId: 'c1', provider: 'openai', model: 'gpt-4o-mini', promptVersion: 'v1', endpointTag: 't',
  inputTokens: 1, outputTokens: 2, latencyMs: 5, status: 'success', dataMode: 'test', environment: 'staging' };
out.clean = lintPayload(payload);
out.bad = lintPayload({ ...payload, inputTokens: '12', environment: 'Prod' });
out.report = await validateFiles(['payloads.jsonl']);
out.configured = await validateFiles(['payloads.jsonl'], { rules: { 'payload/missing-prompt-version': 'off', 'catalog/unknown-model': 'error' }, maxWarnings: 0 });
const { latencyMs: _, ...noLatency } = payload;
out.rules = {
  default: lintPayload(noLatency).map((p) => p.rule + ':' + p.severity),
  off: lintPayload(noLatency, { rules: { 'payload/missing-latency': 'off' } }),
  raised: lintPayload(noLatency, { rules: { 'payload/missing-latency': 'error' } }).map((p) => p.rule + ':' + p.severity),
};
try { lintPayload(payload, { rules: { 'payload/missing-latencyy': 'off' } }); } catch (e) { out.rules.unknown = { isOpsmeterError: e instanceof OpsmeterError, exitCode: e.exitCode, message: e.message, hint: e.hint }; }
try { await validateFiles('missing.jsonl'); } catch (e) { out.missing = { isOpsmeterError: e instanceof OpsmeterError, exitCode: e.exitCode, usage: EXIT.usage, message: e.message }; }
// opsmeter.config.json in a repository of its own: found by validateFiles and loadConfig as the CLI finds it.
out.config = { found: findConfig('with-config'), report: await validateFiles(['e.jsonl'], { cwd: 'with-config' }) };
out.config.lint = lintPayload(noLatency, { config: await loadConfig(undefined, { cwd: 'with-config' }) }).map((p) => p.rule + ':' + p.severity);
try { await validateFiles(['e.jsonl'], { cwd: 'bad-config' }); } catch (e) { out.config.bad = { isConfigFileError: e instanceof ConfigFileError, isOpsmeterError: e instanceof OpsmeterError, exitCode: e.exitCode, message: e.message, hint: e.hint }; }
const emulator = await startEmulator();
const res = await fetch(emulator.url + '/v1/ingest/llm-request', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': emulator.apiKey }, body: JSON.stringify(payload) });
out.emulator = { url: emulator.url, status: res.status, ok: (await res.json()).ok, rows: emulator.rows().map((r) => r.externalRequestId) };
await emulator.close();
process.stdout.write(JSON.stringify(out));
`,
    );
    for (const [name, config] of [['with-config', '{ "rules": { "payload/missing-latency": "error" }, "ignore": ["skip/**"] }'], ['bad-config', '{ "rulez": {} }']]) {
      mkdirSync(join(project, name!, '.git'), { recursive: true });
      mkdirSync(join(project, name!, 'skip'), { recursive: true });
      writeFileSync(join(project, name!, 'opsmeter.config.json'), config!);
      const line = '{"externalRequestId":"w1","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":1,"outputTokens":2,"status":"success"}\n';
      writeFileSync(join(project, name!, 'e.jsonl'), line);
      writeFileSync(join(project, name!, 'skip', 'broken.jsonl'), '{"provider":\n');
    }
    const env = { XDG_CACHE_HOME: cacheHome };
    const api = await run(process.execPath, ['consumer.mjs'], project, 60_000, env);
    expect(api.code, api.stderr).toBe(0);
    const out = JSON.parse(api.stdout);
    expect(out.version).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    expect(out.clean).toEqual([]);
    expect(out.bad).toEqual([
      { rule: 'payload/type', severity: 'error', pointer: '/inputTokens', message: 'inputTokens must be a JSON number, got the string "12"', hint: 'write 12 without quotes' },
      expect.objectContaining({ rule: 'payload/enum', severity: 'error', pointer: '/environment', hint: 'use "prod" (exact lowercase)' }),
    ]);
    expect(out.missing).toEqual({ isOpsmeterError: true, exitCode: 2, usage: 2, message: 'missing.jsonl: no such file or directory' });
    expect(out.emulator).toMatchObject({ status: 200, ok: true, rows: ['c1'] });
    expect(out.emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // The same report as the CLI's JSON, field for field.
    const cli = await run(process.execPath, [join(project, 'node_modules', '.bin', 'opsmeter'), 'validate', '--format', 'json', 'payloads.jsonl'], project, 60_000, env);
    expect(cli.code, cli.stderr).toBe(1);
    expect(out.report).toEqual(JSON.parse(cli.stdout));
    expect(out.report.summary).toMatchObject({ files: 1, records: 3, errors: 2 });
    expect(out.report.byRule).toMatchObject({ 'payload/type': 1, 'json/syntax': 1, 'payload/duplicate-external-request-id': 1 });
    expect(out.report.problems[0]).toMatchObject({ file: 'payloads.jsonl', line: 2, pointer: '/inputTokens', rule: 'payload/type' });

    // Rule settings: the API's `rules` and the CLI's --rule give the same report.
    expect(out.rules.default).toEqual(['payload/missing-latency:warning']);
    expect(out.rules.off).toEqual([]);
    expect(out.rules.raised).toEqual(['payload/missing-latency:error']);
    expect(out.rules.unknown).toMatchObject({ isOpsmeterError: true, exitCode: 2, message: 'unknown rule "payload/missing-latencyy"', hint: expect.stringContaining('payload/missing-latency') });
    const configured = await run(
      process.execPath,
      [join(project, 'node_modules', '.bin', 'opsmeter'), 'validate', '--format', 'json', '--rule', 'payload/missing-prompt-version=off', '--rule', 'catalog/unknown-model=error', '--max-warnings', '0', 'payloads.jsonl'],
      project,
      60_000,
      env,
    );
    expect(configured.code, configured.stderr).toBe(1);
    expect(out.configured).toEqual(JSON.parse(configured.stdout));
    expect(out.configured.rules).toEqual({ 'payload/missing-prompt-version': 'off', 'catalog/unknown-model': 'error' });
    expect(out.configured.summary).toMatchObject({ errors: 3, maxWarnings: 0 });
    expect(out.configured.byRule['payload/missing-prompt-version']).toBeUndefined();

    // opsmeter.config.json: the installed API finds and applies it as the installed CLI does.
    expect(out.config.found).toBe(join(project, 'with-config', 'opsmeter.config.json'));
    const inRepo = await run(process.execPath, [join(project, 'node_modules', '.bin', 'opsmeter'), 'validate', '--format', 'json', 'e.jsonl'], join(project, 'with-config'), 60_000, env);
    expect(inRepo.code, inRepo.stderr).toBe(1);
    expect(out.config.report).toEqual(JSON.parse(inRepo.stdout));
    expect(out.config.report.rules).toEqual({ 'payload/missing-latency': 'error' });
    expect(out.config.lint).toEqual(['payload/missing-latency:error']);
    expect(out.config.bad).toMatchObject({ isConfigFileError: true, isOpsmeterError: true, exitCode: 2, message: expect.stringMatching(/unknown key "rulez"/), hint: 'did you mean "rules"?' });
  });

  it('importing it loads the linter, not the readers, the emulator or any heavy package', async () => {
    writeFileSync(join(project, 'import-only.mjs'), "import { lintPayload } from 'opsmeter';\nif (typeof lintPayload !== 'function') process.exit(3);\n");
    const log = join(tmp, 'load.log');
    const r = await run(process.execPath, [`--import=${HOOK}`, 'import-only.mjs'], project, 60_000, { LOAD_LOG_FILE: log });
    expect(r.code, r.stderr).toBe(0);
    const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    expect(modules.some((m) => m.includes('/node_modules/opsmeter/dist/api/index.js'))).toBe(true);
    expect(modules.some((m) => m.includes('/node_modules/opsmeter/dist/contract/lint.js'))).toBe(true);
    const heavy = ['chalk', 'jsonc-parser', 'zod', 'undici', 'commander', 'csv-parse', 'picomatch'].filter((p) => modules.some((m) => m.includes(`/node_modules/${p}/`)));
    expect(heavy).toEqual([]);
    expect(modules.filter((m) => /\/opsmeter\/dist\/(validate|read|emulator|report|cli|ingest|importers)\//.test(m))).toEqual([]);
  });

  it('a CommonJS project can require() it (Node ≥ 20.19 loads ES modules from require)', async () => {
    writeFileSync(join(project, 'consumer.cjs'), "const api = require('opsmeter');\nprocess.stdout.write(JSON.stringify(api.lintPayload({ provider: 'openai' }).map((p) => p.rule)));\n");
    const r = await run(process.execPath, ['consumer.cjs'], project, 60_000, { XDG_CACHE_HOME: cacheHome });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expect.arrayContaining(['payload/required', 'payload/usage-missing']));
  });

  it('a TypeScript consumer typechecks against the shipped declarations, and misuse does not', async () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { lintPayload, loadConfig, findConfig, startEmulator, validateFiles, ConfigFileError, OpsmeterError, type OpsmeterConfig, type Payload, type Problem, type RunningEmulator, type ValidationReport } from 'opsmeter';

const payload: Payload = { provider: 'openai', model: 'gpt-4o-mini', status: 'success', inputTokens: 1, outputTokens: 2 };
const problems: Problem[] = lintPayload(payload, { now: new Date(), rules: { 'payload/missing-latency': 'off', 'payload/unknown-field': 'error' } });
export const lines: string[] = problems.filter((p) => p.severity === 'error').map((p) => \`\${p.rule} \${p.pointer}: \${p.message} (\${p.hint})\`);

export async function check(): Promise<number> {
  const report: ValidationReport = await validateFiles(['payloads/'], { strict: true, maxErrors: 10, catalog: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }] } });
  const first = report.problems[0];
  const where: string = first ? \`\${first.file}:\${first.line}:\${first.column} \${first.rule}\` : '';
  const emulator: RunningEmulator = await startEmulator({ planLimit: 5, seed: 1 });
  const url: string = emulator.url;
  await emulator.close();
  return report.summary.errors + report.summary.omitted + where.length + url.length;
}

export function exitCodeOf(e: unknown): number | undefined {
  return e instanceof OpsmeterError ? e.exitCode : undefined;
}

export async function withConfig(): Promise<number> {
  const found: string | undefined = findConfig(process.cwd());
  const config: OpsmeterConfig | undefined = await loadConfig();
  const named: OpsmeterConfig = await loadConfig('opsmeter.config.json', { cwd: '.' });
  const levels: string[] = Object.values(named.rules);
  const problems: Problem[] = lintPayload(payload, { config, rules: { 'payload/missing-latency': 'off' } });
  const a = await validateFiles('payloads/', { cwd: '.', config: false });
  const b = await validateFiles('payloads/', { config: 'ci/opsmeter.config.json' });
  const c = await validateFiles('payloads/', { config: named, quiet: true });
  const bad = (e: unknown): string | undefined => (e instanceof ConfigFileError ? e.hint : undefined);
  return (found?.length ?? 0) + levels.length + problems.length + a.summary.errors + b.summary.errors + c.summary.errors + (bad(null)?.length ?? 0);
}

// @ts-expect-error status is "success" or "error"
export const wrongStatus: Payload = { provider: 'openai', model: 'm', status: 'ok' };
// @ts-expect-error lintPayload is synchronous: it returns problems, not a promise
lintPayload(payload).then(() => {});
// @ts-expect-error a rule level is off, warn or error (0, 1, 2; warning = warn)
lintPayload(payload, { rules: { 'payload/missing-latency': 'warned' } });
lintPayload(payload, { rules: { 'payload/missing-latency': 'warn', 'payload/missing-endpoint-tag': 0 } });
// @ts-expect-error maxErrors is a number
validateFiles('a.jsonl', { maxErrors: 'ten' });
// @ts-expect-error lintPayload is synchronous: it takes a loaded config, not a path
lintPayload(payload, { config: 'opsmeter.config.json' });
// @ts-expect-error loadConfig is asynchronous: a promise is not a config
lintPayload(payload, { config: loadConfig() });
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          lib: ['ES2023'],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          // A Node project has @types/node; borrow the repo's rather than install it here.
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project, 120_000);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('installed as a devDependency from git', () => {
  it('npm clones it, builds it with its own devDependencies (prepare) and installs the build', async () => {
    const repo = join(tmp, 'git-repo');
    const rev = snapshotRepo(repo);
    const app = join(tmp, 'git-consumer');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'git-consumer', private: true, type: 'module' }));
    const r = await run('npm', ['install', '-D', '--prefer-offline', '--no-audit', '--no-fund', `git+file://${repo}#${rev}`], app, 300_000);
    expect(r.code, r.stderr).toBe(0);
    const installed = join(app, 'node_modules', 'opsmeter');
    expect(existsSync(join(installed, 'dist', 'api', 'index.d.ts'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).devDependencies.opsmeter).toContain('git+file://');
    const version = await run(process.execPath, [join(app, 'node_modules', '.bin', 'opsmeter'), '--version'], app, 30_000);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  }, 360_000);
});
