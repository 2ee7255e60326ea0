/**
 * The API and opsmeter.config.json: validateFiles finds and applies the config as the CLI
 * does (rules, catalog, ignore, maxWarnings; explicit options beat the file; `config: 'path'`
 * and `config: false`), agreeing field for field with `opsmeter validate --format json` run in
 * the same folder; loadConfig/findConfig hand a config to the synchronous lintPayload; a bad
 * config is a ConfigFileError (an OpsmeterError, exit code 2) with a message and a hint.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError, EXIT, findConfig, lintPayload, loadConfig, OpsmeterError, validateFiles, type OpsmeterConfig } from '../../src/api/index.js';
import { runCli } from '../helpers/cli.js';
import { failure, tempRepos } from '../helpers/repos.js';

const repos = tempRepos('opsmeter-api-config-');
const tmp = repos.root;
const repo = repos.repo;

const payload = {
  externalRequestId: 'a1',
  provider: 'openai',
  model: 'gpt-4o-mini',
  promptVersion: 'v1',
  endpointTag: 't',
  inputTokens: 1,
  outputTokens: 2,
  status: 'success',
  createdAt: '2026-03-01T12:00:00Z',
};
const MARCH = new Date('2026-03-02T00:00:00Z');
/** No latencyMs: one warning (payload/missing-latency). */
const NO_LATENCY = JSON.stringify(payload) + '\n';
const BROKEN = '{"provider":\n';

