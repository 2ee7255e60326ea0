import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, JournalError, readJournal } from '../../src/ingest/journal.js';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { lintPayload } from '../../src/contract/lint.js';
import { seededRandom } from '../../src/contract/random.js';
import { generateEvents } from '../../src/ingest/generate.js';
import { itemsFromSources } from '../../src/ingest/sources.js';
import type { SendItem } from '../../src/ingest/sender.js';

const dir = mkdtempSync(join(tmpdir(), 'opsmeter-journal-'));

describe('journal', () => {
  it('an absent journal is empty', async () => {
    expect(await readJournal(join(dir, 'none.jsonl'))).toEqual({ accepted: new Set(), entries: 0, unreadable: 0 });
  });

  it('records final outcomes as JSONL and reads back the accepted ids', async () => {
    const path = join(dir, 'j1.jsonl');
    const j = await Journal.open(path);
    j.record({ externalRequestId: 'a', outcome: 'accepted', status: 200, attempts: 1 });
    j.record({ externalRequestId: 'b', outcome: 'rejected', status: 400, attempts: 1, message: '/model: bad', where: 'f.jsonl:2' });
    j.record({ outcome: 'not-sent', attempts: 0, message: 'invalid', where: 'f.jsonl:3', notSentReason: 'invalid' });
    await j.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { externalRequestId: 'a', outcome: 'accepted', status: 200, attempts: 1 },
      { externalRequestId: 'b', outcome: 'rejected', status: 400, attempts: 1, where: 'f.jsonl:2', message: '/model: bad' },
      { externalRequestId: null, outcome: 'not-sent', status: null, attempts: 0, where: 'f.jsonl:3', message: 'invalid' },
    ]);
    expect(await readJournal(path)).toEqual({ accepted: new Set(['a']), entries: 3, unreadable: 0 });
  });

  it('appends across runs and repairs a last line cut short by a crash', async () => {
    const path = join(dir, 'j2.jsonl');
    writeFileSync(path, '{"externalRequestId":"a","outcome":"accepted","status":200}\n{"externalRequestId":"b","outc');
    const before = await readJournal(path);
    expect(before.accepted).toEqual(new Set(['a']));
    expect(before.unreadable).toBe(1);
    const j = await Journal.open(path);
    j.record({ externalRequestId: 'b', outcome: 'accepted', status: 200, attempts: 2 });
    await j.close();
    const after = await readJournal(path);
    expect(after.accepted).toEqual(new Set(['a', 'b']));
    expect(after.unreadable).toBe(1);
  });

  it('a later failure does not un-accept an id (once accepted, always skipped)', async () => {
    const path = join(dir, 'j3.jsonl');
    writeFileSync(path, '{"externalRequestId":"a","outcome":"accepted","status":200}\n{"externalRequestId":"a","outcome":"gave-up","status":503}\n');
    expect((await readJournal(path)).accepted.has('a')).toBe(true);
  });

  it('refuses a directory or an unwritable path with a clear error', async () => {
    mkdirSync(join(dir, 'adir'));
    await expect(readJournal(join(dir, 'adir'))).rejects.toThrow(JournalError);
    await expect(Journal.open(join(dir, 'no', 'such', 'dir.jsonl'))).rejects.toThrow(/cannot write journal .*ENOENT/);
  });
});

describe('generated events', () => {
  const catalog = builtinCatalog();
  const take = (mode: 'test' | 'demo', count: number, seed = 's1', environment?: 'staging' | 'dev') =>
    [...generateEvents({ mode, count, catalog, seed, environment })].map((i) => i.value as Record<string, unknown>);

  it('are valid payloads (no lint errors), in the catalog, with unique ids', () => {
    const evs = take('demo', 500);
    for (const e of evs) {
      const errors = lintPayload(e, { catalog, now: Date.now() }).filter((f) => f.rule.severity === 'error' || f.rule.id.startsWith('catalog/'));
      expect(errors, JSON.stringify(e)).toEqual([]);
    }
    expect(new Set(evs.map((e) => e.externalRequestId)).size).toBe(500);
    expect(new Set(evs.map((e) => e.model)).size).toBeGreaterThan(3);
  });

  it('test events are dataMode test in staging (or dev); demo events dataMode demo in dev', () => {
    expect(take('test', 20).every((e) => e.dataMode === 'test' && e.environment === 'staging' && e.status === 'success')).toBe(true);
    expect(take('test', 5, 's', 'dev').every((e) => e.environment === 'dev')).toBe(true);
    expect(take('demo', 20).every((e) => e.dataMode === 'demo' && e.environment === 'dev')).toBe(true);
  });

  it('demo failures are partial rows with no token counts (never zeros)', () => {
    const failed = take('demo', 400).filter((e) => e.status === 'error');
    expect(failed.length).toBeGreaterThan(0);
    for (const e of failed) {
      expect(e).not.toHaveProperty('inputTokens');
      expect(e.metadata).toEqual({ usageStatus: 'partial', partialReason: 'request_failed' });
    }
  });

  it('the same seed gives the same events; another seed other ids', () => {
    expect(take('test', 50, 'abc')).toEqual(take('test', 50, 'abc'));
    const a = new Set(take('test', 50, 'abc').map((e) => e.externalRequestId));
    expect(take('test', 50, 'abd').some((e) => a.has(e.externalRequestId))).toBe(false);
    expect(seededRandom('x')()).toBe(seededRandom('x')());
  });

  it('are generated lazily', () => {
    const it = generateEvents({ mode: 'test', count: 1e9, catalog, seed: 's' });
    expect((it.next().value as SendItem).where).toBe('generated #1');
  });
});

