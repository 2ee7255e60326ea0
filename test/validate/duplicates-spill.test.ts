/**
 * The duplicate-id index past its memory bound (docs/validate.md, "Memory"): with a tiny
 * bound forced, the table spills sorted runs to a temp file and repeats across runs are
 * found by the merge at the end. The report must be the one an unbounded index gives:
 * same problems, same first occurrence, same place in the output.
 */
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RulePolicy } from '../../src/contract/rule-settings.js';
import { DuplicateIndex } from '../../src/validate/duplicates.js';
import { SortedRuns, TempFile, sortedOrder } from '../../src/validate/spill.js';
import { BIN, runCli } from '../helpers/cli.js';
import { cleanPayload, validateFiles } from '../helpers/payloads.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-dup-spill-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(name: string, content: string): string {
  const path = join(dir, `${n++}-${name}`);
  writeFileSync(path, content);
  return path;
}

/** A payload with id `ext_<id>` whose content is variant `v` (another latency), plus an optional lint problem. */
const payload = (id: number, v: number, extra: Record<string, unknown> = {}) => cleanPayload({ externalRequestId: `ext_${id}`, latencyMs: 100 + v, ...extra });
const jsonl = (items: object[]) => items.map((p) => JSON.stringify(p)).join('\n') + '\n';
const prettyArray = (items: object[]) => JSON.stringify(items, null, 2) + '\n';
const oneLineArray = (items: object[]) => JSON.stringify(items);

describe('DuplicateIndex past its bound', () => {
  it('finds repeats across sorted runs at the end, each against its first occurrence, in arrival order', () => {
    const d = new DuplicateIndex(0, { maxEntries: 2 });
    expect(d.add('a', 1, 0, 1, 0)).toBeUndefined();
    // Still in the table: a repeat is found on the spot.
    expect(d.add('a', 2, 0, 2, 1)).toEqual({ fileIndex: 0, line: 1, sameContent: false });
    expect(d.add('b', 1, 0, 3, 2)).toBeUndefined(); // the table is full: it spills
    expect(d.spilled).toBe(true);
    expect(d.add('a', 1, 1, 1, 3)).toBeUndefined(); // same content as the first: a retry, not reported
    expect(d.add('a', 3, 1, 2, 4)).toBeUndefined(); // different: reported at the end
    expect(d.add('c', 1, 1, 3, 5)).toBeUndefined();
    expect(d.add('c', 2, 1, 4, 6)).toBeUndefined(); // repeat inside a later run
    expect(d.add('b', 1, 2, 5, 7)).toBeUndefined();
    expect(d.add('b', 9, 2, 6, 8)).toBeUndefined();
    expect([...d.deferred()]).toEqual([
      { ordinal: 4, fileIndex: 1, firstFileIndex: 0, firstLine: 1 },
      { ordinal: 6, fileIndex: 1, firstFileIndex: 1, firstLine: 3 },
      { ordinal: 8, fileIndex: 2, firstFileIndex: 0, firstLine: 3 },
    ]);
    d.close();
  });

  it('many runs and many repeats (more than one run of repeats) come out complete and in order', () => {
    const d = new DuplicateIndex(0, { maxEntries: 1000 });
    const ids = 30_000;
    for (let i = 0; i < ids; i++) d.add(`id-${i}`, 7, 0, i + 1, i);
    // Every id again with other content, in reverse: 30,000 repeats found only by the merge.
    for (let i = ids - 1, o = ids; i >= 0; i--, o++) d.add(`id-${i}`, 8, 1, o + 1, o);
    const got = [...d.deferred()];
    expect(got).toHaveLength(ids);
    expect(got.every((r, k) => r.ordinal === ids + k && r.fileIndex === 1 && r.firstFileIndex === 0 && r.firstLine === ids - k)).toBe(true);
  });
});