describe('validateFiles reads opsmeter.config.json as the CLI does', () => {
  const config = {
    rules: { 'payload/missing-latency': 'error', 'payload/created-at-old': 'off' },
    ignore: ['payloads/bad/**'],
    maxWarnings: 3,
  };
  const files = {
    'opsmeter.config.json': JSON.stringify(config),
    'payloads/good.jsonl': NO_LATENCY,
    'payloads/bad/broken.jsonl': BROKEN,
  };

  it('finds it from cwd (here, or a parent up to the git root): rules, ignore and maxWarnings apply, as in `validate --format json`', async () => {
    const dir = repo(files);
    const report = await validateFiles('payloads/', { cwd: dir });
    expect(report.files.map((f) => f.file)).toEqual(['payloads/good.jsonl']);
    expect(report.problems.map((p) => `${p.rule}:${p.severity}`)).toEqual(['payload/missing-latency:error']);
    expect(report.rules).toEqual(config.rules);
    expect(report.summary.maxWarnings).toBe(3);
    const cli = await runCli(['validate', '--format', 'json', 'payloads/'], { cwd: dir });
    expect(cli.code).toBe(1);
    expect(report).toEqual(JSON.parse(cli.stdout));
    // From a sub-folder the same config is found.
    mkdirSync(join(dir, 'payloads', 'sub'));
    writeFileSync(join(dir, 'payloads', 'sub', 'x.jsonl'), NO_LATENCY);
    expect((await validateFiles('.', { cwd: join(dir, 'payloads', 'sub') })).rules).toEqual(config.rules);
  });

  it('stops at the git root: a config above the repository does not apply', async () => {
    const outer = repos.unused('outer');
    mkdirSync(join(outer, 'inner', '.git'), { recursive: true });
    writeFileSync(join(outer, 'opsmeter.config.json'), JSON.stringify({ rules: { 'payload/missing-latency': 'off' } }));
    writeFileSync(join(outer, 'inner', 'e.jsonl'), NO_LATENCY);
    const report = await validateFiles('e.jsonl', { cwd: join(outer, 'inner') });
    expect(report.rules).toBeUndefined();
    expect(report.byRule['payload/missing-latency']).toBe(1);
  });

  it('explicit options beat the file: rules rule by rule, maxWarnings, catalog', async () => {
    const dir = repo(files);
    const report = await validateFiles('payloads/', { cwd: dir, rules: { 'payload/missing-latency': 'warning' }, maxWarnings: 0 });
    // The file's other setting stays; the given one wins.
    expect(report.rules).toEqual({ 'payload/created-at-old': 'off' });
    expect(report.problems.map((p) => `${p.rule}:${p.severity}`)).toEqual(['payload/missing-latency:warning']);
    expect(report.summary.maxWarnings).toBe(0);
    const cli = await runCli(['validate', '--format', 'json', '--rule', 'payload/missing-latency=warning', '--max-warnings', '0', 'payloads/'], { cwd: dir });
    expect(report).toEqual(JSON.parse(cli.stdout));
  });

  it('ignorePatterns skip files as --ignore-pattern does (relative to cwd, a folder skips all it holds), beside the config\'s ignore', async () => {
    const dir = repo(files);
    const report = await validateFiles('payloads/', { cwd: dir, config: false, ignorePatterns: ['payloads/bad'] });
    expect(report.files.map((f) => f.file)).toEqual(['payloads/good.jsonl']);
    const cli = await runCli(['validate', '--format', 'json', '--no-config', '--ignore-pattern', 'payloads/bad', 'payloads/'], { cwd: dir });
    expect(report).toEqual(JSON.parse(cli.stdout));
  });

  it('the config\'s catalog applies, relative to the config file; the catalog option beats it', async () => {
    const catalog = { date: '2026-01-01', models: [{ provider: 'openai', model: 'only-this-model', inputPer1M: 1, outputPer1M: 2 }] };
    const dir = repo({ 'conf/opsmeter.config.json': JSON.stringify({ catalog: 'catalog.json' }), 'conf/catalog.json': JSON.stringify(catalog), 'e.jsonl': NO_LATENCY });
    const withFile = await validateFiles('e.jsonl', { cwd: dir, config: 'conf/opsmeter.config.json' });
    expect(withFile.byRule['catalog/unknown-model']).toBe(1);
    const cli = await runCli(['validate', '--format', 'json', '--config', 'conf/opsmeter.config.json', 'e.jsonl'], { cwd: dir });
    expect(withFile).toEqual(JSON.parse(cli.stdout));
    const given = await validateFiles('e.jsonl', { cwd: dir, config: 'conf/opsmeter.config.json', catalog: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }] } });
    expect(given.byRule['catalog/unknown-model']).toBeUndefined();
  });

  it('config: false ignores the file; config: a path names one (relative to cwd); a loaded config is taken as is', async () => {
    const dir = repo({ ...files, 'other.json': JSON.stringify({ rules: { 'payload/missing-latency': 'off' } }) });
    const none = await validateFiles('payloads/', { cwd: dir, config: false });
    expect(none.files).toHaveLength(2);
    expect(none.rules).toBeUndefined();
    expect(none).toEqual(JSON.parse((await runCli(['validate', '--format', 'json', '--no-config', 'payloads/'], { cwd: dir })).stdout));
    const other = await validateFiles('payloads/good.jsonl', { cwd: dir, config: 'other.json', now: MARCH });
    expect(other.rules).toEqual({ 'payload/missing-latency': 'off' });
    expect(other.problems).toEqual([]);
    const loaded = await loadConfig('other.json', { cwd: dir });
    expect(await validateFiles('payloads/good.jsonl', { cwd: dir, config: loaded, now: MARCH })).toEqual(other);
  });

  it('without cwd, the search starts at process.cwd() and paths are as given', async () => {
    const dir = repo(files);
    const report = await validateFiles(join(dir, 'payloads'));
    // This repository's own folder has no opsmeter.config.json: nothing is ignored.
    expect(report.files).toHaveLength(2);
    expect(report.files[0]!.file).toBe(join(dir, 'payloads', 'bad', 'broken.jsonl'));
  });

  it('a bad config rejects with a ConfigFileError (an OpsmeterError, exit 2): file, line, what is wrong, and a hint', async () => {
    const cases: [string, RegExp][] = [
      ['{ "rules": { "payload/missing-latencyy": "off" } }', /opsmeter\.config\.json:1:14: rules: unknown rule "payload\/missing-latencyy"/],
      ['{\n  "rules": {\n    "payload/missing-latency": "wran"\n  }\n}', /opsmeter\.config\.json:3:32: rules\["payload\/missing-latency"\] must be "off", "warn" or "error" \(or 0, 1, 2; "warning" = "warn"\), got "wran"/],
      ['{ "rulez": {} }', /unknown key "rulez"/],
      ['{ "rules": { "json/syntax": "off" } }', /rule json\/syntax cannot be configured/],
      ['{ "maxWarnings": -1 }', /maxWarnings/],
      ['{ "rules": { } ', /is not valid JSON/],
    ];
    for (const [text, message] of cases) {
      const dir = repo({ 'opsmeter.config.json': text, 'e.jsonl': NO_LATENCY });
      const e = await failure(() => validateFiles('e.jsonl', { cwd: dir }));
      expect(e).toBeInstanceOf(ConfigFileError);
      expect(e).toBeInstanceOf(OpsmeterError);
      const err = e as OpsmeterError;
      expect(err.exitCode).toBe(EXIT.usage);
      expect(err.message).toMatch(message);
      expect(err.hint, err.message).toMatch(/\S/);
      // The CLI says the same.
      const cli = await runCli(['validate', 'e.jsonl'], { cwd: dir });
      expect(cli.code).toBe(2);
      expect(cli.stderr).toContain(err.message);
    }
    const missing = await failure(() => validateFiles('e.jsonl', { cwd: tmp, config: 'nope.json' }));
    expect(missing).toBeInstanceOf(ConfigFileError);
    expect((missing as OpsmeterError).message).toMatch(/cannot read config .*nope\.json: no such file/);
    expect((missing as OpsmeterError).hint).toMatch(/config: false/);
  });
});