describe('itemsFromSources', () => {
  const collect = async (src: AsyncIterable<SendItem>) => {
    const out: SendItem[] = [];
    for await (const i of src) out.push(i);
    return out;
  };

  it('streams JSONL records with positions; bad lines become read errors', async () => {
    const f = join(dir, 'events.jsonl');
    writeFileSync(f, '{"a":1}\n\n{"a":\n{"a":3}\n');
    const items = await collect(itemsFromSources([{ name: f, path: f, format: 'jsonl' }]));
    expect(items).toEqual([
      { value: { a: 1 }, where: `${f}:1` },
      expect.objectContaining({ where: `${f}:3`, readError: expect.stringContaining('line 3') }),
      { value: { a: 3 }, where: `${f}:4` },
    ]);
  });

  it('reads a JSON array and a single object; an empty file is reported', async () => {
    const arr = join(dir, 'arr.json');
    writeFileSync(arr, '[{"a":1},\n {"a":2}]');
    const one = join(dir, 'one.json');
    writeFileSync(one, '{"a":1}');
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const items = await collect(
      itemsFromSources([
        { name: arr, path: arr, format: 'json' },
        { name: one, path: one, format: 'json' },
        { name: empty, path: empty, format: 'jsonl' },
      ]),
    );
    expect(items.map((i) => i.value ?? i.readError)).toEqual([{ a: 1 }, { a: 2 }, { a: 1 }, `${empty} holds no payloads`]);
    expect(items[1]!.where).toBe(`${arr}:2`);
  });

  it('a record with a duplicate key is one item, refused with the rule validate reports (JSONL, an array, one object)', async () => {
    const lines = join(dir, 'dup.jsonl');
    writeFileSync(lines, '{"a":1}\n{"a":2,"b":0,"a":3}\n{"a":4}\n');
    const arr = join(dir, 'dup-arr.json');
    writeFileSync(arr, '[{"a":1},\n {"b":{"c":1,"c":2}}]');
    const one = join(dir, 'dup-one.json');
    writeFileSync(one, '{\n"a":1,\n"a":2\n}');
    const items = await collect(
      itemsFromSources([
        { name: lines, path: lines, format: 'jsonl' },
        { name: arr, path: arr, format: 'json' },
        { name: one, path: one, format: 'json' },
      ]),
    );
    expect(items).toEqual([
      { value: { a: 1 }, where: `${lines}:1` },
      { value: { a: 3, b: 0 }, where: `${lines}:2`, readError: '/a: key "a" appears twice in one object (line 2, column 14) [json/duplicate-key]' },
      { value: { a: 4 }, where: `${lines}:3` },
      { value: { a: 1 }, where: `${arr}:1` },
      { value: { b: { c: 2 } }, where: `${arr}:2`, readError: '/1/b/c: key "c" appears twice in one object (line 2, column 14) [json/duplicate-key]' },
      { value: { a: 2 }, where: `${one}:1`, readError: '/a: key "a" appears twice in one object (line 3, column 1) [json/duplicate-key]' },
    ]);
  });

  it('keeps memory bounded: the reader waits for the consumer', async () => {
    const f = join(dir, 'big.jsonl');
    writeFileSync(f, Array.from({ length: 5000 }, (_, i) => JSON.stringify({ i })).join('\n'));
    const src = itemsFromSources([{ name: f, path: f, format: 'jsonl' }]);
    let n = 0;
    for await (const item of src) {
      if ((item.value as { i: number }).i !== n) throw new Error('out of order');
      n++;
      if (n === 10) break; // leaving early must not hang or throw
    }
    expect(n).toBe(10);
  });

  it('an unreadable path becomes a read error, not a crash', async () => {
    const items = await collect(itemsFromSources([{ name: dir, path: dir, format: 'jsonl' }]));
    expect(items).toEqual([expect.objectContaining({ readError: expect.stringContaining('is a directory') })]);
  });
});
