/**
 * End-to-end: the BUILT CLI run as a user would (test/helpers/cli.ts: NO_COLOR=1, TZ=UTC,
 * no OPSMETER_* env), checking exit code, stdout and stderr exactly. The report of each
 * format on a clean and a broken input is a file snapshot under test/cli/__snapshots__/;
 * the tool version and catalog date are normalised so a release or a catalog refresh
 * does not churn them. `npm test` builds first; run `npx tsc -p tsconfig.json` before
 * running this file alone.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SNAPSHOT_DATE } from '../../src/contract/catalog-snapshot.js';
import { ALL_RULES } from '../../src/contract/rules.js';
import { MAX_LINE_BYTES } from '../../src/read/lines.js';
import { VERSION } from '../../src/version.js';
import { BIN, HAS_OFFICIAL_PAYLOADS_REF, OFFICIAL_PAYLOADS_REF, ROOT, runCli, runProcess, type CliResult } from '../helpers/cli.js';
import { usageError } from '../helpers/command-line.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-validate-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const VALID = 'fixtures/payloads/valid';
const BROKEN = 'fixtures/payloads/broken';
const CLEAN_FILE = `${VALID}/events.jsonl`;

/** A small input with errors and warnings on three lines, fed on stdin as "events.jsonl". */
const BROKEN_INPUT = [
  '{"externalRequestId":"e1","provider":"openai","model":"gpt-4.1","promptVersion":"v1","endpointTag":"t","inputTokens":"12","outputTokens":3,"latencyMs":5,"status":"success","environment":"Prod"}',
  '{"provider":"openai"',
  '{"externalRequestId":"e3","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":1,"outputTokens":2,"status":"success"}',
  '',
].join('\n');
/** Only warnings: no latencyMs. */
const WARNINGS_ONLY =
  '{"externalRequestId":"e3","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":1,"outputTokens":2,"status":"success"}\n';

const CATALOG = `built-in snapshot, ${SNAPSHOT_DATE}`;
const normalise = (s: string) =>
  s
    .split(`"${pathToFileURL(ROOT).href}/"`)
    .join('"file:///[repository root]/"')
    .split(CATALOG)
    .join('built-in snapshot, [catalog-date]')
    .replace(new RegExp(`"version": "${VERSION.replace(/\./g, '\\.')}",\n(\\s+)"informationUri"`), '"version": "[version]",\n$1"informationUri"')
    .replace(new RegExp(`"name": "opsmeter",\n(\\s+)"version": "${VERSION.replace(/\./g, '\\.')}"`), '"name": "opsmeter",\n$1"version": "[version]"');

/** No stack trace and no internal error, whatever the input. */
function expectNoCrash(r: CliResult) {
  expect(r.stderr).not.toMatch(/\n\s+at .+[:(]\d+:\d+\)?/);
  expect(r.stderr).not.toContain('internal error');
  expect(r.signal).toBeNull();
}

const FORMATS = ['pretty', 'json', 'github', 'sarif', 'junit'] as const;
const EXT: Record<(typeof FORMATS)[number], string> = { pretty: 'txt', json: 'json', github: 'txt', sarif: 'sarif.json', junit: 'xml' };

describe('every output format, on a clean and on a broken input', () => {
  for (const format of FORMATS) {
    it(`${format}: clean input → exit 0`, async () => {
      const r = await runCli(['validate', '--format', format, CLEAN_FILE]);
      expectNoCrash(r);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      await expect(normalise(r.stdout)).toMatchFileSnapshot(`__snapshots__/validate/clean.${format}.${EXT[format]}`);
    });
    it(`${format}: broken input → exit 1`, async () => {
      const r = await runCli(['validate', '--format', format, '--stdin-filename', 'events.jsonl'], { input: BROKEN_INPUT });
      expectNoCrash(r);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: '' });
      await expect(normalise(r.stdout)).toMatchFileSnapshot(`__snapshots__/validate/broken.${format}.${EXT[format]}`);
    });
  }

  it('pretty: each code frame caret sits under the offending value', async () => {
    const r = await runCli(['validate', '--stdin-filename', 'events.jsonl'], { input: BROKEN_INPUT });
    const lines = r.stdout.split('\n');
    const pointedAt: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      const frame = /^\s+\d+ \| (.*)$/.exec(lines[i - 1]!);
      const caret = /^\s+\| (\s*)\^$/.exec(lines[i]!);
      if (frame && caret) pointedAt.push(frame[1]!.slice(caret[1]!.length, caret[1]!.length + 9));
    }
    expect(pointedAt).toEqual(['"12","out', '"Prod"}', '"gpt-4.1"', '', '{"externa']);
  });

  it('pretty is the default format, and honours NO_COLOR (no escape codes)', async () => {
    const r = await runCli(['validate', '--stdin-filename', 'events.jsonl'], { input: BROKEN_INPUT });
    const explicit = await runCli(['validate', '--format', 'pretty', '--stdin-filename', 'events.jsonl'], { input: BROKEN_INPUT });
    expect(r.stdout).toBe(explicit.stdout);
    expect(r.stdout).not.toContain('\u001b[');
  });
});

