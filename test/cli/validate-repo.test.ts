/**
 * `opsmeter validate` in a real repository, through the built CLI: a throwaway git repository
 * (git init) with a package.json, a commented tsconfig.json, node_modules and a .gitignore'd
 * build folder, where `validate .` checks the payloads alone; `--ignore-pattern`; and the
 * paths the CI formats give, from the repository's root whatever the working directory —
 * the SARIF checked against the official SARIF 2.1.0 JSON Schema (OASIS, errata 01), kept
 * verbatim in test/report/sarif-schema-2.1.0.json: from https://github.com/oasis-tcs/sarif-spec,
 * sarif-2.1/schema/sarif-schema-2.1.0.json at commit e0583813964ec43cea53b6b531b402866095ed1f
 * (source and terms: test/report/SOURCES.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const hasGit = spawnSync('git', ['--version'], { stdio: 'ignore' }).status === 0;
const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'opsmeter-validate-repo-')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const GOOD =
  '{"externalRequestId":"r1","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":1,"outputTokens":2,"latencyMs":3,"status":"success"}\n';
/** One error: inputTokens as a string. */
const BAD =
  '{"externalRequestId":"r2","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":"1","outputTokens":2,"latencyMs":3,"status":"success"}\n';

function write(root: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
}

interface JsonReport {
  files: { file: string }[];
  problems: { file: string; rule: string }[];
  summary: { files: number; errors: number };
}
const filesOf = (stdout: string) => (JSON.parse(stdout) as JsonReport).files.map((f) => f.file);

describe.skipIf(!hasGit)('done when: `validate .` in a repository lints its payloads alone', () => {
  const repo = join(tmp, 'app');
  beforeAll(() => {
    mkdirSync(repo);
    expect(spawnSync('git', ['init', '-q'], { cwd: repo }).status).toBe(0);
    write(repo, {
      '.gitignore': 'node_modules/\nbuild/\n*.local.jsonl\n',
      'package.json': '{\n  "name": "app",\n  "private": true\n}\n',
      'package-lock.json': '{ "name": "app", "lockfileVersion": 3, "packages": {} }\n',
      // tsconfig.json with comments and a trailing comma: not JSON, and no payload.
      'tsconfig.json': '{\n  // the app\'s TypeScript settings\n  "compilerOptions": { "strict": true, },\n}\n',
      'node_modules/dep/package.json': '{ "name": "dep" }\n',
      'node_modules/dep/data.json': '{ "not": "a payload" }\n',
      'build/report.json': '{ "generated": true }\n',
      'payloads/events.jsonl': GOOD,
      'payloads/mine.local.jsonl': BAD,
      'payloads/more/one.json': GOOD.replace('r1', 'r3'),
      '.vscode/settings.json': '{ "editor.tabSize": 2 }\n',
    });
  });

  it('checks payloads/events.jsonl and payloads/more/one.json, nothing else, and passes --strict', async () => {
    const r = await runCli(['validate', '--strict', '.'], { cwd: repo });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✔ no problems: 2 files, 2 payloads checked/);
    const json = await runCli(['validate', '--format', 'json', '.'], { cwd: repo });
    expect(filesOf(json.stdout)).toEqual(['payloads/events.jsonl', 'payloads/more/one.json']);
  });

  it('without .gitignore the ignored file is checked too, and fails; the non-payload JSON never is', async () => {
    rmSync(join(repo, '.gitignore'));
    try {
      const bare = await runCli(['validate', '--format', 'json', '.'], { cwd: repo });
      expect(bare.code).toBe(1);
      expect(filesOf(bare.stdout)).toEqual(['build/report.json', 'payloads/events.jsonl', 'payloads/mine.local.jsonl', 'payloads/more/one.json']);
    } finally {
      writeFileSync(join(repo, '.gitignore'), 'node_modules/\nbuild/\n*.local.jsonl\n');
    }
  });

  it('a file named on the command line is always linted: package.json, tsconfig.json, an ignored file', async () => {
    const r = await runCli(['validate', '--format', 'json', 'package.json', 'tsconfig.json', 'payloads/mine.local.jsonl'], { cwd: repo });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.files.map((f) => f.file)).toEqual(['package.json', 'tsconfig.json', 'payloads/mine.local.jsonl']);
    expect(report.problems.filter((p) => p.file === 'tsconfig.json').map((p) => p.rule)).toContain('json/syntax');
  });

  it('--ignore-pattern (repeatable) skips what it matches, named files too, and says so on stderr', async () => {
    const r = await runCli(['validate', '--format', 'json', '.', 'payloads/mine.local.jsonl', '--ignore-pattern', 'payloads/more', '--ignore-pattern', '**/*.local.jsonl'], {
      cwd: repo,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(filesOf(r.stdout)).toEqual(['payloads/events.jsonl']);
    expect(r.stderr).toBe('opsmeter: 2 files skipped by --ignore-pattern\n');
    // Relative to the working directory, as ESLint's: from payloads/, "more/" is the folder.
    const sub = await runCli(['validate', '--format', 'json', '.', '--ignore-pattern', 'more/'], { cwd: join(repo, 'payloads') });
    expect(filesOf(sub.stdout)).toEqual(['events.jsonl']);
    // Beside the config's ignore globs: both are named.
    writeFileSync(join(repo, 'opsmeter.config.json'), '{ "ignore": ["payloads/events.jsonl"] }\n');
    try {
      const both = await runCli(['validate', '.', '--ignore-pattern', 'payloads/more/*.json'], { cwd: repo });
      expect(both.code, both.stdout).toBe(0); // every file skipped: nothing to check
      expect(both.stderr).toMatch(new RegExp(`^opsmeter: 2 files skipped by --ignore-pattern and the ignore globs of ${repo}/opsmeter\\.config\\.json\\n`));
    } finally {
      rmSync(join(repo, 'opsmeter.config.json'));
    }
  });
});

