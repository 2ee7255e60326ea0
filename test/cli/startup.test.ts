/**
 * Start-up cost: `opsmeter validate` on a clean file must not load the heavy or unneeded
 * packages — chalk (colour, only on a TTY), jsonc-parser (positions: only when a record has
 * a problem, or a .json array file needs its elements' lines), zod (`opsmeter schema` only),
 * undici (HTTP, send only) and @pydantic/genai-prices (price data, only in the commands that
 * price: import, catalog), ignore (.gitignore rules, only for a walk that meets a .gitignore) —
 * nor the renderers of formats it is not printing. The built
 * CLI runs with a hook that logs every module it resolves (test/helpers/load-log.mjs); a
 * control run with a broken file shows the hook does see a lazily loaded package.
 * `--version` and `--help` load no command module (src/cli/<command>.ts); a command loads
 * its own module only, for a run or for its help.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/main.js';
import { VERSION } from '../../src/version.js';
import { ROOT, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-startup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HOOK = join(ROOT, 'test', 'helpers', 'load-log.mjs');
const HEAVY = ['chalk', 'jsonc-parser', 'zod', 'undici', '@pydantic/genai-prices', 'ignore'];

let runs = 0;
/** Runs the CLI with the load logger; returns the exit code and the modules it loaded. */
async function loaded(args: string[], cwd?: string): Promise<{ code: number | null; modules: string[]; stdout: string; stderr: string }> {
  const log = join(tmp, `load-${runs++}.log`);
  const r = await runCli(args, { env: { NODE_OPTIONS: `--import=${HOOK}`, LOAD_LOG_FILE: log }, cwd });
  const modules = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
  return { code: r.code, modules, stdout: r.stdout, stderr: r.stderr };
}

/** The heavy packages among the loaded modules (by package directory, or by require name). */
const heavy = (modules: string[]) =>
  HEAVY.filter((p) => modules.some((m) => m.includes(`/node_modules/${p}/`) || m === `require:${p}` || m.startsWith(`require:${p}/`)));

describe('start-up of validate on a clean file', () => {
  it.each([
    ['json to a file', ['validate', '--format', 'json', '-o', 'REPORT', 'fixtures/payloads/valid/events.jsonl'], 'json'],
    ['pretty to stdout (no TTY, NO_COLOR)', ['validate', 'fixtures/payloads/valid/events.jsonl'], 'pretty'],
    ['sarif, a single-object .json and an .ndjson', ['validate', '--format', 'sarif', 'fixtures/payloads/valid/single-object.json', 'fixtures/payloads/valid/events.ndjson'], 'sarif'],
  ])('%s: loads none of chalk, jsonc-parser, zod, undici, the price data, and only its own renderer', async (_what, args, format) => {
    const { code, modules, stderr } = await loaded(args.map((a) => (a === 'REPORT' ? join(tmp, 'report.out') : a)));
    expect(code, stderr).toBe(0);
    // The hook saw the run: commander and the validate core are in the log.
    expect(modules.some((m) => m.includes('/node_modules/commander/'))).toBe(true);
    expect(modules.some((m) => m.endsWith('/dist/validate/validate.js'))).toBe(true);
    expect(heavy(modules)).toEqual([]);
    const renderers = modules.filter((m) => /\/dist\/report\/(pretty|json|github|sarif|junit)\.js$/.test(m)).map((m) => m.replace(/^.*\/report\/(\w+)\.js$/, '$1'));
    expect(renderers).toEqual([format]);
  });

  it('control: an import loads the price data (the check above would see it)', async () => {
    const { code, modules, stderr } = await loaded(['import', 'fixtures/import/litellm/spend-logs.json', '--from', 'litellm', '-o', join(tmp, 'payloads.jsonl')]);
    expect(code, stderr).toBe(0);
    expect(heavy(modules)).toContain('@pydantic/genai-prices');
  });

  it('send --dry-run prices nothing and loads no price data', async () => {
    const { modules } = await loaded(['send', '--dry-run', 'fixtures/payloads/valid/events.jsonl']);
    expect(heavy(modules)).not.toContain('@pydantic/genai-prices');
  });

  it('ignore (.gitignore rules) loads only for a walk that meets a .gitignore: a directory in this repository, not a named file', async () => {
    const { code, modules, stderr } = await loaded(['validate', '--format', 'json', 'fixtures/payloads/valid']);
    expect(code, stderr).toBe(0);
    expect(heavy(modules)).toEqual(['ignore']);
  });

  it('control: a broken file does load jsonc-parser (for positions), so the check above can see it', async () => {
    const { code, modules } = await loaded(['validate', '--format', 'json', 'fixtures/payloads/broken/duplicate-keys.jsonl']);
    expect(code).toBe(1);
    expect(heavy(modules)).toEqual(['jsonc-parser']);
  });
});