describe('exit codes', () => {
  it('0: clean', async () => {
    const r = await runCli(['validate', VALID]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(normalise(r.stdout)).toMatchInlineSnapshot(`
      "✔ no problems: 12 files, 17 payloads checked against the contract (catalog built-in snapshot, [catalog-date])
      "
    `);
  });

  it('0: warnings only', async () => {
    const r = await runCli(['validate', '--stdin-filename', 'w.jsonl'], { input: WARNINGS_ONLY });
    expect(r.code).toBe(0);
    expect(normalise(r.stdout)).toMatchInlineSnapshot(`
      "w.jsonl
        1:1      warning  no latencyMs on a complete payload  payload/missing-latency
                 at /latencyMs
                 1 | {"externalRequestId":"e3","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTa…
                   | ^
                 hint: measure the provider call's wall time in ms (a timestamp before the call, one after)

      ⚠ 1 problem (0 errors, 1 warning): 1 file, 1 payload checked against the contract (catalog built-in snapshot, [catalog-date])
        warnings only: exit 0 (use --strict to fail on warnings)
      "
    `);
  });

  it('1: errors', async () => {
    const r = await runCli(['validate', `${BROKEN}/fractional-tokens.jsonl`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('1:164    error    inputTokens must be a whole number, got 12.5  payload/count');
  });

  it('1: warnings under --strict', async () => {
    const r = await runCli(['validate', '--strict', '--stdin-filename', 'w.jsonl'], { input: WARNINGS_ONLY });
    expect(r.code).toBe(1);
    expect(normalise(r.stdout).split('\n').slice(-3)).toEqual([
      '✖ 1 problem (0 errors, 1 warning): 1 file, 1 payload checked against the contract (catalog built-in snapshot, [catalog-date])',
      '  --strict: warnings fail the run',
      '',
    ]);
  });

  it.each([
    ['a missing file', ['validate', 'nope/missing.jsonl'], 'opsmeter: nope/missing.jsonl: no such file or directory\n'],
    [
      'a directory without payload files',
      ['validate', `${BROKEN}/no-payload-files`],
      `opsmeter: no payload files (*.json, *.jsonl, *.ndjson) in "${BROKEN}/no-payload-files"\n  hint: check the path or quote the glob; --allow-empty makes this exit 0\n`,
    ],
    [
      'a glob matching nothing',
      ['validate', 'fixtures/**/*.yaml'],
      'opsmeter: no payload files (*.json, *.jsonl, *.ndjson) in "fixtures/**/*.yaml"\n  hint: check the path or quote the glob; --allow-empty makes this exit 0\n',
    ],
    [
      'no paths and an empty stdin (as in CI)',
      ['validate'],
      'opsmeter: no input: give payload files, directories or globs, or pipe payloads on stdin (stdin is empty)\n  hint: opsmeter validate payloads/   or   cat event.json | opsmeter validate   (--allow-empty makes this exit 0)\n',
    ],
    ['an unknown flag', ['validate', '--strictt', CLEAN_FILE], "error: unknown option '--strictt'\n(Did you mean --strict?)\n(run with --help for usage)\n"],
    ['a directory given as --output', ['validate', '--output', 'fixtures', CLEAN_FILE], null],
    ['an unreadable --catalog', ['validate', '--catalog', 'nope.json', CLEAN_FILE], 'opsmeter: cannot read catalog nope.json: ENOENT\n'],
  ])('2: %s', async (_what, args, stderr) => {
    const r = await runCli(args);
    expectNoCrash(r);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    if (stderr !== null) expect(r.stderr).toBe(stderr);
    else expect(r.stderr).toMatch(/^opsmeter: cannot write fixtures: /);
  });

  // Flag values refused as the command line is parsed: in-process, as the CLI parses it (the
  // unknown flag above proves the same path end to end).
  it.each([
    [
      'a bad --format',
      ['validate', '--format', 'xml', CLEAN_FILE],
      "error: option '-f, --format <format>' argument 'xml' is invalid. Allowed choices are pretty, json, github, sarif, junit.\n(run with --help for usage)\n",
    ],
    ['a bad --max-errors', ['validate', '--max-errors', 'many', CLEAN_FILE], 'opsmeter: --max-errors takes a whole number ≥ 0, got "many"\n'],
    ['a negative --max-errors', ['validate', '--max-errors', '-1', CLEAN_FILE], 'opsmeter: --max-errors takes a whole number ≥ 0, got "-1"\n'],
  ])('2: %s (parsed in-process)', async (_what, args, stderr) => {
    const r = await usageError(args as string[]);
    expect(r.stderr).not.toMatch(/\n\s+at .+[:(]\d+:\d+\)?/);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(stderr);
  });

  it('--allow-empty turns "nothing to check" into 0, still writing a (empty) report', async () => {
    for (const args of [['validate', '--allow-empty'], ['validate', '--allow-empty', 'fixtures/**/*.yaml'], ['validate', '--allow-empty', `${BROKEN}/no-payload-files`]]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(normalise(r.stdout)).toBe('✔ no problems: 0 files, 0 payloads checked against the contract (catalog built-in snapshot, [catalog-date])\n');
    }
    const junit = await runCli(['validate', '--allow-empty', '--format', 'junit']);
    expect(junit.stdout).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="opsmeter validate" tests="0" failures="0" errors="0">\n</testsuites>\n');
  });

  it('--allow-empty does not hide problems in the files that were found', async () => {
    const r = await runCli(['validate', '--allow-empty', `${BROKEN}/fractional-tokens.jsonl`, 'fixtures/**/*.yaml']);
    expect(r.code).toBe(1);
  });
});

describe('flags', () => {
  it('--output FILE: the report goes to the file, the summary to stderr, nothing to stdout', async () => {
    const out = join(tmp, 'report.sarif');
    const r = await runCli(['validate', '--format', 'sarif', '--output', out, '--stdin-filename', 'events.jsonl'], { input: BROKEN_INPUT });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(normalise(r.stderr)).toBe(
      `✖ 5 problems (3 errors, 2 warnings): 1 file, 2 payloads checked against the contract (catalog built-in snapshot, [catalog-date])\n  report written to ${out}\n`,
    );
    const sarif = JSON.parse(readFileSync(out, 'utf8')) as { runs: { results: unknown[] }[] };
    expect(sarif.runs[0]!.results).toHaveLength(5);
  });

  it('--output - means stdout', async () => {
    const r = await runCli(['validate', '--output', '-', CLEAN_FILE]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('✔ no problems');
  });

  it('--max-errors caps the problems printed; the counts stay exact', async () => {
    const r = await runCli(['validate', '--format', 'json', '--max-errors', '2', '--stdin-filename', 'events.jsonl'], { input: BROKEN_INPUT });
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { summary: Record<string, unknown>; problems: unknown[]; byRule: Record<string, number> };
    expect(j.problems).toHaveLength(2);
    expect(j.summary).toMatchObject({ errors: 3, warnings: 2, omitted: 3 });
    expect(Object.values(j.byRule).reduce((a, b) => a + b, 0)).toBe(5);
    const pretty = await runCli(['validate', '--max-errors', '1', '--stdin-filename', 'events.jsonl'], { input: BROKEN_INPUT });
    expect(normalise(pretty.stdout).split('\n').slice(-3)).toEqual([
      '✖ 5 problems (3 errors, 2 warnings): 1 file, 2 payloads checked against the contract (catalog built-in snapshot, [catalog-date])',
      '  4 more problems not shown (raise --max-errors to see them)',
      '',
    ]);
    const none = await runCli(['validate', '--format', 'github', '--max-errors', '0', '--stdin-filename', 'events.jsonl'], { input: BROKEN_INPUT });
    expect(none.code).toBe(1);
    expect(none.stdout).not.toContain('::error');
  });

  it('--bail stops at the first error (later files are not read)', async () => {
    const r = await runCli(['validate', '--bail', '--format', 'json', `${BROKEN}/fractional-tokens.jsonl`, `${BROKEN}/nan-infinity.jsonl`]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { summary: Record<string, unknown>; problems: { rule: string }[]; files: unknown[] };
    expect(j.summary).toMatchObject({ files: 1, errors: 1, bailed: true });
    expect(j.problems.map((p) => p.rule)).toEqual(['payload/count']);
    const pretty = await runCli(['validate', '--bail', `${BROKEN}/fractional-tokens.jsonl`, `${BROKEN}/nan-infinity.jsonl`]);
    expect(pretty.stdout).toContain('  stopped at the first error (--bail)\n');
  });

  it('--bail does not stop on warnings', async () => {
    const r = await runCli(['validate', '--bail', '--format', 'json', '--stdin-filename', 'w.jsonl'], { input: WARNINGS_ONLY + WARNINGS_ONLY.replace('"e3"', '"e4"') });
    const j = JSON.parse(r.stdout) as { summary: Record<string, unknown> };
    expect(j.summary).toMatchObject({ records: 2, warnings: 2, bailed: false });
  });

  it('--catalog FILE replaces the built-in catalog and is named in the summary', async () => {
    const cat = join(tmp, 'catalog.json');
    writeFileSync(cat, JSON.stringify({ date: '2026-02-01', models: [{ provider: 'acme', model: 'acme-large', inputPer1M: 1, outputPer1M: 2 }] }));
    const payload = (provider: string, model: string) =>
      JSON.stringify({ externalRequestId: `e_${model}`, provider, model, promptVersion: 'v1', endpointTag: 't', inputTokens: 1, outputTokens: 2, latencyMs: 3, status: 'success' });
    const input = payload('acme', 'acme-large') + '\n' + payload('openai', 'gpt-4o-mini') + '\n';
    const r = await runCli(['validate', '--catalog', cat, '--format', 'github', '--stdin-filename', 'c.jsonl'], { input });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `::warning file=c.jsonl,line=2,col=49,title=catalog/unknown-provider::provider "openai" is not in the catalog (${cat}, 2026-02-01); the row would be priced at $0 (at /provider) — hint: use a provider id from \`opsmeter catalog\`\n` +
        `⚠ 1 problem (0 errors, 1 warning): 1 file, 2 payloads checked against the contract (catalog ${cat}, 2026-02-01)\n` +
        '  warnings only: exit 0 (use --strict to fail on warnings)\n',
    );
    // OPSMETER_CATALOG does the same.
    const env = await runCli(['validate', '--format', 'github', '--stdin-filename', 'c.jsonl'], { input, env: { OPSMETER_CATALOG: cat } });
    expect(env.stdout).toBe(r.stdout);
  });

  it('--catalog with an unusable file is a usage error naming the problem', async () => {
    const bad = join(tmp, 'bad-catalog.json');
    writeFileSync(bad, '{"models": "all of them"}');
    const r = await runCli(['validate', '--catalog', bad, CLEAN_FILE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`opsmeter: catalog ${bad} is not usable: ${bad}: expected an array of {provider, model} entries or {"models": [...]}\n`);
  });
});

describe('repeats of a rule in pretty', () => {
  /** 50 rows as an import writes them: no promptVersion, endpointTag or latencyMs (three warnings a row). */
  const IMPORTED = Array.from(
    { length: 50 },
    (_, i) => `{"externalRequestId":"ext_${i}","provider":"openai","model":"gpt-4o-mini","inputTokens":${i + 1},"outputTokens":2,"status":"success","dataMode":"real","environment":"prod"}`,
  ).join('\n');
  const RULES = ['payload/missing-prompt-version', 'payload/missing-endpoint-tag', 'payload/missing-latency'];

  it('three of each rule in full, then one line per rule with the exact count and the next locations', async () => {
    const r = await runCli(['validate', '-'], { input: IMPORTED });
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^ {2}\d+:\d+ +warning /gm)).toHaveLength(9);
    for (const rule of RULES) expect(r.stdout).toMatch(new RegExp(`^ {2}${rule.replace('/', '\\/')} +47 more warnings {2}<stdin>:4:1, <stdin>:5:1, <stdin>:6:1, …$`, 'm'));
    expect(r.stdout).toMatch(/⚠ 150 problems \(0 errors, 150 warnings\): 1 file, 50 payloads/);
  });

  it('--max-errors lists every problem up to its cap; json keeps every problem', async () => {
    const listed = await runCli(['validate', '--max-errors', '1000', '-'], { input: IMPORTED });
    expect(listed.stdout.match(/^ {2}\d+:\d+ +warning /gm)).toHaveLength(150);
    expect(listed.stdout).not.toMatch(/more of the same/);
    const json = await runCli(['validate', '--format', 'json', '-'], { input: IMPORTED });
    expect(JSON.parse(json.stdout).problems).toHaveLength(150);
  });
});

describe('stdin', () => {
  it('"-" reads stdin; --stdin-filename names it and its extension picks the format', async () => {
    const obj = '{\n  "provider": "openai",\n  "model": "gpt-4o-mini",\n  "status": "success",\n  "inputTokens": "12",\n  "outputTokens": 3\n}\n';
    const r = await runCli(['validate', '-', '--format', 'github', '--stdin-filename', 'event.json'], { input: obj });
    expect(r.stdout.split('\n')[0]).toBe('::error file=event.json,line=5,col=18,title=payload/type::inputTokens must be a JSON number, got the string "12" (at /inputTokens) — hint: write 12 without quotes');
    // Named .jsonl, the same text is read line by line: line 1 "{" is not a payload.
    const asJsonl = await runCli(['validate', '-', '--format', 'github', '--stdin-filename', 'event.jsonl'], { input: obj });
    expect(asJsonl.stdout.split('\n')[0]).toBe('::error file=event.jsonl,line=1,col=2,title=json/syntax::expected "}" — the object is not closed (truncated?) — hint: fix the JSON at the caret: a truncated line, a missing quote, comma or bracket, or NaN/Infinity, which JSON cannot carry');
  });

  it('stdin without a name is "<stdin>"', async () => {
    const r = await runCli(['validate', '--format', 'github'], { input: WARNINGS_ONLY });
    expect(r.stdout.split('\n')[0]).toMatch(/^::warning file=<stdin>,line=1,col=1,/);
  });

  it('"-" with an empty stdin (a failed `import … |`) is "no input", exit 2; --allow-empty makes it 0', async () => {
    for (const args of [['validate', '-', '--format', 'github'], ['validate', CLEAN_FILE, '-']]) {
      const r = await runCli(args, { input: '' });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'opsmeter: no input: stdin (-) is empty\n  hint: did the command before the pipe fail? Run the pipe under `set -o pipefail` to see its exit code (--allow-empty makes this exit 0)\n',
      );
    }
    const allowed = await runCli(['validate', '-', '--allow-empty', '--format', 'json'], { input: '' });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(JSON.parse(allowed.stdout).summary).toMatchObject({ files: 0, records: 0, errors: 0, warnings: 0 });
    const withFile = await runCli(['validate', '-', CLEAN_FILE, '--allow-empty', '--format', 'json'], { input: '' });
    expect(withFile.code, withFile.stderr).toBe(0);
    expect(JSON.parse(withFile.stdout).files.map((f: { file: string }) => f.file)).toEqual([CLEAN_FILE]);
    // A stdin with blank lines only is an empty file, as a file is: a warning.
    const blank = await runCli(['validate', '-', '--format', 'github'], { input: '\n\n' });
    expect(blank.code).toBe(0);
    expect(blank.stdout.split('\n')[0]).toMatch(/^::warning file=<stdin>,line=1,col=1,title=file\/empty::no payloads/);
  });

  it('the failed import of a real pipe fails the pipe under `set -o pipefail`', async () => {
    const script = `"${process.execPath}" "${BIN}" import does-not-exist.csv --from litellm | "${process.execPath}" "${BIN}" validate -`;
    const pipe = await runProcess('bash', ['-o', 'pipefail', '-c', script]);
    expect(pipe.code).toBe(2);
    expect(pipe.stderr).toMatch(/does-not-exist\.csv/);
    expect(pipe.stderr).toMatch(/no input: stdin \(-\) is empty/);
  });

  it('stdin and files together', async () => {
    const r = await runCli(['validate', '--format', 'json', CLEAN_FILE, '-'], { input: WARNINGS_ONLY });
    const j = JSON.parse(r.stdout) as { files: { file: string }[] };
    expect(j.files.map((f) => f.file)).toEqual([CLEAN_FILE, '<stdin>']);
  });

  describe('sniffing (stdin without a name)', () => {
    const item = (id: string, input: number | string) =>
      `{"externalRequestId":"${id}","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":${JSON.stringify(input)},"outputTokens":2,"latencyMs":3,"status":"success"}`;
    it('a JSON array → JSON: pointers carry the array index', async () => {
      const r = await runCli(['validate', '--format', 'json'], { input: `[\n  ${item('a', 1)},\n  ${item('b', '7')}\n]\n` });
      const j = JSON.parse(r.stdout) as { files: { format: string; records: number }[]; problems: { pointer: string; line: number }[] };
      expect(j.files[0]).toMatchObject({ format: 'json', records: 2 });
      expect(j.problems.map((p) => [p.pointer, p.line])).toEqual([['/1/inputTokens', 3]]);
    });
    it('a single multi-line object → JSON', async () => {
      const pretty = JSON.stringify(JSON.parse(item('c', '7')), null, 2);
      const r = await runCli(['validate', '--format', 'json'], { input: pretty });
      const j = JSON.parse(r.stdout) as { files: { format: string; records: number }[]; problems: { pointer: string; line: number }[] };
      expect(j.files[0]).toMatchObject({ format: 'json', records: 1 });
      expect(j.problems.map((p) => [p.pointer, p.line])).toEqual([['/inputTokens', 7]]);
    });
    it('one object per line → JSONL', async () => {
      const r = await runCli(['validate', '--format', 'json'], { input: `${item('d', 1)}\n\n${item('e', '7')}\n` });
      const j = JSON.parse(r.stdout) as { files: { format: string; records: number; blankLines: number }[]; problems: { pointer: string; line: number }[] };
      expect(j.files[0]).toMatchObject({ format: 'jsonl', records: 2, blankLines: 1 });
      expect(j.problems.map((p) => [p.pointer, p.line])).toEqual([['/inputTokens', 3]]);
    });
  });

  it('a large piped stdin is read completely (the "is stdin empty?" peek loses nothing)', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      lines.push(`{"externalRequestId":"ext_${i}","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":${i},"outputTokens":1,"latencyMs":1,"status":"success"}`);
    }
    const r = await runCli(['validate', '--format', 'json'], { input: lines.join('\n') + '\n' });
    const j = JSON.parse(r.stdout) as { summary: Record<string, unknown> };
    expect(j.summary).toMatchObject({ records: 20_000, errors: 0, warnings: 0 });
  });
});

