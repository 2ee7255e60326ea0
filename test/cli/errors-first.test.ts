/**
 * Errors are never hidden by warnings: one error after thousands of warnings fails the run
 * and is shown in every format, with the default cap (pretty, github) and an explicit one;
 * github annotates errors first and its summary counts everything; json, sarif and junit
 * keep the full list unless --max-errors is given.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-errors-first-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const WARNING_LINES = 3000;
/** Each line: one warning (no latencyMs). */
const warningLine = (i: number) =>
  `{"externalRequestId":"w${i}","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":1,"outputTokens":2,"status":"success"}`;
/** The last line: inputTokens as a string (payload/type), plus the same warning. */
const ERROR_LINE = '{"externalRequestId":"bad","provider":"openai","model":"gpt-4o-mini","promptVersion":"v1","endpointTag":"t","inputTokens":"12","outputTokens":2,"status":"success"}';
const FILE = join(tmp, 'events.jsonl');
writeFileSync(FILE, Array.from({ length: WARNING_LINES }, (_, i) => warningLine(i)).join('\n') + '\n' + ERROR_LINE + '\n');
const ERROR_AT = WARNING_LINES + 1;
const TOTAL = WARNING_LINES + 2;

describe('one error among thousands of warnings', () => {
  it('pretty (default cap 1000, repeats grouped): the error is shown, and the warnings past 3 are counted exactly on one line', async () => {
    const r = await runCli(['validate', FILE]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`\\n  ${ERROR_AT}:\\d+ +error +inputTokens must be a JSON number`));
    expect(r.stdout).toMatch(/✖ 3,002 problems \(1 error, 3,001 warnings\)/);
    expect(r.stdout).toContain(`  payload/missing-latency  2,998 more warnings  ${FILE}:4:1, ${FILE}:5:1, ${FILE}:6:1, …\n`);
    expect(r.stdout.match(/ warning +no latencyMs/g)).toHaveLength(3);
  });

  it('pretty with an explicit cap (--max-errors 1000): every kept problem listed, the error among them, and the summary says every error is', async () => {
    const r = await runCli(['validate', '--max-errors', '1000', FILE]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`\\n  ${ERROR_AT}:\\d+ +error +inputTokens must be a JSON number`));
    expect(r.stdout).toMatch(/✖ 3,002 problems \(1 error, 3,001 warnings\)/);
    expect(r.stdout).toMatch(/2,002 more warnings not shown; every error is shown \(raise --max-errors to see them\)/);
    expect(r.stdout.match(/ warning +no latencyMs/g)).toHaveLength(999);
  });

  it('github: the error is the first annotation; the summary counts everything', async () => {
    const r = await runCli(['validate', '--format', 'github', FILE]);
    expect(r.code).toBe(1);
    const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(annotations).toHaveLength(1000);
    expect(annotations[0]).toMatch(new RegExp(`^::error file=.*events\\.jsonl,line=${ERROR_AT},col=\\d+,title=payload/type::`));
    expect(annotations.slice(1).every((l) => l.startsWith('::warning '))).toBe(true);
    expect(r.stdout).toMatch(/✖ 3,002 problems \(1 error, 3,001 warnings\)/);
  });

  it('--max-errors 5 in every format: the error is kept, warnings fill the rest', async () => {
    for (const format of ['pretty', 'json', 'github', 'sarif', 'junit']) {
      const r = await runCli(['validate', '--format', format, '--max-errors', '5', FILE]);
      expect(r.code, format).toBe(1);
      expect(r.stdout, format).toMatch(/inputTokens must be a JSON number/);
    }
    const j = JSON.parse((await runCli(['validate', '--format', 'json', '--max-errors', '5', FILE])).stdout);
    expect(j.problems).toHaveLength(5);
    expect(j.problems.filter((p: { severity: string }) => p.severity === 'error')).toEqual([
      expect.objectContaining({ line: ERROR_AT, rule: 'payload/type', pointer: '/inputTokens' }),
    ]);
    expect(j.summary).toMatchObject({ errors: 1, warnings: TOTAL - 1, omitted: TOTAL - 5 });
    // Kept problems stay in file order: four early warnings, then the error.
    expect(j.problems.map((p: { line: number }) => p.line)).toEqual([1, 2, 3, 4, ERROR_AT]);
  });

  it('json, sarif and junit keep the full list without --max-errors', async () => {
    const j = JSON.parse((await runCli(['validate', '--format', 'json', FILE])).stdout);
    expect(j.problems).toHaveLength(TOTAL);
    expect(j.summary.omitted).toBe(0);
    const sarif = JSON.parse((await runCli(['validate', '--format', 'sarif', FILE])).stdout);
    const results = sarif.runs[0].results;
    expect(results).toHaveLength(TOTAL);
    expect(results.filter((x: { level: string }) => x.level === 'error')).toHaveLength(1);
    const junit = await runCli(['validate', '--format', 'junit', FILE]);
    expect(junit.code).toBe(1);
    expect(junit.stdout).toMatch(new RegExp(`tests="${TOTAL}" failures="1"`));
    expect(junit.stdout).toMatch(/<failure type="error" message="inputTokens must be a JSON number/);
  });

  it('more errors than the cap: only errors are printed, and the summary says errors were left out', async () => {
    const file = join(tmp, 'errors.jsonl');
    writeFileSync(file, [warningLine(1), ERROR_LINE, ERROR_LINE.replace('"bad"', '"bad2"'), ERROR_LINE.replace('"bad"', '"bad3"')].join('\n') + '\n');
    const r = await runCli(['validate', '--max-errors', '2', file]);
    expect(r.code).toBe(1);
    expect(r.stdout.match(/ error +inputTokens/g)).toHaveLength(2);
    expect(r.stdout).not.toMatch(/ warning /);
    expect(r.stdout).toMatch(/5 more problems not shown \(raise --max-errors/);
  });
});