describe('start-up of reconcile', () => {
  it('against a usage report it loads no price data; against a cost report it does (the import\'s estimate)', async () => {
    const payloads = join(tmp, 'reconcile-payloads.jsonl');
    writeFileSync(payloads, `${JSON.stringify({ provider: 'openai', model: 'gpt-4o-mini', inputTokens: 1000, outputTokens: 500, status: 'success', createdAt: '2024-11-01T10:00:00Z' })}\n`);
    const usage = await loaded(['reconcile', payloads, '--against', 'fixtures/reconcile/openai-usage-completions-reference.json']);
    expect(usage.code, usage.stderr).toBe(1); // 1 request imported, 5 reported
    expect(usage.modules.some((m) => m.endsWith('/dist/reconcile/compare.js'))).toBe(true);
    expect(heavy(usage.modules)).toEqual([]);
    const cost = await loaded(['reconcile', payloads, '--against', 'fixtures/reconcile/openai-costs-reference.json']);
    expect(cost.code, cost.stderr).toBe(1);
    expect(heavy(cost.modules)).toEqual(['@pydantic/genai-prices']);
  });
});

describe('start-up with opsmeter.config.json', () => {
  it('zod loads only when a config file exists (it checks the file)', async () => {
    const repo = join(tmp, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    const file = join(ROOT, 'fixtures/payloads/valid/events.jsonl');
    const without = await loaded(['validate', file], repo);
    expect(without.code, without.stderr).toBe(0);
    expect(heavy(without.modules)).toEqual([]);
    writeFileSync(join(repo, 'opsmeter.config.json'), JSON.stringify({ rules: { 'payload/missing-latency': 'off' } }));
    const withConfig = await loaded(['validate', file], repo);
    expect(withConfig.code, withConfig.stderr).toBe(0);
    expect(heavy(withConfig.modules)).toEqual(['zod']);
  });
});

describe('start-up of --version and --help', () => {
  const NAMES = COMMANDS.map((c) => c.name);
  /** The command modules (dist/cli/<command>.js) among the loaded modules. */
  const commandModules = (modules: string[]) =>
    modules.map((m) => /\/dist\/cli\/([\w-]+)\.js$/.exec(m)?.[1]).filter((name): name is string => name !== undefined && NAMES.includes(name));

  it('--version loads no command module (and none of the heavy packages)', async () => {
    const { code, modules, stdout } = await loaded(['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${VERSION}\n`);
    expect(modules.some((m) => m.endsWith('/dist/cli/main.js'))).toBe(true); // the hook saw the run
    expect(commandModules(modules)).toEqual([]);
    expect(heavy(modules)).toEqual([]);
  });

  it('--help loads none either, and lists every command with its description, in order', async () => {
    const { code, modules, stdout } = await loaded(['--help']);
    expect(code).toBe(0);
    expect(commandModules(modules)).toEqual([]);
    const listed = stdout
      .slice(stdout.indexOf('Commands:'))
      .split('\n')
      .map((l) => /^ {2}([a-z]+) /.exec(l)?.[1])
      .filter(Boolean);
    expect(listed).toEqual([...NAMES, 'help']);
    const text = stdout.replace(/\s+/g, ' ');
    for (const c of COMMANDS) expect(text, c.name).toContain(` ${c.name} ${c.usage} ${c.description} `);
  });

  it.each([
    ['help import', ['help', 'import']],
    ['import --help', ['import', '--help']],
  ])('%s loads the import module only, and prints its whole help', async (_what, args) => {
    const { code, modules, stdout } = await loaded(args);
    expect(code).toBe(0);
    expect(commandModules(modules)).toEqual(['import']);
    expect(stdout).toMatch(/^Usage: opsmeter import \[options\] \[paths\.\.\.\]\n/);
    expect(stdout).toContain('--hash-user-ids <salt>');
    expect(stdout).toContain('--journal <file>'); // the send flags, defined once in send-options.ts
  });
});