describe('duplicate externalRequestId across files', () => {
  const base = { provider: 'openai', model: 'gpt-4o-mini', promptVersion: 'v1', endpointTag: 't', inputTokens: 10, outputTokens: 2, latencyMs: 3, status: 'success' };
  it('different content → a warning naming the first location; same content (a retry) → nothing', async () => {
    const dir = join(tmp, 'dupes');
    mkdirSync(dir);
    // b.jsonl repeats a.json's first payload with other formatting and key order (same content),
    // and its second payload reuses ext_2 with different token counts.
    writeFileSync(join(dir, 'a.json'), JSON.stringify([{ externalRequestId: 'ext_1', ...base }, { externalRequestId: 'ext_2', ...base }], null, 2));
    const sameReordered = JSON.stringify(Object.fromEntries(Object.entries({ externalRequestId: 'ext_1', ...base }).reverse()));
    writeFileSync(join(dir, 'b.jsonl'), `${sameReordered}\n${JSON.stringify({ externalRequestId: 'ext_2', ...base, outputTokens: 3 })}\n`);
    const r = await runCli(['validate', '--format', 'github', join(dir, 'a.json'), join(dir, 'b.jsonl')]);
    expect(r.code).toBe(0);
    const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(annotations).toEqual([
      `::warning file=${join(dir, 'b.jsonl').replace(/:/g, '%3A').replace(/,/g, '%2C')},line=2,col=22,title=payload/duplicate-external-request-id::externalRequestId "ext_2" was already used at ${join(dir, 'a.json')}:13 with different content; the server counts only one (at /externalRequestId) — hint: give each LLM call its own id; reuse an id only for a retry of the same call`,
    ]);
  });
});

