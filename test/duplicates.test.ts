/**
 * DuplicateIndex (bounded-memory duplicate externalRequestId detection) and contentHash
 * (what "the same content" means).
 */
import { describe, expect, it } from 'vitest';
import { DuplicateIndex, contentHash, fnv1a } from '../src/validate/duplicates.js';

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
    const d = new DuplicateIndex(4);
    const n = 50_000;
    for (let i = 0; i < n; i++) expect(d.add(`ext_${i}`, i, i % 7, i + 1)).toBeUndefined();
    expect(d.count).toBe(n);
    for (let i = 0; i < n; i += 997) {
      expect(d.add(`ext_${i}`, i, 9, 1)).toEqual({ fileIndex: i % 7, line: i + 1, sameContent: true });
    }
    expect(d.add('ext_new', 0, 0, 1)).toBeUndefined();
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

describe('contentHash', () => {
  const h = (json: string) => contentHash(JSON.parse(json));
  it('ignores key order, whitespace and number spelling', () => {
    expect(h('{"a":1,"b":"x","m":{"k":true,"n":null}}')).toBe(h('{ "m": {"n": null, "k": true}, "b": "x", "a": 1.0 }'));
    expect(h('{"a":100}')).toBe(h('{"a":1e2}'));
    expect(h('{"a":0}')).toBe(h('{"a":-0}'));
  });
  it('sees any change of a value, a key, a type or array order', () => {
    const base = h('{"a":1,"b":"x"}');
    for (const other of ['{"a":2,"b":"x"}', '{"a":1,"b":"y"}', '{"a":1,"c":"x"}', '{"a":"1","b":"x"}', '{"a":1}', '{"a":1,"b":"x","c":null}', '{"b":1,"a":"x"}']) {
      expect(h(other)).not.toBe(base);
    }
    expect(h('[1,2]')).not.toBe(h('[2,1]'));
    expect(h('[[1],2]')).not.toBe(h('[1,[2]]'));
    expect(h('{"a":true}')).not.toBe(h('{"a":false}'));
    expect(h('{"a":null}')).not.toBe(h('{"a":false}'));
  });
  it('is bounded in depth: 100k levels do not overflow the stack', () => {
    const n = 100_000;
    const deep = JSON.parse('{"a":'.repeat(n) + '1' + '}'.repeat(n));
    expect(typeof contentHash(deep)).toBe('number');
  });
});
