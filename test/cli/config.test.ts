/**
 * End-to-end: opsmeter.config.json and the rule flags through the built CLI (a bad config
 * file's messages and a bad flag value in-process, each proven once end to end) — discovery
 * (this folder or the nearest parent, stopping at the git root), --config / --no-config,
 * bad files (exit 2 naming the key or rule), --rule, --max-warnings, --quiet, ignore,
 * catalog, and the same settings in import's gate and send's local check. The issue's
 * done-when runs as a real shell pipe: `opsmeter import … | opsmeter validate --strict -`.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/cli/config-options.js';
import { failure } from '../../src/cli/main.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { usageError } from '../helpers/command-line.js';
import { tempRepos } from '../helpers/repos.js';

const repos = tempRepos('opsmeter-config-cli-');
const repo = repos.repo;

const LITELLM_JSON = join(ROOT, 'fixtures/import/litellm/spend-logs.json');
/** What an imported payload cannot carry: the source has no prompt version, endpoint or latency, and is old. */
const IMPORT_RULES = {
  'payload/missing-prompt-version': 'off',
  'payload/missing-endpoint-tag': 'off',
  'payload/created-at-old': 'off',
};

/** Only warnings: no latencyMs (payload/missing-latency). */
const NO_LATENCY =
  '{"externalRequestId":"e3","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":1,"outputTokens":2,"status":"success","dataMode":"real","environment":"prod"}\n';
/** One error (inputTokens as a string) and one warning (no latencyMs). */
const ONE_ERROR =
  '{"externalRequestId":"e4","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":"1","outputTokens":2,"status":"success"}\n';