describe('the official payloads', () => {
  it('pass with 0 errors and 0 warnings (fixture copies)', async () => {
    const r = await runCli(['validate', '--strict', '--format', 'json', `${VALID}/official`]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { summary: Record<string, unknown> }).summary).toMatchObject({ files: 3, records: 3, errors: 0, warnings: 0 });
  });
  it.skipIf(!HAS_OFFICIAL_PAYLOADS_REF)('pass straight from the shared reference (../shared/reference/official-payloads)', async () => {
    const r = await runCli(['validate', '--strict', OFFICIAL_PAYLOADS_REF]);
    expect(r.code).toBe(0);
  });
});

describe('no stack trace for any bad input', () => {
  it.each(readdirSync(join(ROOT, BROKEN)).sort())('broken/%s', async (name) => {
    const r = await runCli(['validate', `${BROKEN}/${name}`]);
    expectNoCrash(r);
    expect([0, 1, 2]).toContain(r.code);
  });

  it('every rules/*/bad.* fixture, in one run', async () => {
    const r = await runCli(['validate', '--format', 'json', 'fixtures/payloads/rules/**/bad.*']);
    expectNoCrash(r);
    expect(r.code).toBe(1);
  });

  it('generated: 100k-deep nesting (.json and JSONL), a line over 10 MB, binary on stdin', async () => {
    const n = 100_000;
    const deepObj = '{"provider":"openai","model":"gpt-4o-mini","status":"success","inputTokens":1,"outputTokens":1,"metadata":' + '{"a":'.repeat(n) + '1' + '}'.repeat(n) + '}';
    writeFileSync(join(tmp, 'deep.json'), deepObj);
    writeFileSync(join(tmp, 'deep.jsonl'), deepObj + '\n' + '['.repeat(n) + '\n');
    writeFileSync(join(tmp, 'deep-array.json'), '['.repeat(n) + ']'.repeat(n));
    writeFileSync(join(tmp, 'long.jsonl'), `{"pad":"${'x'.repeat(MAX_LINE_BYTES)}"}\n`);
    for (const f of ['deep.json', 'deep.jsonl', 'deep-array.json', 'long.jsonl']) {
      const r = await runCli(['validate', '--format', 'github', join(tmp, f)]);
      expectNoCrash(r);
      expect(r.code, f).toBe(1);
    }
    const bin = await runCli(['validate'], { input: Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x0a, 0x00, 0x01]) });
    expectNoCrash(bin);
    expect(bin.code).toBe(1);
    expect(bin.stdout).toContain('json/encoding');
  });
});