describe('sorted runs', () => {
  const word = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0xfffe, max: 0x10001 }), fc.integer({ min: 0, max: 0xffffffff }));
  const records = fc.array(fc.tuple(word, word, word, fc.nat()), { maxLength: 300 });

  it('sortedOrder puts records in key order, records with equal keys in arrival order', () => {
    fc.assert(
      fc.property(records, (rs) => {
        const data = Uint32Array.from(rs.flat());
        const expected = rs.map((_, n) => n).sort((x, y) => rs[x]![0] - rs[y]![0] || rs[x]![1] - rs[y]![1] || rs[x]![2] - rs[y]![2] || x - y);
        expect([...sortedOrder(data, rs.length, 4, 3)]).toEqual(expected);
      }),
    );
  });

  it('the merge of several runs gives every record in key order, ties from the earlier run first', () => {
    fc.assert(
      fc.property(fc.array(records, { maxLength: 5 }), (runs) => {
        const sr = new SortedRuns('test', 4, 2);
        const all: number[][] = [];
        runs.forEach((rs, run) => {
          sr.addRun(Uint32Array.from(rs.flat()), rs.length);
          for (const r of rs) all.push([r[0], r[1], run]);
        });
        const got: number[][] = [];
        for (const m = sr.merge(); m.next(); ) got.push([m.words[m.at]!, m.words[m.at + 1]!]);
        sr.close();
        expect(got).toEqual(all.sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!).map((r) => r.slice(0, 2)));
      }),
      { numRuns: 50 },
    );
  });
});

