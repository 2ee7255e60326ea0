/**
 * The import's duplicate-id index (src/importers/id-index.ts): it answers every id at once,
 * as an unbounded map of first occurrences would, however small its in-memory bound — the ids
 * past it are in sorted runs on disk behind a Bloom filter.
 */
import fc from 'fast-check';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportIdIndex } from '../../src/importers/id-index.js';
import { hashId, type FirstSeen } from '../../src/validate/duplicates.js';

/** What the index must answer: the first occurrence of each id, in a plain Map. */
class Reference {
  private readonly first = new Map<string, { fingerprint: number; fileIndex: number; line: number }>();
  add(id: string, fingerprint: number, fileIndex: number, line: number): FirstSeen | undefined {
    const f = this.first.get(id);
    if (f) return { fileIndex: f.fileIndex, line: f.line, sameContent: f.fingerprint === fingerprint };
    this.first.set(id, { fingerprint, fileIndex, line });
    return undefined;
  }
  get count(): number {
    return this.first.size;
  }
}

let tmp: string;
let savedTmp: string | undefined;
beforeAll(() => {
  // The index's temp files go here, so the tests can see that none is left.
  tmp = mkdtempSync(join(tmpdir(), 'opsmeter-id-index-'));
  savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
});
afterAll(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  rmSync(tmp, { recursive: true, force: true });
});