describe('SARIF is structurally valid 2.1.0', () => {
  it('version, rules, results with regions that point back at the rules', async () => {
    const r = await runCli(['validate', '--format', 'sarif', '--stdin-filename', 'dir\\events.jsonl'], { input: BROKEN_INPUT });
    type Sarif = {
      $schema: string;
      version: string;
      runs: {
        tool: { driver: { name: string; version: string; rules: { id: string; shortDescription: { text: string }; defaultConfiguration: { level: string } }[] } };
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          message: { text: string };
          locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } }; logicalLocations?: { fullyQualifiedName: string }[] }[];
        }[];
      }[];
    };
    const s = JSON.parse(r.stdout) as Sarif;
    expect(s.version).toBe('2.1.0');
    expect(s.$schema).toMatch(/sarif-2\.1\.0/);
    expect(s.runs).toHaveLength(1);
    const run = s.runs[0]!;
    expect(run.tool.driver).toMatchObject({ name: 'opsmeter', version: VERSION });
    expect(run.tool.driver.rules.map((x) => x.id)).toEqual(ALL_RULES.map((x) => x.id));
    for (const rule of run.tool.driver.rules) {
      expect(['error', 'warning', 'note']).toContain(rule.defaultConfiguration.level);
      expect(rule.shortDescription.text.length).toBeGreaterThan(0);
    }
    expect(run.results).toHaveLength(5);
    for (const res of run.results) {
      expect(run.tool.driver.rules[res.ruleIndex]!.id).toBe(res.ruleId);
      expect(['error', 'warning']).toContain(res.level);
      expect(res.message.text.length).toBeGreaterThan(0);
      const loc = res.locations[0]!.physicalLocation;
      expect(loc.artifactLocation.uri).toBe('dir/events.jsonl'); // URIs use forward slashes
      expect(loc.region.startLine).toBeGreaterThanOrEqual(1);
      expect(loc.region.startColumn).toBeGreaterThanOrEqual(1);
    }
    expect(run.results.map((x) => [x.ruleId, x.level, x.locations[0]!.physicalLocation.region.startLine, x.locations[0]!.physicalLocation.region.startColumn])).toEqual([
      ['payload/type', 'error', 1, 118],
      ['payload/enum', 'error', 1, 187],
      ['catalog/unknown-model', 'warning', 1, 55],
      ['json/syntax', 'error', 2, 21],
      ['payload/missing-latency', 'warning', 3, 1],
    ]);
    expect(run.results[0]!.locations[0]!.logicalLocations).toEqual([{ fullyQualifiedName: '/inputTokens', kind: 'member' }]);
  });

  it('--strict reports warnings at level error', async () => {
    const r = await runCli(['validate', '--strict', '--format', 'sarif'], { input: WARNINGS_ONLY });
    const s = JSON.parse(r.stdout) as { runs: { results: { level: string }[] }[] };
    expect(s.runs[0]!.results.map((x) => x.level)).toEqual(['error']);
  });
});