describe('TempFile', () => {
  it('is gone from the temp folder as soon as it is made, and reads back what was written', () => {
    const tmp = mkdtempSync(join(dir, 'tf-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const f = new TempFile('test');
      expect(readdirSync(tmp)).toEqual([]); // nothing to remove on an error, a crash or Ctrl-C
      expect(f.append(Buffer.from('hello '))).toBe(0);
      expect(f.append(Buffer.from('world'))).toBe(6);
      const back = Buffer.alloc(11);
      expect(f.read(back, 0)).toBe(11);
      expect(back.toString()).toBe('hello world');
      f.close();
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});

describe('validate with a spilled duplicate index reports what an unbounded one does', () => {
  const scenario = () => {
    const a = file(
      'a.jsonl',
      jsonl([
        payload(1, 0),
        payload(2, 0),
        payload(1, 1), // different content, in the table: found on the spot
        payload(3, 0, { inputTokens: '12' }), // an error of its own
        payload(4, 0, { promptVersion: undefined }), // a warning
        payload(2, 0), // a retry (same content)
        payload(5, 0),
        payload(6, 0),
      ]),
    );
    const b = file(
      'b.json',
      prettyArray([
        payload(1, 2), // across files and runs, different content: first is a.jsonl:1
        payload(7, 0, { promptVersion: undefined }),
        payload(6, 0), // across files, same content
        payload(7, 1), // inside a later run
        payload(5, 3, { inputTokens: '9' }),
      ]),
    );
    const c = file('c.json', oneLineArray([payload(8, 0), payload(8, 1), payload(3, 5), payload(9, 0)]));
    return [a, b, c];
  };

  it('the same problems, first occurrences and order, with the table bounded at 2 ids', async () => {
    const paths = scenario();
    const unbounded = await validateFiles(paths);
    const spilled = await validateFiles(paths, { duplicateIndexEntries: 2 });
    expect(spilled).toEqual(unbounded);
    expect(Object.keys(spilled.byRule)).toEqual(Object.keys(unbounded.byRule)); // the JSON report's key order
    const dups = unbounded.problems.filter((p) => p.rule === 'payload/duplicate-external-request-id').map((p) => `${p.file.split('-').pop()}:${p.line}:${p.column} ${p.message.split(' with')[0]}`);
    expect(dups).toEqual([
      'a.jsonl:3:22 externalRequestId "ext_1" was already used at line 1',
      `b.json:3:26 externalRequestId "ext_1" was already used at ${paths[0]}:1`,
      'b.json:50:26 externalRequestId "ext_7" was already used at line 18',
      `b.json:66:26 externalRequestId "ext_5" was already used at ${paths[0]}:7`,
      'c.json:1:319 externalRequestId "ext_8" was already used at line 1',
      `c.json:1:615 externalRequestId "ext_3" was already used at ${paths[0]}:4`,
    ]);
  });

  it('caps, --quiet, --bail and rule settings agree too', async () => {
    const paths = scenario();
    // The rule is a warning by default; as an error it takes precedence under a cap.
    const asError = new RulePolicy({ 'payload/duplicate-external-request-id': 'error' });
    for (const opts of [{ maxProblems: 3 }, { maxProblems: 1 }, { maxProblems: 0 }, { quiet: true }, { rules: asError }, { rules: asError, maxProblems: 4 }, { rules: asError, quiet: true, maxProblems: 2 }]) {
      expect(await validateFiles(paths, { ...opts, duplicateIndexEntries: 1 }), JSON.stringify(opts)).toEqual(await validateFiles(paths, opts));
    }
    // --bail (the rule as an error): the first error ends the run, found on the way or at the end.
    const late = [file('x.jsonl', jsonl([payload(1, 0), payload(2, 0), payload(3, 0)])), file('y.jsonl', jsonl([payload(4, 0), payload(1, 1), payload(2, 1)]))];
    const r = await validateFiles(late, { bail: true, rules: asError, duplicateIndexEntries: 2 });
    expect(r.bailed).toBe(true);
    expect(r.problems.map((p) => [p.line, p.message.split(' with')[0]])).toEqual([[2, `externalRequestId "ext_1" was already used at ${late[0]}:1`]]);
  });

  it('--bail with a spilled index (docs/validate.md, "--bail and a spilled index"): a late repeat stops the run only at the end, and a later error found on the way stops it first', async () => {
    const asError = new RulePolicy({ 'payload/duplicate-external-request-id': 'error' });
    const x = file('x.jsonl', jsonl([payload(1, 0), payload(2, 0), payload(3, 0)]));
    const y = file('y.jsonl', jsonl([payload(4, 0), payload(1, 1), payload(5, 0)]));
    const z = file('z.jsonl', jsonl([payload(6, 0, { inputTokens: '7' })]));
    const at = (r: Awaited<ReturnType<typeof validateFiles>>) => r.problems.map((p) => `${p.file.split('-').pop()}:${p.line} ${p.rule}`);
    // Nothing else stops it: both files are read, then the merge finds the repeat and ends the run.
    const onlyRepeat = await validateFiles([x, y], { bail: true, rules: asError, duplicateIndexEntries: 2 });
    expect([onlyRepeat.bailed, at(onlyRepeat)]).toEqual([true, ['y.jsonl:2 payload/duplicate-external-request-id']]);
    const unbounded = await validateFiles([x, y, z], { bail: true, rules: asError });
    expect([unbounded.counts.files, at(unbounded)]).toEqual([2, ['y.jsonl:2 payload/duplicate-external-request-id']]);
    // Spilled: the type error in z, found on the way, stops the run; the repeat before it is not reported.
    const spilled = await validateFiles([x, y, z], { bail: true, rules: asError, duplicateIndexEntries: 2 });
    expect([spilled.bailed, spilled.counts.files, at(spilled)]).toEqual([true, 3, ['z.jsonl:1 payload/type']]);
  });

  it('any sequence of ids and contents over files, with any bound, gives the unbounded report', async () => {
    const record = fc.record({ id: fc.integer({ min: 0, max: 12 }), v: fc.integer({ min: 0, max: 2 }), bad: fc.boolean() });
    const files = fc.array(fc.record({ kind: fc.constantFrom('jsonl', 'pretty', 'line'), items: fc.array(record, { maxLength: 12 }) }), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(files, fc.integer({ min: 1, max: 8 }), async (spec, bound) => {
        const paths = spec.map((f) => {
          const items = f.items.map((r) => payload(r.id, r.v, r.bad ? { outputTokens: -1 } : {}));
          return f.kind === 'jsonl' ? file('p.jsonl', jsonl(items)) : file('p.json', f.kind === 'pretty' ? prettyArray(items) : oneLineArray(items));
        });
        const [spilled, unbounded] = [await validateFiles(paths, { duplicateIndexEntries: bound }), await validateFiles(paths)];
        expect(spilled).toEqual(unbounded);
        expect(Object.keys(spilled.byRule)).toEqual(Object.keys(unbounded.byRule));
      }),
      { numRuns: 60 },
    );
  });
});

describe('the built CLI with a spilled index', () => {
  const input = jsonl([payload(1, 0), payload(2, 0), payload(3, 0), payload(1, 1), payload(2, 0), payload(3, 2)]);

  it('stdin (read once) has its records from the spill on copied, so late repeats still get their exact position; no temp file is left', async () => {
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    const unbounded = await runCli(['validate', '--format', 'json', '-'], { input });
    const spilled = await runCli(['validate', '--format', 'json', '-'], { input, env: { OPSMETER_DUPLICATE_INDEX_ENTRIES: '2', TMPDIR: tmp } });
    expect(spilled.code, spilled.stderr).toBe(0); // a warning
    expect(spilled.stdout).toBe(unbounded.stdout);
    const messages = (JSON.parse(spilled.stdout) as { problems: { line: number; column: number; message: string }[] }).problems.map((p) => `${p.line}:${p.column} ${p.message}`);
    expect(messages).toEqual([
      '4:22 externalRequestId "ext_1" was already used at line 1 with different content; the server counts only one',
      '6:22 externalRequestId "ext_3" was already used at line 3 with different content; the server counts only one',
    ]);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('stdin whose index never spills writes no temp file: the run works with no temp folder at all', async () => {
    const noTemp = { TMPDIR: join(dir, 'no-such-temp-folder') };
    const r = await runCli(['validate', '--format', 'json', '-'], { input, env: noTemp });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe((await runCli(['validate', '--format', 'json', '-'], { input })).stdout);
    // Forced to spill, the same run needs one (for the index's runs and the stdin records).
    const spilled = await runCli(['validate', '--format', 'json', '-'], { input, env: { ...noTemp, OPSMETER_DUPLICATE_INDEX_ENTRIES: '2' } });
    expect(spilled.code).toBe(2);
    expect(spilled.stderr).toContain('cannot write a temp file');
  });

  it('stdin in every shape, spilled before, inside or after it, gives the unbounded report byte for byte', async () => {
    const items = [payload(1, 0), payload(2, 0), payload(3, 0, { inputTokens: '7' }), payload(1, 1), payload(2, 0), payload(4, 0), payload(3, 2), payload(4, 0, { promptVersion: undefined }), payload(5, 1), payload(6, 1, { note: 'é✓'.repeat(40_000) })];
    const before = file('before.jsonl', jsonl([payload(5, 0), payload(6, 0), payload(7, 0)]));
    const after = file('after.json', prettyArray([payload(2, 3), payload(8, 0), payload(1, 0)]));
    const shapes: [string, string][] = [
      ['jsonl', jsonl(items)],
      ['crlf jsonl with blank lines and a broken line', `${jsonl(items.slice(0, 4)).replaceAll('\n', '\r\n')}\r\n{"broken"\r\n\r\n${jsonl(items.slice(4))}`],
      ['pretty array', prettyArray(items)],
      ['one-line array', oneLineArray(items)],
      ['one object', `\n  ${JSON.stringify(payload(5, 9), null, 2)}\n`], // a late repeat of before.jsonl's first
    ];
    for (const [shape, input] of shapes) {
      for (const paths of [['-'], [before, '-'], ['-', after], [before, '-', after]]) {
        const args = ['validate', '--format', 'json', ...paths];
        const unbounded = await runCli(args, { input });
        for (const bound of ['2', '5']) {
          const tmp = mkdtempSync(join(dir, 'tmp-'));
          const spilled = await runCli(args, { input, env: { OPSMETER_DUPLICATE_INDEX_ENTRIES: bound, TMPDIR: tmp } });
          expect(spilled.code, `${shape} ${paths.join(' ')} ${bound}: ${spilled.stderr}`).toBe(unbounded.code);
          expect(spilled.stdout, `${shape} ${paths.join(' ')} ${bound}`).toBe(unbounded.stdout);
          expect(readdirSync(tmp)).toEqual([]);
        }
      }
    }
  }, 120_000);

  it.runIf(process.platform === 'linux')('an interrupted run leaves no temp file (they are unlinked as soon as they are made)', async () => {
    const tmp = mkdtempSync(join(dir, 'int-'));
    const child = spawn(process.execPath, [BIN, 'validate', '-'], { env: { ...process.env, TMPDIR: tmp, OPSMETER_DUPLICATE_INDEX_ENTRIES: '2' }, stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.write(input); // stdin stays open: the run waits for more, with its stdin copy open
    const opened = () => {
      try {
        return readdirSync(`/proc/${child.pid}/fd`).some((fd) => {
          try {
            return readlinkSync(`/proc/${child.pid}/fd/${fd}`).startsWith(tmp);
          } catch {
            return false;
          }
        });
      } catch {
        return false;
      }
    };
    await waitFor(opened, 'the spill file to be opened');
    expect(opened()).toBe(true);
    expect(readdirSync(tmp)).toEqual([]); // open, but already unlinked
    child.kill('SIGINT');
    await new Promise((r) => child.on('close', r));
    expect(existsSync(tmp) && readdirSync(tmp)).toEqual([]);
  });
});
