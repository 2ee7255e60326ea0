/**
 * Reports written from problems kept past the in-memory bound (docs/validate.md, "Memory"):
 * with the bound forced down to one problem per list (and the duplicate index to two ids),
 * every format must print byte for byte what it prints with everything in memory — caps,
 * errors first, --quiet, --strict, late duplicate repeats and files that share a name included.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { cleanPayload } from '../helpers/payloads.js';

let dir: string;
let mixed: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-report-spill-'));
  // Warnings on every payload, an error in the middle, duplicate ids with other content
  // (some only found by the merge of a spilled index), in JSONL and a pretty array.
  const line = (i: number) =>
    JSON.stringify(
      cleanPayload({
        externalRequestId: `ext_${i % 40}`,
        latencyMs: i < 40 ? 820 : 900 + i,
        promptVersion: i % 3 === 0 ? undefined : 'v1',
        inputTokens: i === 57 ? 'x' : 120,
      }),
    );
  mixed = join(dir, 'mixed.jsonl');
  writeFileSync(mixed, Array.from({ length: 90 }, (_, i) => line(i)).join('\n') + '\n');
  writeFileSync(join(dir, 'more.json'), JSON.stringify([0, 1, 2].map((i) => JSON.parse(line(i + 5))), null, 2));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPILL = { OPSMETER_PROBLEMS_IN_MEMORY: '1', OPSMETER_DUPLICATE_INDEX_ENTRIES: '2' };

describe('reports from spilled problems are the reports from memory', () => {
  const inputs = () => [mixed, join(dir, 'more.json'), join(FIXTURES, 'payloads', 'broken')];

  it.each(['json', 'sarif', 'junit', 'github', 'pretty'])('%s, uncapped and capped', async (format) => {
    for (const flags of [[], ['--max-errors', '7'], ['--quiet', '--strict']]) {
      const args = ['validate', '--format', format, ...flags, ...inputs()];
      const tmp = mkdtempSync(join(dir, 'tmp-'));
      const [memory, spilled] = await Promise.all([runCli(args), runCli(args, { env: { ...SPILL, TMPDIR: tmp } })]);
      expect(memory.code, memory.stderr).toBe(1);
      expect(spilled.code).toBe(memory.code);
      expect(spilled.stdout, `${format} ${flags.join(' ')}`).toBe(memory.stdout);
      expect(readdirSync(tmp)).toEqual([]); // no temp file left behind
    }
  });

  it.each(['json', 'sarif', 'junit', 'github', 'pretty'])('%s from stdin (its records copied past the spill), capped and uncapped', async (format) => {
    const input = readFileSync(mixed);
    for (const flags of [[], ['--max-errors', '7']]) {
      const args = ['validate', '--format', format, ...flags, join(dir, 'more.json'), '-'];
      const tmp = mkdtempSync(join(dir, 'tmp-'));
      const [memory, spilled] = await Promise.all([runCli(args, { input }), runCli(args, { input, env: { ...SPILL, TMPDIR: tmp } })]);
      expect(memory.code, memory.stderr).toBe(1);
      expect(spilled.code).toBe(memory.code);
      expect(spilled.stdout, `${format} ${flags.join(' ')}`).toBe(memory.stdout);
      expect(readdirSync(tmp)).toEqual([]);
    }
  });

  it('--output: the file holds the same report', async () => {
    const a = join(dir, 'a.sarif');
    const b = join(dir, 'b.sarif');
    await runCli(['validate', '--format', 'sarif', '-o', a, ...inputs()]);
    const r = await runCli(['validate', '--format', 'sarif', '-o', b, ...inputs()], { env: SPILL });
    expect(r.stderr).toContain(`report written to ${b}`);
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
  });

  it('a report that cannot be written is exit 2, and its spilled problems leave no temp file', async () => {
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    const r = await runCli(['validate', '--format', 'json', '-o', join(dir, 'no', 'such', 'dir', 'r.json'), ...inputs()], { env: { ...SPILL, TMPDIR: tmp } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot write .*r\.json/);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a temp folder that cannot be written is a one-line error, exit 2', async () => {
    const r = await runCli(['validate', '--format', 'json', ...inputs()], { env: { ...SPILL, TMPDIR: join(dir, 'missing') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot write a temp file in ${join(dir, 'missing')}: ENOENT`);
    expect(r.stderr).toContain('TMPDIR');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('junit groups two files that share a name into one suite, spilled or not', async () => {
    const input = readFileSync(mixed, 'utf8');
    const args = ['validate', '--format', 'junit', mixed, '-', '--stdin-filename', mixed];
    const [memory, spilled] = await Promise.all([runCli(args, { input }), runCli(args, { input, env: SPILL })]);
    expect(spilled.stdout).toBe(memory.stdout);
    expect(memory.stdout.match(/<testsuite /g)).toHaveLength(1);
  });
});