describe('JUnit is well-formed XML', () => {
  /** A small well-formedness check (no new dependency): tags balance, attributes are quoted, entities are known. */
  function checkXml(xml: string): { name: string; attrs: Record<string, string> }[] {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    const body = xml.slice(xml.indexOf('?>') + 2);
    const elements: { name: string; attrs: Record<string, string> }[] = [];
    const stack: string[] = [];
    const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
    let m: RegExpExecArray | null;
    let roots = 0;
    while ((m = token.exec(body))) {
      if (m[6]) throw new Error(`stray "<" at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
      const text = m[5] ?? m[3] ?? '';
      for (const e of text.matchAll(/&[^;\s]*;?/g)) expect(['&amp;', '&lt;', '&gt;', '&quot;', '&apos;']).toContain(e[0]);
      if (m[5] !== undefined) {
        expect(m[5].includes('>') && stack.length === 0 && m[5].trim() !== '').toBe(false);
        if (stack.length === 0) expect(m[5].trim()).toBe('');
        continue;
      }
      const [, close, name, attrText, selfClose] = m;
      if (close) {
        expect(stack.pop()).toBe(name);
        continue;
      }
      if (stack.length === 0) roots++;
      const attrs: Record<string, string> = {};
      for (const a of attrText!.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
        expect(attrs[a[1]!]).toBeUndefined();
        attrs[a[1]!] = a[2]!;
      }
      elements.push({ name: name!, attrs });
      if (!selfClose) stack.push(name!);
    }
    expect(stack).toEqual([]);
    expect(roots).toBe(1);
    return elements;
  }

  it('failures == errors, tests == problems, names escaped', async () => {
    const r = await runCli(['validate', '--format', 'junit', '--stdin-filename', 'a<b>&"c".jsonl', CLEAN_FILE, '-'], { input: BROKEN_INPUT });
    expect(r.code).toBe(1);
    const els = checkXml(r.stdout);
    const root = els[0]!;
    expect(root.name).toBe('testsuites');
    expect(root.attrs).toMatchObject({ tests: '6', failures: '3', errors: '0' });
    const suites = els.filter((e) => e.name === 'testsuite');
    expect(suites.map((s) => [s.attrs.name, s.attrs.tests, s.attrs.failures])).toEqual([
      [CLEAN_FILE, '1', '0'],
      ['a&lt;b&gt;&amp;&quot;c&quot;.jsonl', '5', '3'],
    ]);
    expect(els.filter((e) => e.name === 'failure')).toHaveLength(3);
  });

  it('--strict: warnings are failures too', async () => {
    const r = await runCli(['validate', '--strict', '--format', 'junit'], { input: WARNINGS_ONLY });
    expect(checkXml(r.stdout)[0]!.attrs).toMatchObject({ tests: '1', failures: '1' });
  });

  it('control characters in messages do not break the XML', async () => {
    const r = await runCli(['validate', '--format', 'junit'], { input: '{"\\u0001key\\u001f":1}\n' });
    checkXml(r.stdout);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
  });
});

describe('GitHub annotations are escaped', () => {
  it('%, colon, comma and newline in file names and messages', async () => {
    const input =
      '{"externalRequestId":"e1","provider":"openai","model":"100%-gpt","promptVersion":"v1","endpointTag":"t","inputTokens":1,"outputTokens":2,"latencyMs":5,"status":"success","x\\ny":1}\n';
    const r = await runCli(['validate', '--format', 'github', '--stdin-filename', 'dir,a/50%:b\nc.jsonl'], { input });
    expect(r.code).toBe(0);
    expect(normalise(r.stdout)).toMatchInlineSnapshot(`
      "::warning file=dir%2Ca/50%25%3Ab%0Ac.jsonl,line=1,col=171,title=payload/unknown-field::unknown field "x%0Ay": the API does not document it (at /x%0Ay) — hint: remove it, or move it into metadata
      ::warning file=dir%2Ca/50%25%3Ab%0Ac.jsonl,line=1,col=55,title=catalog/unknown-model::model "100%25-gpt" is not in the catalog for provider "openai" (built-in snapshot, [catalog-date]); the row would be priced at $0 (at /model) — hint: use a model id from \`opsmeter catalog --provider <provider>\`
      ⚠ 2 problems (0 errors, 2 warnings): 1 file, 1 payload checked against the contract (catalog built-in snapshot, [catalog-date])
        warnings only: exit 0 (use --strict to fail on warnings)
      "
    `);
    // Every annotation is exactly one line.
    for (const line of r.stdout.split('\n').filter((l) => l.startsWith('::'))) expect(line).toMatch(/^::(error|warning) file=[^\n]+::[^\n]+$/);
  });
});