describe('loadConfig and findConfig hand a config to lintPayload', () => {
  it('findConfig gives the path that applies; loadConfig() loads it, or gives undefined when there is none', async () => {
    const dir = repo({ 'opsmeter.config.json': JSON.stringify({ rules: { 'payload/missing-latency': 'off' } }), 'sub/x': '' });
    expect(findConfig(join(dir, 'sub'))).toBe(join(dir, 'opsmeter.config.json'));
    const config = await loadConfig(undefined, { cwd: join(dir, 'sub') });
    expect(config).toMatchObject({ path: join(dir, 'opsmeter.config.json'), dir, rules: { 'payload/missing-latency': 'off' }, ignore: [] });
    expect(Object.isFrozen(config)).toBe(true);
    const empty = repo({});
    expect(findConfig(empty)).toBeUndefined();
    expect(await loadConfig(undefined, { cwd: empty })).toBeUndefined();
  });

  it('lintPayload applies a loaded config\'s rules and catalog; its own options beat them; no config is fine', async () => {
    const catalog = { models: [{ provider: 'openai', model: 'only-this-model' }] };
    const dir = repo({ 'opsmeter.config.json': JSON.stringify({ rules: { 'payload/missing-latency': 'error', 'payload/missing-prompt-version': 'off' }, catalog: 'c.json' }), 'c.json': JSON.stringify(catalog) });
    const config = (await loadConfig('opsmeter.config.json', { cwd: dir })) as OpsmeterConfig;
    const p = { ...payload, promptVersion: undefined };
    const withConfig = lintPayload(p, { config, now: MARCH }).map((x) => `${x.rule}:${x.severity}`);
    expect(withConfig).toEqual(expect.arrayContaining(['payload/missing-latency:error', 'catalog/unknown-model:warning']));
    expect(withConfig.some((r) => r.startsWith('payload/missing-prompt-version'))).toBe(false);
    const over = lintPayload(p, { config, now: MARCH, rules: { 'payload/missing-latency': 'off' }, catalog: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }] } });
    expect(over).toEqual([]);
    const noConfig = await loadConfig(undefined, { cwd: repo({}) });
    expect(lintPayload(p, { config: noConfig, now: MARCH }).map((x) => x.rule)).toEqual(expect.arrayContaining(['payload/missing-latency', 'payload/missing-prompt-version']));
  });

  it('lintPayload takes only a loaded config: a path or a hand-made object is a TypeError', async () => {
    expect(() => lintPayload(payload, { config: 'opsmeter.config.json' as unknown as OpsmeterConfig })).toThrow(TypeError);
    expect(() => lintPayload(payload, { config: { path: 'x', dir: '.', rules: {}, ignore: [] } })).toThrow(/what loadConfig\(\) returned/);
    await expect(loadConfig('' as string)).rejects.toThrow(TypeError);
  });
});
