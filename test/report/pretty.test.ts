/**
 * pretty's grouped repeats: past `groupAfter` problems of one rule, the rest are counted on
 * one line per rule with their first locations. Every problem found is printed or counted
 * there, exactly, under a cap too; warnings --quiet counted without listing are left to the
 * summary; without groupAfter (an explicit --max-errors) every kept problem is listed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderPretty } from '../../src/report/pretty.js';
import type { RenderContext } from '../../src/report/types.js';
import { PLAIN } from '../../src/terminal.js';
import type { ValidateOptions, ValidateResult } from '../../src/validate/validate.js';
import { cleanPayload, validateFiles } from '../helpers/payloads.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-pretty-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ctx: RenderContext = { paint: PLAIN, strict: false, version: '0.1.0', catalog: 'built-in snapshot', groupAfter: 3 };

/** `n` payloads without a promptVersion (one warning each); those in `errors` also have inputTokens as a string. */
function file(name: string, n: number, errors: readonly number[] = []): string {
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify(cleanPayload({ externalRequestId: `${name}-${i}`, promptVersion: undefined, totalTokens: undefined, inputTokens: errors.includes(i) ? '1' : 1 })));
  const path = join(tmp, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

async function render(paths: string[], opts: Partial<ValidateOptions> = {}, over: Partial<RenderContext> = {}): Promise<{ text: string; result: ValidateResult }> {
  const result = await validateFiles(paths, opts);
  return { text: renderPretty(result, { ...ctx, ...over }), result };
}

/** The problems printed in full: their header lines ("  4:1      warning  …"). */
const blocks = (text: string) => text.split('\n').filter((l) => /^ {2}\d+:\d+ +(error|warning) /.test(l));
/** The grouped lines: rule → "N more …  locations". */
function groups(text: string): Record<string, string> {
  const start = text.indexOf('more of the same rule');
  if (start === -1) return {};
  const rows = text.slice(start).split('\n').slice(1);
  const out: Record<string, string> = {};
  for (const row of rows) {
    const m = /^ {2}(\S+) +(.*)$/.exec(row);
    if (!m) break;
    out[m[1]!] = m[2]!;
  }
  return out;
}
const countOf = (line: string | undefined) => Number((line ?? '0').replace(/,/g, '').split(' ')[0]);

describe('pretty groups the repeats of a rule', () => {
  it('three in full, the rest on one line with the next locations; errors too', async () => {
    const f = file('a.jsonl', 10, [1, 2, 3, 4, 5]);
    const { text, result } = await render([f]);
    expect(blocks(text).filter((l) => l.includes('payload/missing-prompt-version'))).toHaveLength(3);
    expect(blocks(text).filter((l) => l.includes('payload/type'))).toHaveLength(3);
    expect(groups(text)).toEqual({
      'payload/missing-prompt-version': `7 more warnings  ${f}:4:1, ${f}:5:1, ${f}:6:1, …`,
      'payload/type': expect.stringMatching(new RegExp(`^2 more errors  ${f}:5:\\d+, ${f}:6:\\d+$`)),
    });
    expect(text).toMatch(/✖ 15 problems \(5 errors, 10 warnings\)/);
    expect(text).toContain("a rule's problems past 3 are counted above, not listed (--max-errors N lists every problem, up to N)");
    expect(result.omitted).toBe(0);
  });

  it('across files: a rule is counted over the whole run, and a file whose problems are all counted gets no heading', async () => {
    const [a, b] = [file('one.jsonl', 2), file('two.jsonl', 2)];
    const { text } = await render([a, b]);
    expect(blocks(text)).toHaveLength(3);
    expect(text).toContain(`${a}\n`);
    expect(groups(text)).toEqual({ 'payload/missing-prompt-version': `1 more warning  ${b}:2:1` });
  });

  it('under a cap the counts stay exact: every problem found is printed or counted', async () => {
    const f = file('big.jsonl', 500, [250]);
    const { text, result } = await render([f], { maxProblems: 20 });
    expect(result.omitted).toBeGreaterThan(0);
    const printed = blocks(text).length;
    const counted = Object.values(groups(text)).reduce((sum, line) => sum + countOf(line), 0);
    expect(printed + counted).toBe(result.counts.errors + result.counts.warnings);
    expect(countOf(groups(text)['payload/missing-prompt-version'])).toBe(497);
    expect(text).not.toMatch(/not shown/);
  });

  it('a rule raised to error is counted as errors', async () => {
    const f = file('raised.jsonl', 5);
    const { RulePolicy } = await import('../../src/contract/rule-settings.js');
    const rules = new RulePolicy({ 'payload/missing-prompt-version': 'error' });
    const { text } = await render([f], { rules }, { ruleSettings: rules.overrides });
    expect(groups(text)['payload/missing-prompt-version']).toMatch(/^2 more errors /);
  });

  it('warnings that --quiet counted without listing are the summary\'s, not a group line', async () => {
    const f = file('quiet.jsonl', 6, [0, 1, 2, 3]);
    const { text } = await render([f], { quiet: true, countQuietWarnings: true });
    expect(Object.keys(groups(text))).toEqual(['payload/type']);
    expect(text).toMatch(/6 warnings not listed \(--quiet\)/);
  });

  it('without groupAfter (an explicit --max-errors) every kept problem is listed, and the cap\'s line is back', async () => {
    const f = file('list.jsonl', 30);
    const { text } = await render([f], { maxProblems: 25 }, { groupAfter: undefined });
    expect(blocks(text)).toHaveLength(25);
    expect(groups(text)).toEqual({});
    expect(text).toMatch(/5 more warnings not shown \(raise --max-errors to see them\)/);
  });

  it('nothing to group: no group section and no note', async () => {
    const { text } = await render([file('few.jsonl', 3)]);
    expect(blocks(text)).toHaveLength(3);
    expect(text).not.toMatch(/more of the same|counted above/);
  });
});