/** Runs a shell pipeline with the same clean environment as runCli; `$OPSMETER` is the built CLI. */
function pipeline(script: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OPSMETER_') && k !== 'FORCE_COLOR') env[k] = v;
  Object.assign(env, { NO_COLOR: '1', TZ: 'UTC', XDG_CACHE_HOME: join(ROOT, '.test-cache'), OPSMETER: `"${process.execPath}" "${BIN}"` });
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('done when: a team turns off the rules its imports cannot satisfy', () => {
  it('`opsmeter import … | opsmeter validate --strict -` fails without the config and passes with it', async () => {
    const dir = repo({ 'data/.keep': '' });
    copyFileSync(LITELLM_JSON, join(dir, 'data', 'spend-logs.json'));
    // pipefail: the pipeline's status is the first failing command's, so both must pass.
    const script = 'eval $OPSMETER import data/spend-logs.json --from litellm | eval $OPSMETER validate --strict -';

    const before = await pipeline(script, dir);
    expect(before.code, before.stderr).toBe(1);
    expect(before.stdout).toMatch(/payload\/missing-prompt-version/);
    expect(before.stderr).toMatch(/read 4 = complete 3 \+ partial 1 \+ skipped 0 \+ rejected 0/);

    writeFileSync(join(dir, 'opsmeter.config.json'), JSON.stringify({ rules: IMPORT_RULES }, null, 2));
    const after = await pipeline(script, dir);
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toMatch(/✔ no problems: 1 file, 4 payloads checked/);
    expect(after.stdout).toMatch(/rule settings: payload\/missing-prompt-version=off, payload\/missing-endpoint-tag=off, payload\/created-at-old=off/);

    // The other checks still fail the build: a payload error is still an error.
    writeFileSync(join(dir, 'extra.jsonl'), ONE_ERROR);
    const broken = await pipeline('eval $OPSMETER validate --strict extra.jsonl', dir);
    expect(broken.code).toBe(1);
  });
});

/**
 * What `opsmeter validate e.jsonl` run in `cwd` prints and exits with when its config file is
 * wrong: the command reads its settings (resolveSettings) before anything else, and main.ts
 * turns the error into stderr and the exit code. In-process; `--config nope.json` below
 * proves the same path end to end.
 */
async function settingsError(cwd: string): Promise<{ code: number; stderr: string; stdout: string }> {
  try {
    await resolveSettings({}, cwd);
  } catch (e) {
    const { code, text } = failure(e, false);
    return { code, stderr: text, stdout: '' };
  }
  throw new Error(`the config in ${cwd} was read without an error`);
}

describe('finding and reading opsmeter.config.json', () => {
  it('is found in a parent folder, and not above the git root', async () => {
    const dir = repo({ 'opsmeter.config.json': JSON.stringify({ rules: { 'payload/missing-latency': 'error' } }), 'a/b/e.jsonl': NO_LATENCY });
    const r = await runCli(['validate', 'e.jsonl'], { cwd: join(dir, 'a', 'b') });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/1:1 +error +no latencyMs on a complete payload +payload\/missing-latency/);

    // A config in the folder above the repository root does not apply.
    const outer = repos.unused('outer');
    mkdirSync(join(outer, 'inner', '.git'), { recursive: true });
    writeFileSync(join(outer, 'opsmeter.config.json'), JSON.stringify({ rules: { 'payload/missing-latency': 'error' } }));
    writeFileSync(join(outer, 'inner', 'e.jsonl'), NO_LATENCY);
    const r2 = await runCli(['validate', 'e.jsonl'], { cwd: join(outer, 'inner') });
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout).toMatch(/warning +no latencyMs/);
  });

  it('--config FILE uses that file; --no-config ignores the one found', async () => {
    const dir = repo({
      'opsmeter.config.json': JSON.stringify({ rules: { 'payload/missing-latency': 'error' } }),
      'ci/relaxed.json': JSON.stringify({ rules: { 'payload/missing-latency': 'off' } }),
      'e.jsonl': NO_LATENCY,
    });
    expect((await runCli(['validate', 'e.jsonl'], { cwd: dir })).code).toBe(1);
    const relaxed = await runCli(['validate', '--strict', '--config', 'ci/relaxed.json', 'e.jsonl'], { cwd: dir });
    expect(relaxed.code, relaxed.stderr).toBe(0);
    expect(relaxed.stdout).toMatch(/✔ no problems/);
    const none = await runCli(['validate', '--no-config', 'e.jsonl'], { cwd: dir });
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/warning +no latencyMs/);
    const missing = await runCli(['validate', '--config', 'nope.json', 'e.jsonl'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read config .*nope\.json: no such file/);
  });

  it.each([
    ['an unknown key', { rulez: {} }, /opsmeter\.config\.json:2:3: unknown key "rulez"\n {2}hint: did you mean "rules"\?/],
    ['an unknown rule id', { rules: { 'payload/missing-latncy': 'off' } }, /:3:5: rules: unknown rule "payload\/missing-latncy"\n {2}hint: did you mean "payload\/missing-latency"\?/],
    ['a rule without its group', { rules: { 'missing-latency': 'off' } }, /unknown rule "missing-latency"\n {2}hint: did you mean "payload\/missing-latency"\?/],
    ['a rule that cannot be configured', { rules: { 'json/syntax': 'off' } }, /rule json\/syntax cannot be configured/],
    ['a bad level', { rules: { 'payload/missing-latency': 'warnn' } }, /:3:32: rules\["payload\/missing-latency"\] must be "off", "warn" or "error" \(or 0, 1, 2; "warning" = "warn"\), got "warnn"\n {2}hint: did you mean "warn"\?/],
    ['a level number out of range', { rules: { 'payload/missing-latency': 3 } }, /:3:32: rules\["payload\/missing-latency"\] must be .*, got 3\n/],
    ['a bad maxWarnings', { maxWarnings: -1 }, /:2:18: maxWarnings: /],
    ['ignore that is not a list', { ignore: 'fixtures/**' }, /:2:13: ignore: /],
  ])('%s is exit 2 naming it, with a hint (the same line with CR-only line ends)', async (_what, config, expected) => {
    for (const eol of ['\n', '\r']) {
      const dir = repo({ 'opsmeter.config.json': JSON.stringify(config, null, 2).replace(/\n/g, eol), 'e.jsonl': NO_LATENCY });
      const r = await settingsError(dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).toMatch(/\n {2}hint: \S/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });

  it('end to end: a bad config file is exit 2 with its line and hint on stderr, nothing on stdout', async () => {
    const dir = repo({ 'opsmeter.config.json': JSON.stringify({ rulez: {} }, null, 2), 'e.jsonl': NO_LATENCY });
    const r = await runCli(['validate', 'e.jsonl'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/opsmeter\.config\.json:2:3: unknown key "rulez"\n {2}hint: did you mean "rules"\?/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('a file that is not JSON is exit 2 with the parser\'s reason', async () => {
    const dir = repo({ 'opsmeter.config.json': '{ "rules": { } ', 'e.jsonl': NO_LATENCY });
    const r = await settingsError(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config .*opsmeter\.config\.json is not valid JSON: .*opsmeter\.config\.json:1:16: expected "}"/);
  });

  it('comments and trailing commas are fine (JSONC, as tsconfig.json); ESLint\'s level spellings work', async () => {
    const text = [
      '// team settings for opsmeter validate',
      '{',
      '  /* imports carry no prompt version */',
      '  "rules": {',
      '    "payload/missing-prompt-version": "off", // off, warn, error',
      '    "payload/missing-latency": 2,',
      '    "payload/missing-endpoint-tag": "warn",',
      '  },',
      '}',
      '',
    ].join('\n');
    const dir = repo({ 'opsmeter.config.json': text, 'e.jsonl': NO_LATENCY });
    const settings = await resolveSettings({}, dir);
    expect(settings.config?.rules).toEqual({ 'payload/missing-prompt-version': 'off', 'payload/missing-latency': 'error', 'payload/missing-endpoint-tag': 'warning' });
    const r = await runCli(['validate', 'e.jsonl', '--rule', 'payload/missing-endpoint-tag=1'], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/1:1 +error +no latencyMs on a complete payload +payload\/missing-latency/);
    expect(r.stdout).toMatch(/rule settings: payload\/missing-prompt-version=off, payload\/missing-latency=error/);
  });

  it('every mistake of a file is reported in one run, in file order, each with its place and a did-you-mean', async () => {
    const text = [
      '{',
      '  // two typos, a bad level, a fixed rule and a wrong type',
      '  "rules": {',
      '    "payload/missing-latncy": "off",',
      '    "payload/missing-prompt-version": "eror",',
      '    "json/syntax": "off",',
      '  },',
      '  "maxWarning": 3,',
      '  "ignore": "fixtures/**",',
      '}',
    ].join('\n');
    const dir = repo({ 'opsmeter.config.json': text, 'e.jsonl': NO_LATENCY });
    const r = await runCli(['validate', 'e.jsonl'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const file = join(dir, 'opsmeter.config.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(r.stderr).toMatch(new RegExp(`^opsmeter: config ${file} has 5 mistakes:\n`));
    const listed = r.stderr.split('\n').filter((l) => l.startsWith('  /')).map((l) => l.slice(l.indexOf('opsmeter.config.json:')));
    expect(listed).toEqual([
      'opsmeter.config.json:4:5: rules: unknown rule "payload/missing-latncy" — did you mean "payload/missing-latency"? (the README\'s Rules table lists them all)',
      'opsmeter.config.json:5:39: rules["payload/missing-prompt-version"] must be "off", "warn" or "error" (or 0, 1, 2; "warning" = "warn"), got "eror" — did you mean "error"?',
      expect.stringMatching(/^opsmeter\.config\.json:6:5: rules: rule json\/syntax cannot be configured/),
      'opsmeter.config.json:8:3: unknown key "maxWarning" — did you mean "maxWarnings"?',
      expect.stringMatching(/^opsmeter\.config\.json:9:13: ignore: .*expected array/),
    ]);
    expect(r.stderr).toMatch(/\n {2}hint: `opsmeter schema --config`/);
    // Several syntax faults are listed together too.
    const broken = repo({ 'opsmeter.config.json': '{\n  "rules": { "payload/missing-latency": "off" "x": 1 }\n  "maxWarnings": 0\n', 'e.jsonl': NO_LATENCY });
    const s = await settingsError(broken);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/is not valid JSON:\n {2}\S+:2:47: expected "," or a closing bracket\n {2}\S+:3:3: expected "," or a closing bracket/);
    expect(s.stderr).toMatch(/hint: the file is JSON with comments/);
  });

  it('`opsmeter schema --config` prints a JSON Schema that accepts the README example and rejects a typo', async () => {
    const r = await runCli(['schema', '--config']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = /## Configuration[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example, 'README has a Configuration section with a json example').toBeDefined();
    expect(validate(JSON.parse(example!)), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ rules: { 'payload/missing-latncy': 'off' } })).toBe(false);
    // Every level spelling the tool takes, and nothing else.
    for (const level of ['off', 'warn', 'error', 'warning', 0, 1, 2]) expect(validate({ rules: { 'payload/missing-latency': level } }), String(level)).toBe(true);
    for (const level of ['warnn', 'Warn', '2', 3, -1, true]) expect(validate({ rules: { 'payload/missing-latency': level } }), String(level)).toBe(false);
    expect(Object.keys(schema.properties.rules.properties)).toContain('payload/missing-prompt-version');
    // And the CLI accepts the README example too (its catalog path aside).
    const { catalog: _catalog, ...rest } = JSON.parse(example!);
    const dir = repo({ 'opsmeter.config.json': JSON.stringify(rest), 'e.jsonl': NO_LATENCY });
    const r2 = await runCli(['validate', 'e.jsonl'], { cwd: dir });
    expect(r2.code).toBe(1); // the example raises payload/missing-latency to error
    expect(r2.stdout).toMatch(/error +no latencyMs on a complete payload/);
  });
});

describe('rule flags and limits', () => {
  it('--rule beats the file, and raising a warning makes it fail', async () => {
    const dir = repo({ 'opsmeter.config.json': JSON.stringify({ rules: { 'payload/missing-latency': 'error' } }), 'e.jsonl': NO_LATENCY });
    const off = await runCli(['validate', '--strict', '--rule', 'payload/missing-latency=off', 'e.jsonl'], { cwd: dir });
    expect(off.code, off.stdout).toBe(0);
    const json = await runCli(['validate', '--no-config', '--format', 'json', '--rule', 'payload/missing-latency=error', '--rule', 'payload/missing-prompt-version=warning', 'e.jsonl'], { cwd: dir });
    expect(json.code).toBe(1);
    const j = JSON.parse(json.stdout);
    expect(j.summary).toMatchObject({ errors: 1, warnings: 0 });
    expect(j.problems[0]).toMatchObject({ rule: 'payload/missing-latency', severity: 'error' });
    // Only the settings that change something are reported.
    expect(j.rules).toEqual({ 'payload/missing-latency': 'error' });
    const sarif = JSON.parse((await runCli(['validate', '--no-config', '--format', 'sarif', '--rule', 'payload/missing-latency=error', 'e.jsonl'], { cwd: dir })).stdout);
    expect(sarif.runs[0].results[0]).toMatchObject({ ruleId: 'payload/missing-latency', level: 'error' });
  });

  it('SARIF records the run\'s rule settings as the spec says: defaults in the rules, the run\'s changes as configuration overrides', async () => {
    const dir = repo({ 'opsmeter.config.json': JSON.stringify({ rules: { 'payload/missing-prompt-version': 'off' } }), 'e.jsonl': NO_LATENCY });
    const r = await runCli(['validate', '--format', 'sarif', '--rule', 'payload/missing-latency=error', 'e.jsonl'], { cwd: dir });
    expect(r.code).toBe(1);
    const run = JSON.parse(r.stdout).runs[0];
    const rules: { id: string; defaultConfiguration: { level: string } }[] = run.tool.driver.rules;
    const indexOf = (id: string) => rules.findIndex((x) => x.id === id);
    // defaultConfiguration is each rule's default (SARIF 2.1.0 §3.49.14) ...
    expect(rules[indexOf('payload/missing-latency')]!.defaultConfiguration).toEqual({ level: 'warning' });
    // ... and invocations[0].ruleConfigurationOverrides (§3.20.5, §3.51) what this run changed: only those.
    expect(run.invocations[0].ruleConfigurationOverrides).toEqual([
      { descriptor: { id: 'payload/missing-latency', index: indexOf('payload/missing-latency') }, configuration: { level: 'error' } },
      { descriptor: { id: 'payload/missing-prompt-version', index: indexOf('payload/missing-prompt-version') }, configuration: { enabled: false } },
    ].sort((a, b) => a.descriptor.index - b.descriptor.index));
    expect(run.results.map((x: { ruleId: string; level: string }) => [x.ruleId, x.level])).toEqual([['payload/missing-latency', 'error']]);
    // --strict: the run treated every warning rule as an error; --quiet alone did not check them.
    const strict = JSON.parse((await runCli(['validate', '--no-config', '--format', 'sarif', '--strict', 'e.jsonl'], { cwd: dir })).stdout).runs[0];
    const warningRules = rules.filter((x) => x.defaultConfiguration.level === 'warning').map((x) => x.id);
    expect(strict.invocations[0].ruleConfigurationOverrides.map((o: { descriptor: { id: string }; configuration: unknown }) => [o.descriptor.id, o.configuration])).toEqual(warningRules.map((id) => [id, { level: 'error' }]));
    const quiet = JSON.parse((await runCli(['validate', '--no-config', '--format', 'sarif', '--quiet', 'e.jsonl'], { cwd: dir })).stdout).runs[0];
    expect(quiet.invocations[0].ruleConfigurationOverrides.map((o: { descriptor: { id: string }; configuration: unknown }) => [o.descriptor.id, o.configuration])).toEqual(warningRules.map((id) => [id, { enabled: false }]));
    // Without settings there is nothing to override.
    const plain = JSON.parse((await runCli(['validate', '--no-config', '--format', 'sarif', 'e.jsonl'], { cwd: dir })).stdout).runs[0];
    expect(plain.invocations).toEqual([{ executionSuccessful: true }]);
  });

  it('an error rule turned off no longer fails the run', async () => {
    const dir = repo({ 'e.jsonl': ONE_ERROR });
    expect((await runCli(['validate', 'e.jsonl'], { cwd: dir })).code).toBe(1);
    const r = await runCli(['validate', '--rule', 'payload/type=off', '--format', 'json', 'e.jsonl'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).byRule).toEqual({ 'payload/missing-latency': 1 });
  });

  it('--max-warnings N fails above N; the config sets it and the flag wins', async () => {
    const dir = repo({ 'e.jsonl': NO_LATENCY + NO_LATENCY.replace('"e3"', '"e5"') });
    expect((await runCli(['validate', '--max-warnings', '2', 'e.jsonl'], { cwd: dir })).code).toBe(0);
    const over = await runCli(['validate', '--max-warnings', '1', 'e.jsonl'], { cwd: dir });
    expect(over.code).toBe(1);
    expect(over.stdout).toMatch(/more than 1 warning allowed \(--max-warnings\): the run fails/);
    writeFileSync(join(dir, 'opsmeter.config.json'), JSON.stringify({ maxWarnings: 0 }));
    expect((await runCli(['validate', 'e.jsonl'], { cwd: dir })).code).toBe(1);
    expect((await runCli(['validate', '--max-warnings', '5', 'e.jsonl'], { cwd: dir })).code).toBe(0);
    expect((await usageError(['validate', '--max-warnings', 'x', 'e.jsonl'])).code).toBe(2); // as parsed, in-process
  });

  it('--quiet reports errors only and, as in ESLint 9, does not check warnings at all', async () => {
    const dir = repo({ 'e.jsonl': NO_LATENCY + ONE_ERROR });
    const r = await runCli(['validate', '--quiet', 'e.jsonl'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/error +inputTokens must be a JSON number/);
    expect(r.stdout).not.toMatch(/ warning /);
    expect(r.stdout).toMatch(/1 problem \(1 error, 0 warnings\)/);
    expect(r.stdout).toMatch(/warnings not checked \(--quiet; with --max-warnings or --strict they are counted\)/);
    const gh = await runCli(['validate', '--quiet', '--format', 'github', 'e.jsonl'], { cwd: dir });
    expect(gh.stdout.split('\n').filter((l) => l.startsWith('::'))).toEqual([expect.stringMatching(/^::error /)]);
    const json = JSON.parse((await runCli(['validate', '--quiet', '--format', 'json', 'e.jsonl'], { cwd: dir })).stdout);
    expect(json.summary).toMatchObject({ errors: 1, warnings: 0, warningsSkipped: true });
    expect(json.summary.quietWarnings).toBeUndefined();
    expect(Object.keys(json.byRule)).toEqual(['payload/type']);
    // Only warnings: with --quiet alone they are not checked, so the run passes (exit 0).
    const warnOnly = repo({ 'e.jsonl': NO_LATENCY });
    const alone = await runCli(['validate', '--quiet', 'e.jsonl'], { cwd: warnOnly });
    expect(alone.code).toBe(0);
    expect(alone.stdout).toMatch(/no problems/);
    // A rule raised to error is an error: --quiet reports it.
    const raised = await runCli(['validate', '--quiet', '--rule', 'payload/missing-latency=error', 'e.jsonl'], { cwd: warnOnly });
    expect(raised.code).toBe(1);
    expect(raised.stdout).toMatch(/error +.*payload\/missing-latency/);
  });

  it('--quiet with a warning threshold (--max-warnings, maxWarnings, --strict) still counts warnings, without listing them', async () => {
    const dir = repo({ 'e.jsonl': NO_LATENCY + NO_LATENCY.replace('"e3"', '"e5"') });
    const over = await runCli(['validate', '--quiet', '--max-warnings', '1', 'e.jsonl'], { cwd: dir });
    expect(over.code).toBe(1);
    expect(over.stdout).not.toMatch(/^ +\d+:\d+ +warning /m);
    expect(over.stdout).toMatch(/2 problems \(0 errors, 2 warnings\)/);
    expect(over.stdout).toMatch(/2 warnings not listed \(--quiet\)/);
    expect((await runCli(['validate', '--quiet', '--max-warnings', '2', 'e.jsonl'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['validate', '--quiet', '--strict', 'e.jsonl'], { cwd: dir })).code).toBe(1);
    const json = JSON.parse((await runCli(['validate', '--quiet', '--strict', '--format', 'json', 'e.jsonl'], { cwd: dir })).stdout);
    expect(json.summary).toMatchObject({ errors: 0, warnings: 2, quietWarnings: 2 });
    expect(json.summary.warningsSkipped).toBeUndefined();
    expect(json.problems).toEqual([]);
    writeFileSync(join(dir, 'opsmeter.config.json'), JSON.stringify({ maxWarnings: 1 }));
    expect((await runCli(['validate', '--quiet', 'e.jsonl'], { cwd: dir })).code).toBe(1);
  });

  it('ignore globs skip files, relative to the config file', async () => {
    const dir = repo({
      'opsmeter.config.json': JSON.stringify({ ignore: ['payloads/bad/**'] }),
      'payloads/good.jsonl': NO_LATENCY,
      'payloads/bad/broken.jsonl': '{"provider":\n',
    });
    const r = await runCli(['validate', 'payloads/'], { cwd: dir });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/1 file, 1 payload checked/);
    expect(r.stderr).toMatch(/1 file skipped by the ignore globs of .*opsmeter\.config\.json/);
    // From a subfolder, the globs stay relative to the config's folder.
    const sub = await runCli(['validate', '.'], { cwd: join(dir, 'payloads') });
    expect(sub.code, sub.stdout).toBe(0);
    expect((await runCli(['validate', '--no-config', 'payloads/'], { cwd: dir })).code).toBe(1);
  });

  it('catalog: a path relative to the config file; --catalog wins', async () => {
    const catalog = { date: '2026-01-01', source: 'team catalog', models: [{ provider: 'acme', model: 'rocket-1', inputPer1M: 1, outputPer1M: 2 }] };
    const payload = NO_LATENCY.replace('"openai"', '"acme"').replace('"gpt-4o-mini"', '"rocket-1"');
    const dir = repo({ 'config/opsmeter.json': JSON.stringify({ catalog: 'team-catalog.json' }), 'config/team-catalog.json': JSON.stringify(catalog), 'e.jsonl': payload });
    const r = await runCli(['validate', '--config', 'config/opsmeter.json', '--format', 'json', 'e.jsonl'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.catalog).toMatch(/2026-01-01/);
    expect(j.byRule['catalog/unknown-provider']).toBeUndefined();
    writeFileSync(join(dir, 'other-catalog.json'), JSON.stringify({ date: '2026-02-02', models: [{ provider: 'openai', model: 'gpt-4o-mini' }] }));
    const flag = await runCli(['validate', '--config', 'config/opsmeter.json', '--catalog', 'other-catalog.json', '--format', 'json', 'e.jsonl'], { cwd: dir });
    expect(flag.code, flag.stderr).toBe(0);
    expect(JSON.parse(flag.stdout).byRule['catalog/unknown-provider']).toBe(1);
  });
});

describe('the same settings in import and send', () => {
  const CSV = 'id,ts,vendor,model,in,out,who\nr-1,2026-03-01T12:00:00Z,openai,gpt-4o-mini,12,3,alice@example.com\nr-2,2026-03-01T12:01:00Z,openai,gpt-4o-mini,5,1,u-2\n';
  const MAP = ['--from', 'csv', '--map', 'externalRequestId=id', '--map', 'createdAt=ts', '--map', 'provider=vendor', '--map', 'model=model', '--map', 'inputTokens=in', '--map', 'outputTokens=out', '--map', 'userId=who', '--map', "status='success'"];

  it("import's gate: a rule raised to error rejects rows, an error rule turned off does not", async () => {
    const dir = repo({ 'usage.csv': CSV });
    const plain = await runCli(['import', 'usage.csv', ...MAP], { cwd: dir });
    expect(plain.code, plain.stderr).toBe(1); // alice@example.com: payload/pii-user-id
    expect(plain.stdout.trim().split('\n')).toHaveLength(1);

    writeFileSync(join(dir, 'opsmeter.config.json'), JSON.stringify({ rules: { 'payload/pii-user-id': 'off' } }));
    const off = await runCli(['import', 'usage.csv', ...MAP], { cwd: dir });
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout.trim().split('\n')).toHaveLength(2);

    const raised = await runCli(['import', 'usage.csv', ...MAP, '--rule', 'payload/missing-latency=error', '--rejects', 'rejects.jsonl'], { cwd: dir });
    expect(raised.code).toBe(1);
    expect(raised.stdout).toBe('');
    const rejects = readFileSync(join(dir, 'rejects.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects).toHaveLength(2);
    expect(rejects[0].reason).toMatch(/\[payload\/missing-latency\]/);
  });

  it('import reads the files the ignore globs name: they keep provider exports out of validate, not out of import', async () => {
    const dir = repo({
      'opsmeter.config.json': JSON.stringify({ ignore: ['exports/**'], rules: { 'payload/pii-user-id': 'off' } }),
      'exports/usage.csv': CSV,
      'exports/more/usage-2.csv': CSV.replace(/r-/g, 's-'),
      // A provider's own JSONL is no payload file: the reason to ignore the folder in validate.
      'exports/batch-output.jsonl': '{"id":"batch_req_1","custom_id":"r-1","response":{"status_code":200}}\n',
    });
    const validated = await runCli(['validate', 'exports/'], { cwd: dir });
    expect(validated.code, validated.stdout).toBe(0);
    expect(validated.stderr).toMatch(/1 file skipped by the ignore globs/);
    const imported = await runCli(['import', 'exports/', ...MAP], { cwd: dir });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout.trim().split('\n')).toHaveLength(4); // both CSV files, two rows each
    expect(imported.stderr).not.toMatch(/skipped by the ignore globs/);
    // The same config's rules do apply to import's gate (alice@example.com is not rejected).
    expect(imported.stderr).toMatch(/rejected 0 ✔/);
  });

  it("send's local check (--dry-run): the same settings decide what is sent", async () => {
    const dir = repo({ 'e.jsonl': NO_LATENCY.replace('"real"', '"test"').replace('"prod"', '"staging"') });
    const plain = await runCli(['send', '--dry-run', 'e.jsonl'], { cwd: dir });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout.trim().split('\n')).toHaveLength(1);
    writeFileSync(join(dir, 'opsmeter.config.json'), JSON.stringify({ rules: { 'payload/missing-latency': 'error' } }));
    const raised = await runCli(['send', '--dry-run', 'e.jsonl'], { cwd: dir });
    expect(raised.code).toBe(1);
    expect(raised.stdout).toBe('');
    expect(raised.stderr).toMatch(/payload\/missing-latency/);
  });
});