/** The official schema is draft-04: ajv 8 reads it as draft-07 with `id` spelled `$id` (the keywords it uses mean the same). */
function sarifValidator() {
  const schema = JSON.parse(readFileSync(join(ROOT, 'test', 'report', 'sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;
  const { $schema: _draft, id, ...rest } = schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  // RFC 3986: a URI reference holds no raw space or control character; a URI has a scheme.
  const uriChars = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
  ajv.addFormat('uri-reference', (v: string) => uriChars.test(v));
  ajv.addFormat('uri', (v: string) => uriChars.test(v) && URL.canParse(v));
  ajv.addFormat('date-time', (v: string) => !Number.isNaN(Date.parse(v)));
  return ajv.compile({ ...rest, $id: id as string });
}

describe.skipIf(!hasGit)('paths from the repository root in github, sarif and junit, whatever the working directory', () => {
  const repo = join(tmp, 'mono');
  const app = join(repo, 'packages', 'my app');
  beforeAll(() => {
    mkdirSync(app, { recursive: true });
    expect(spawnSync('git', ['init', '-q'], { cwd: repo }).status).toBe(0);
    write(app, { 'payloads/bad #1.jsonl': BAD, 'payloads/good.jsonl': GOOD });
    write(tmp, { 'outside/bad.jsonl': BAD });
  });

  it('github: a step with working-directory packages/my app annotates packages/my app/payloads/…', async () => {
    const r = await runCli(['validate', '--format', 'github', 'payloads/'], { cwd: app });
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^::error file=packages\/my app\/payloads\/bad #1\.jsonl,line=1,col=\d+,title=payload\/type::/);
  });

  it('sarif: URIs relative to %SRCROOT%, defined in originalUriBaseIds as the root; valid SARIF 2.1.0; a file outside is a file: URI', async () => {
    const r = await runCli(['validate', '--format', 'sarif', 'payloads/', join(tmp, 'outside', 'bad.jsonl')], { cwd: app });
    expect(r.code).toBe(1);
    const sarif = JSON.parse(r.stdout);
    const run = sarif.runs[0];
    expect(run.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: `${pathToFileURL(repo).href}/` } });
    const locations = run.results.map((x: { locations: { physicalLocation: { artifactLocation: unknown } }[] }) => x.locations[0]!.physicalLocation.artifactLocation);
    expect(locations).toEqual([
      { uri: 'packages/my%20app/payloads/bad%20%231.jsonl', uriBaseId: '%SRCROOT%' },
      { uri: pathToFileURL(join(tmp, 'outside', 'bad.jsonl')).href },
    ]);
    // The URI resolves back to the file.
    expect(new URL(locations[0].uri, run.originalUriBaseIds['%SRCROOT%'].uri).pathname).toBe(pathToFileURL(join(app, 'payloads', 'bad #1.jsonl')).pathname);
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    // The check can fail: a raw space in a URI, or a base URI that is not one.
    const rawSpace = structuredClone(sarif);
    rawSpace.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri = 'packages/my app/payloads/bad #1.jsonl';
    expect(validate(rawSpace)).toBe(false);
    const badBase = structuredClone(sarif);
    badBase.runs[0].originalUriBaseIds['%SRCROOT%'] = { uri: 'not a uri' };
    expect(validate(badBase)).toBe(false);
  });

  it('junit: suites and cases named from the root', async () => {
    const r = await runCli(['validate', '--format', 'junit', 'payloads/'], { cwd: app });
    expect(r.stdout).toContain('<testsuite name="packages/my app/payloads/bad #1.jsonl" tests="1" failures="1" errors="0">');
    expect(r.stdout).toContain('<testcase name="packages/my app/payloads/good.jsonl" classname="opsmeter.validate"/>');
    expect(r.stdout).toMatch(/<testcase name="packages\/my app\/payloads\/bad #1\.jsonl:1:\d+ payload\/type"/);
  });

  it('pretty and json keep the paths as given (relative to the working directory)', async () => {
    const r = await runCli(['validate', '--format', 'json', 'payloads/'], { cwd: app });
    expect(filesOf(r.stdout)).toEqual(['payloads/bad #1.jsonl', 'payloads/good.jsonl']);
  });

  it('outside a git work tree, GITHUB_WORKSPACE is the root; without either, paths stay as given', async () => {
    const outside = join(tmp, 'outside');
    const ws = await runCli(['validate', '--format', 'github', 'bad.jsonl'], { cwd: outside, env: { GITHUB_WORKSPACE: tmp } });
    expect(ws.stdout.split('\n')[0]).toMatch(/^::error file=outside\/bad\.jsonl,/);
    const sarif = JSON.parse((await runCli(['validate', '--format', 'sarif', 'bad.jsonl'], { cwd: outside, env: { GITHUB_WORKSPACE: tmp } })).stdout);
    expect(sarif.runs[0].originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: `${pathToFileURL(tmp).href}/` } });
    const plain = await runCli(['validate', '--format', 'github', 'bad.jsonl'], { cwd: outside, env: { GITHUB_WORKSPACE: undefined } });
    expect(plain.stdout.split('\n')[0]).toMatch(/^::error file=bad\.jsonl,/);
    const bare = JSON.parse((await runCli(['validate', '--format', 'sarif', 'bad.jsonl'], { cwd: outside, env: { GITHUB_WORKSPACE: undefined } })).stdout);
    expect(bare.runs[0].originalUriBaseIds).toBeUndefined();
    expect(bare.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({ uri: 'bad.jsonl' });
    // A git work tree beats GITHUB_WORKSPACE (a checkout with `path:` sits inside the workspace).
    const inRepo = await runCli(['validate', '--format', 'github', 'payloads/'], { cwd: app, env: { GITHUB_WORKSPACE: tmp } });
    expect(inRepo.stdout.split('\n')[0]).toMatch(/^::error file=packages\/my app\/payloads\//);
  });
});
