/**
 * DuplicateIndex (bounded-memory duplicate externalRequestId detection) and contentFingerprint
 * (what "the same content" means).
 */
import { describe, expect, it } from 'vitest';
import { fnv1a } from '../../src/contract/random.js';
import { DuplicateIndex, contentFingerprint } from '../../src/validate/duplicates.js';

describe('DuplicateIndex', () => {
  it('reports where an id was first seen, and whether the content matches', () => {
    const d = new DuplicateIndex();
    expect(d.add('ext_a', 111, 0, 1)).toBeUndefined();
    expect(d.add('ext_b', 222, 0, 2)).toBeUndefined();
    expect(d.add('ext_a', 111, 1, 7)).toEqual({ fileIndex: 0, line: 1, sameContent: true });
    expect(d.add('ext_a', 999, 2, 9)).toEqual({ fileIndex: 0, line: 1, sameContent: false });
    expect(d.count).toBe(2);
  });

  it('always reports the FIRST location, however many repeats follow', () => {
    const d = new DuplicateIndex();
    d.add('x', 1, 3, 10);
    for (let i = 0; i < 5; i++) expect(d.add('x', 100 + i, 4, 20 + i)).toEqual({ fileIndex: 3, line: 10, sameContent: false });
  });

  it('grows past its initial capacity without losing or confusing entries', () => {
    const d = new DuplicateIndex(4); // the smallest table (64 Ki slots) grows at ~46 k ids
    const n = 100_000;
    for (let i = 0; i < n; i++) expect(d.add(`ext_${i}`, i, i % 7, i + 1)).toBeUndefined();
    expect(d.count).toBe(n);
    for (let i = 0; i < n; i += 997) {
      expect(d.add(`ext_${i}`, i, 9, 1)).toEqual({ fileIndex: i % 7, line: i + 1, sameContent: true });
    }
    expect(d.add('ext_new', 0, 0, 1)).toBeUndefined();
  });

  it('keeps every id apart through several growths (slots hold only a tag of the hash: tag matches must be checked in full)', () => {
    const d = new DuplicateIndex(); // 64 Ki slots, grows three times below
    const n = 250_000;
    let repeats = 0;
    for (let i = 0; i < n; i++) if (d.add(`req-${i * 7919}`, i & 0xffff, 1, i + 1) !== undefined) repeats++;
    expect(repeats).toBe(0);
    expect(d.count).toBe(n);
    const wrong: number[] = [];
    for (let i = 0; i < n; i += 101) {
      const first = d.add(`req-${i * 7919}`, i & 0xffff, 2, 0);
      if (first?.fileIndex !== 1 || first.line !== i + 1 || !first.sameContent) wrong.push(i);
    }
    expect(wrong).toEqual([]);
    for (let i = 0; i < 5000; i++) if (d.add(`other-${i}`, 0, 3, 1) !== undefined) repeats++;
    expect(repeats).toBe(0);
  });

  it('reserve() makes room mid-way (one re-placing, several doublings at once) and loses nothing', () => {
    const d = new DuplicateIndex();
    for (let i = 0; i < 30_000; i++) d.add(`res-${i}`, i, 0, i + 1);
    d.reserve(400_000); // 64 Ki slots → 1 Mi at once
    d.reserve(10); // a smaller hint changes nothing
    for (let i = 30_000; i < 300_000; i++) expect(d.add(`res-${i}`, i, 1, i + 1)).toBeUndefined();
    expect(d.count).toBe(300_000);
    for (let i = 0; i < 300_000; i += 1009) {
      expect(d.add(`res-${i}`, i, 2, 0)).toEqual({ fileIndex: i < 30_000 ? 0 : 1, line: i + 1, sameContent: true });
    }
  });

  it('ids that differ only slightly are different ids', () => {
    const d = new DuplicateIndex();
    d.add('ext_1', 1, 0, 1);
    expect(d.add('ext_10', 1, 0, 2)).toBeUndefined();
    expect(d.add('EXT_1', 1, 0, 3)).toBeUndefined();
    expect(d.add('ext_1 ', 1, 0, 4)).toBeUndefined();
  });

  it('handles the empty string and long or non-ASCII ids', () => {
    const d = new DuplicateIndex();
    for (const id of ['', 'é'.repeat(256), '日本', '\u0000']) expect(d.add(id, 1, 0, 1)).toBeUndefined();
    expect(d.add('日本', 1, 0, 2)).toMatchObject({ line: 1 });
  });
});

describe('fnv1a', () => {
  it('is the 32-bit FNV-1a of the code units', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });
});

describe('contentFingerprint', () => {
  const base = {
    externalRequestId: 'ext_1',
    provider: 'openai',
    model: 'gpt-4o-mini',
    inputTokens: 120,
    outputTokens: 45,
    totalTokens: 165,
    latencyMs: 820,
    status: 'success',
    createdAt: '2026-03-01T12:00:00Z',
  };
  const fp = (json: string) => contentFingerprint(JSON.parse(json));

  it('ignores key order, whitespace and number spelling', () => {
    const a = JSON.stringify(base);
    const b = ' { "createdAt": "2026-03-01T12:00:00Z", "status":"success", "latencyMs": 8.2e2, "totalTokens":165,\n "outputTokens":45, "inputTokens":1.2e2, "model":"gpt-4o-mini", "provider":"openai", "externalRequestId":"ext_1" }';
    expect(fp(b)).toBe(fp(a));
  });

  it('sees a change in anything the server counts', () => {
    const changes: Record<string, unknown>[] = [
      { inputTokens: 121 },
      { outputTokens: 44 },
      { totalTokens: 166 },
      { latencyMs: 821 },
      { latencyMs: undefined },
      { status: 'error' },
      { provider: 'anthropic' },
      { model: 'gpt-4o' },
      { model: 'gpt-4o-mini-2024-07-18' },
      { createdAt: '2026-03-01T12:00:01Z' },
      { inputTokens: 120 + 2 ** 32 },
    ];
    const ref = contentFingerprint(base);
    for (const c of changes) expect(contentFingerprint({ ...base, ...c }), JSON.stringify(c)).not.toBe(ref);
  });

  it('is flat: a 100k-level nested value costs nothing and cannot overflow the stack', () => {
    const n = 100_000;
    const deep = JSON.parse('{"a":'.repeat(n) + '1' + '}'.repeat(n));
    expect(typeof contentFingerprint(deep)).toBe('number');
  });
});
