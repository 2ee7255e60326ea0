/**
 * `opsmeter init`, through the built CLI: `--yes` writes opsmeter.config.json (JSONC, which
 * loads), its JSON Schema and a sample payload that passes `validate --strict`, and prints the
 * CI step and the pre-commit lines with the payload folder's path from the repository root; it
 * never overwrites without `--force`; with no terminal and no `--yes` it asks nothing and exits
 * 2. The questions themselves are answered in-process through streams.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { askAnswers, ciSnippet, SAMPLE_PAYLOAD } from '../../src/cli/init.js';
import { loadConfigFile } from '../../src/config/load.js';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { lintPayload } from '../../src/contract/lint.js';
import { ROOT, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-init-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let repos = 0;
/** A fresh folder marked as a git work tree. */
function repo(): string {
  const dir = join(tmp, `repo-${repos++}`);
  mkdirSync(join(dir, '.git'), { recursive: true });
  return dir;
}

describe('opsmeter init --yes', () => {
  it('writes the config, its schema and a sample that passes --strict, and prints the CI step and the pre-commit lines', async () => {
    const dir = repo();
    const r = await runCli(['init', '--yes'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('opsmeter: wrote opsmeter.config.json\nopsmeter: wrote opsmeter.config.schema.json\nopsmeter: wrote payloads/example.jsonl\n');
    const config = await loadConfigFile(join(dir, 'opsmeter.config.json'));
    expect(config).toMatchObject({ rules: {}, ignore: [] });
    expect(readFileSync(join(dir, 'opsmeter.config.json'), 'utf8')).toMatch(/^ {2}\/\/ /m); // commented: it is read as JSONC
    // The schema beside it accepts the config (as editors will check it).
    const schema = JSON.parse(readFileSync(join(dir, 'opsmeter.config.schema.json'), 'utf8'));
    expect(new Ajv2020({ strict: false }).validate(schema, { $schema: './opsmeter.config.schema.json', rules: { 'payload/missing-latency': 'warn' }, ignore: [] })).toBe(true);
    const strict = await runCli(['validate', '--strict', '.'], { cwd: dir });
    expect(strict.code, strict.stdout).toBe(0);
    expect(strict.stdout).toMatch(/✔ no problems: 1 file, 1 payload checked/);
    expect(r.stdout).toContain('  opsmeter validate --strict payloads/\n');
    expect(r.stdout).toContain(ciSnippet('github', 'payloads/', false));
    expect(r.stdout).toContain('      - id: opsmeter-validate\n        files: ^payloads/\n        language_version: system\n');
  });

  it('never overwrites without --force, and then writes nothing at all', async () => {
    const dir = repo();
    writeFileSync(join(dir, 'opsmeter.config.json'), '{ "rules": { "payload/missing-latency": "off" } }\n');
    const r = await runCli(['init', '--yes'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('opsmeter: opsmeter.config.json exists: nothing was written\n  hint: init never overwrites a file without --force\n');
    expect(existsSync(join(dir, 'payloads'))).toBe(false);
    expect(readFileSync(join(dir, 'opsmeter.config.json'), 'utf8')).toContain('"off"');
    const forced = await runCli(['init', '--yes', '--force'], { cwd: dir });
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(dir, 'opsmeter.config.json'), 'utf8')).toContain('"$schema"');
  });

  it('without a terminal and without --yes it asks nothing: exit 2 with the way out', async () => {
    const dir = repo();
    const r = await runCli(['init'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no terminal to ask on\n {2}hint: pass --yes to take the defaults/);
    expect(existsSync(join(dir, 'opsmeter.config.json'))).toBe(false);
  });

  it('--dir and --ci, from a sub-folder of the repository: paths from the root; GitLab is found by its .gitlab-ci.yml', async () => {
    const dir = repo();
    writeFileSync(join(dir, '.gitlab-ci.yml'), 'stages: [test]\n');
    const app = join(dir, 'services', 'api');
    mkdirSync(app, { recursive: true });
    const r = await runCli(['init', '--yes', '--dir', 'telemetry/events'], { cwd: app });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(app, 'telemetry', 'events', 'example.jsonl'))).toBe(true);
    expect(r.stdout).toContain('    - npx opsmeter validate --strict --format junit -o opsmeter.xml services/api/telemetry/events/\n');
    expect(r.stdout).toContain('  image: node:24\n');
    expect(r.stdout).toContain('        files: ^services/api/telemetry/events/\n');
    const none = await runCli(['init', '--yes', '--force', '--ci', 'none'], { cwd: dir });
    expect(none.stdout).not.toMatch(/GitLab|GitHub/);
    const bad = await runCli(['init', '--yes', '--ci', 'jenkins'], { cwd: dir });
    expect(bad.code).toBe(2);
  });

  it('with opsmeter a devDependency, the GitHub step sets up Node 24 and runs npx opsmeter', async () => {
    const dir = repo();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', devDependencies: { opsmeter: 'file:../opsmeter-0.1.0.tgz' } }));
    const r = await runCli(['init', '--yes'], { cwd: dir });
    expect(r.stdout).toContain(ciSnippet('github', 'payloads/', true));
    expect(r.stdout).toContain('      - uses: actions/setup-node@v7\n        with: { node-version: 24 }\n      - run: npm ci\n      - run: npx opsmeter validate --format github --strict payloads/\n');
  });
});

describe('the parts', () => {
  it('the sample payload is clean under every rule', () => {
    expect(lintPayload(SAMPLE_PAYLOAD, { catalog: builtinCatalog(), now: Date.now() })).toEqual([]);
  });

  it('the questions: Enter takes the defaults; a CI it does not know is asked again', async () => {
    const answer = async (...lines: string[]) => {
      const input = new PassThrough();
      const output = new PassThrough();
      let asked = '';
      output.on('data', (d) => (asked += d));
      const pending = askAnswers(input, output, { dir: 'payloads', ci: 'github' });
      for (const l of lines) input.write(`${l}\n`);
      input.end(); // the end of input (Ctrl-D) takes the defaults left
      return { answers: await pending, asked };
    };
    expect((await answer()).answers).toEqual({ dir: 'payloads', ci: 'github' });
    expect((await answer('data')).answers).toEqual({ dir: 'data', ci: 'github' });
    expect((await answer('', '')).answers).toEqual({ dir: 'payloads', ci: 'github' });
    const typed = await answer('events', 'jenkins', 'GitLab');
    expect(typed.answers).toEqual({ dir: 'events', ci: 'gitlab' });
    expect(typed.asked).toContain('Folder for payload files [payloads]: ');
    expect(typed.asked).toContain('"jenkins" is none of github, gitlab, none');
  });

  it.skipIf(spawnSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' }).status !== 0)('the snippets are YAML, and the README shows the GitHub one init prints', () => {
    for (const snippet of [ciSnippet('github', 'payloads/', false), ciSnippet('github', 'payloads/', true), ciSnippet('gitlab', 'payloads/', true)]) {
      const yaml = snippet.slice(snippet.indexOf('\n\n') + 2);
      const r = spawnSync('python3', ['-c', 'import sys, yaml; yaml.safe_load(sys.stdin)'], { input: yaml, encoding: 'utf8' });
      expect(r.status, r.stderr + yaml).toBe(0);
    }
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const github = ciSnippet('github', 'payloads/', true);
    expect(readme).toContain(github.slice(github.indexOf('\n\n') + 2));
  });
});
