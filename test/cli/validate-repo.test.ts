/**
 * `opsmeter validate` in a real repository, through the built CLI: a throwaway git repository
 * (git init) with a package.json, a commented tsconfig.json, node_modules and a .gitignore'd
 * build folder, where `validate .` checks the payloads alone; `--ignore-pattern`; and the
 * paths the CI formats give, from the repository's root whatever the working directory.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

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