describe('ImportIdIndex', () => {
  it('reports where an id was first added and whether the content matches, in memory and from the runs on disk', () => {
    const d = new ImportIdIndex({ maxEntries: 2 });
    expect(d.add('ext_a', 111, 0, 1)).toBeUndefined();
    expect(d.add('ext_a', 111, 1, 7)).toEqual({ fileIndex: 0, line: 1, sameContent: true }); // in the table
    expect(d.add('ext_b', 222, 0, 2)).toBeUndefined(); // the table is full: a run on disk
    expect(d.add('ext_a', 999, 2, 9)).toEqual({ fileIndex: 0, line: 1, sameContent: false }); // from the run
    expect(d.add('ext_b', 222, 3, 4)).toEqual({ fileIndex: 0, line: 2, sameContent: true });
    expect(d.add('ext_c', 333, 3, 5)).toBeUndefined();
    expect(d.add('ext_c', 334, 4, 6)).toEqual({ fileIndex: 3, line: 5, sameContent: false });
    expect(d.count).toBe(3);
    d.close();
    d.close(); // twice is fine
  });

  it('always reports the first occurrence, however many repeats follow, before and after it spills', () => {
    const d = new ImportIdIndex({ maxEntries: 3 });
    d.add('x', 1, 3, 10);
    for (let i = 0; i < 20; i++) {
      expect(d.add('x', 100 + i, 4, 20 + i)).toEqual({ fileIndex: 3, line: 10, sameContent: false });
      expect(d.add(`filler-${i}`, 0, 4, 100 + i)).toBeUndefined();
    }
    d.close();
  });

  it('answers as a map of first occurrences over random streams of ids, with tiny bounds', () => {
    const fields = {
      id: fc.integer({ min: 0, max: 60 }),
      fingerprint: fc.integer({ min: 0, max: 2 }),
      fileIndex: fc.integer({ min: 0, max: 3 }),
      line: fc.integer({ min: 1, max: 1_000_000 }),
      reserve: fc.integer({ min: 0, max: 40 }), // 0: no reserve() before the add
    };
    const op = fc.record(fields);
    const sameAsMap = (bound: number, ops: { id: number; fingerprint: number; fileIndex: number; line: number; reserve: number }[]) => {
      const d = new ImportIdIndex({ maxEntries: bound });
      const ref = new Reference();
      try {
        for (const o of ops) {
          if (o.reserve > 0) d.reserve(d.count + o.reserve);
          const id = `ext_${o.id}`;
          expect(d.add(id, o.fingerprint, o.fileIndex, o.line)).toEqual(ref.add(id, o.fingerprint, o.fileIndex, o.line));
          expect(d.count).toBe(ref.count);
        }
      } finally {
        d.close();
      }
    };
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 400 }), sameAsMap), { numRuns: 300 });
    // Runs longer than one fence (128 records): a key is looked for in the right one of several.
    const many = fc.record({ ...fields, id: fc.integer({ min: 0, max: 1500 }) });
    fc.assert(fc.property(fc.integer({ min: 100, max: 400 }), fc.array(many, { minLength: 1000, maxLength: 3000 }), sameAsMap), { numRuns: 15 });
  });

  it('takes keys hashed elsewhere (addKey) as add() hashes them', () => {
    const d = new ImportIdIndex({ maxEntries: 2 });
    const key = new Uint32Array(2);
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
      hashId(id, key);
      expect(d.addKey(key[0]!, key[1]!, 5, 1, i + 1)).toBeUndefined();
    }
    expect(d.add('a', 5, 2, 9)).toEqual({ fileIndex: 1, line: 1, sameContent: true });
    expect(d.add('d', 6, 2, 9)).toEqual({ fileIndex: 1, line: 4, sameContent: false });
    d.close();
  });

  it('many runs and filter rebuilds: every repeat found with its first line, no new id taken for a repeat', () => {
    const d = new ImportIdIndex({ maxEntries: 1000 }); // 60 runs; the filter is rebuilt as they come
    const n = 60_000;
    for (let i = 0; i < n; i++) expect(d.add(`id-${i}`, i & 7, i % 5, i + 1)).toBeUndefined();
    expect(d.count).toBe(n);
    const wrong: number[] = [];
    // Repeats in another order than their originals (and some in the order: the last run found is looked at first).
    for (let i = 0; i < n; i += 7) {
      const seen = d.add(`id-${(i * 7919) % n}`, ((i * 7919) % n) & 7, 9, 0);
      const j = (i * 7919) % n;
      if (seen?.line !== j + 1 || seen.fileIndex !== j % 5 || !seen.sameContent) wrong.push(j);
    }
    for (let i = 30_000; i < 31_000; i++) if (d.add(`id-${i}`, 99, 9, 0)?.line !== i + 1) wrong.push(i);
    expect(wrong).toEqual([]);
    let taken = 0;
    for (let i = 0; i < 20_000; i++) if (d.add(`new-${i}`, 0, 9, i) !== undefined) taken++;
    expect(taken).toBe(0);
    expect(d.count).toBe(n + 20_000);
    d.close();
  });

  it('reserve() after a spill makes room for the ids still to come, and loses nothing', () => {
    const d = new ImportIdIndex({ maxEntries: 500 });
    for (let i = 0; i < 1200; i++) d.add(`r-${i}`, 0, 0, i + 1);
    d.reserve(100_000); // bounded by maxEntries all the same
    for (let i = 1200; i < 3000; i++) expect(d.add(`r-${i}`, 0, 1, i + 1)).toBeUndefined();
    for (let i = 0; i < 3000; i += 13) expect(d.add(`r-${i}`, 0, 2, 0)).toEqual({ fileIndex: i < 1200 ? 0 : 1, line: i + 1, sameContent: true });
    d.close();
  });

  it('makes no temp file until it spills, and its temp file is gone from the temp folder as soon as it is made', () => {
    process.env.TMPDIR = join(tmp, 'no-such-folder');
    try {
      const d = new ImportIdIndex({ maxEntries: 10 });
      for (let i = 0; i < 9; i++) d.add(`t-${i}`, 0, 0, i); // never full: no temp folder needed
      expect(() => d.add('t-9', 0, 0, 9)).toThrow(/cannot write a temp file/);
    } finally {
      process.env.TMPDIR = tmp;
    }
    const d = new ImportIdIndex({ maxEntries: 10 });
    for (let i = 0; i < 100; i++) d.add(`t-${i}`, 0, 0, i);
    expect(readdirSync(tmp)).toEqual([]);
    d.close();
  });
});
