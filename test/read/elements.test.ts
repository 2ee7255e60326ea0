/**
 * splitArray: a JSON array split element by element, whatever its formatting and however
 * its bytes are cut into chunks, with each element's line, column and line prefix as a
 * whole-text parser sees them; a break in the structure is reported where it is.
 */
import fc from 'fast-check';
import { parseTree } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { PREFIX_CHARS, splitArray, type ElementStart, type ElementStats } from '../../src/read/elements.js';
import { STOP } from '../../src/read/lines.js';
import { LineIndex } from '../../src/read/locate.js';

/** The input cut into chunks of the given sizes (cycled). */
async function* chunked(bytes: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let k = 0;
  for (let i = 0; i < bytes.length; ) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    yield bytes.subarray(i, i + n);
    i += n;
  }
}

interface Split {
  elements: { text: string; at: ElementStart }[];
  skipped: { kind: string; at: ElementStart }[];
  stats: ElementStats;
}

async function split(input: string | Buffer, sizes = [256 * 1024], maxElementBytes?: number, stopAfter?: number): Promise<Split> {
  const elements: Split['elements'] = [];
  const skipped: Split['skipped'] = [];
  const stats = await splitArray(
    chunked(typeof input === 'string' ? Buffer.from(input) : input, sizes),
    {
      element(text, at) {
        elements.push({ text, at });
        return elements.length === stopAfter ? STOP : undefined;
      },
      skipped(kind, at) {
        skipped.push({ kind, at });
      },
    },
    maxElementBytes,
  );
  return { elements, skipped, stats };
}

/** Where a whole-text parser puts each element of the array: line, column, and the line's text before it. */
function expectedStarts(text: string): { line: number; column: number; before: string }[] {
  const body = text.replace(/^\uFEFF/, '');
  const root = parseTree(body)!;
  const index = new LineIndex(body);
  return (root.children ?? []).map((child) => {
    const pos = index.at(child.offset, 1, body);
    return { line: pos.line, column: pos.column, before: pos.text!.slice(0, pos.column - 1) };
  });
}

/** Object members in a parsed value, nested ones included. */
function members(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  const values = Array.isArray(v) ? v : Object.values(v);
  return (Array.isArray(v) ? 0 : values.length) + values.reduce((n: number, x) => n + members(x), 0);
}

/** Lines counted like JSONL: a final line end (LF, CRLF or a lone CR) ends the last line. */
function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split(/\r\n?|\n/).length - (/[\r\n]$/.test(text) ? 1 : 0);
}

const space = fc.constantFrom('', ' ', '  ', '\n', '\r\n', '\r', '\r\r\n', '\n  ', '\t', ' \n\n ');
const format = fc.record({ indent: fc.constantFrom(0, 2, '\t'), eol: fc.constantFrom('\n', '\r\n', '\r') });

/** An array written by hand: any white space around elements and commas, each element formatted on its own. */
const arrayText = fc
  .record({
    items: fc.array(fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 3 }), { maxLength: 8 }),
    gaps: fc.array(space, { minLength: 20, maxLength: 20 }),
    format,
    bom: fc.boolean(),
  })
  .map(({ items, gaps, format, bom }) => {
    let gap = 0;
    const ws = () => gaps[gap++ % gaps.length]!;
    const el = (v: unknown) => {
      const t = JSON.stringify(v, null, format.indent);
      return format.eol === '\n' ? t : t.replace(/\n/g, format.eol);
    };
    const body = ws() + '[' + items.map((v) => ws() + el(v) + ws()).join(',') + ws() + ']' + ws();
    return { text: (bom ? '\uFEFF' : '') + body, items };
  });

describe('splitArray', () => {
  it('any formatting, any chunking: every element, parsed as JSON.parse sees it, where a whole-text parser puts it', async () => {
    await fc.assert(
      // Small chunks cut elements anywhere; one large chunk holds them whole (the scan's own line count).
      fc.asyncProperty(arrayText, fc.oneof(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }), fc.constant([1 << 20] as number[])), async ({ text, items }, sizes) => {
        const { elements, skipped, stats } = await split(text, sizes);
        expect(skipped).toEqual([]);
        expect(stats.broken).toBeUndefined();
        expect(elements.map((e) => JSON.parse(e.text))).toEqual(JSON.parse(text.replace(/^\uFEFF/, '')));
        const want = expectedStarts(text);
        elements.forEach((e, i) => {
          expect({ index: e.at.index, line: e.at.line, column: e.at.column }).toEqual({ index: i, line: want[i]!.line, column: want[i]!.column });
          expect(e.at.members).toBe(members(JSON.parse(e.text)));
          // The prefix is the end of the line before the element (the whole of it when short and
          // nothing but white space stands there).
          expect(want[i]!.before.endsWith(e.at.prefix)).toBe(true);
          if (want[i]!.before.trim() === '') expect(e.at.prefix).toBe(want[i]!.before.slice(-PREFIX_CHARS));
        });
        expect(stats).toMatchObject({ elements: items.length, lines: lineCount(text), stopped: false });
      }),
      { numRuns: 300 },
    );
  });

  it('members are counted with duplicates, colons inside strings are not', async () => {
    const text = '[{"a": 1, "a": {"b:": ":", "b:": [{"c": "x:y"}]}}, "k: v", 3]';
    for (const size of [1, 3, 7, 1 << 20]) {
      const { elements } = await split(text, [size]);
      expect(elements.map((e) => e.at.members)).toEqual([5, 0, 0]);
    }
  });

  it('an escaped line break in a string ends a line (the element is a syntax fault; the next one is placed after it)', async () => {
    // (After a backslash, a CRLF's LF is a line break inside the string: a break in the structure.)
    for (const eol of ['\n', '\r']) {
      const text = `[\n  "a\\${eol}b",${eol}  {"c": 1}${eol}]`;
      for (const size of [1, 2, 5, 1 << 20]) {
        const { elements, stats } = await split(text, [size]);
        expect(stats.broken).toBeUndefined();
        expect(elements.map((e) => [e.at.line, e.at.column])).toEqual([
          [2, 3],
          [4, 3],
        ]);
      }
    }
  });

  it('strings with escaped quotes and backslashes, cut anywhere', async () => {
    const text = '["a\\"b", {"k\\\\": "\\\\\\"", "x": ["]", "}", "\\\\"]}, "\\u005c"]';
    for (let size = 1; size <= 8; size++) {
      const { elements, stats } = await split(text, [size]);
      expect(stats.broken).toBeUndefined();
      expect(elements.map((e) => JSON.parse(e.text))).toEqual(JSON.parse(text));
    }
  });

  it('multi-byte characters cut across chunks are decoded whole, columns in UTF-16 units', async () => {
    const text = '[{"a":"é😀"}, {"b":"ü"}]';
    for (let size = 1; size <= 5; size++) {
      const { elements } = await split(text, [size]);
      expect(elements.map((e) => JSON.parse(e.text))).toEqual([{ a: 'é😀' }, { b: 'ü' }]);
      expect(elements[1]!.at).toMatchObject({ line: 1, column: 15 });
    }
  });

  it('bare scalars are elements too, the last one ended by "]" or by white space', async () => {
    const { elements, stats } = await split('[1, -2.5e3,true ,null,"s"\n,[] ,{}]');
    expect(elements.map((e) => e.text)).toEqual(['1', '-2.5e3', 'true', 'null', '"s"', '[]', '{}']);
    expect(stats.broken).toBeUndefined();
  });

  it('an empty array, and white space only around it', async () => {
    expect((await split('[]')).stats).toMatchObject({ elements: 0, lines: 1, stopped: false });
    expect((await split('\n\n  [ \n ]\n\n')).stats).toMatchObject({ elements: 0, lines: 5, stopped: false });
  });

  it('STOP from the handler ends the split', async () => {
    const { elements, stats } = await split('[1,2,3,4]', [256], undefined, 2);
    expect(elements).toHaveLength(2);
    expect(stats.stopped).toBe(true);
    expect(stats.broken).toBeUndefined();
  });

  it('an element over the cap is skipped with its start; the next ones are read, positions kept', async () => {
    const big = JSON.stringify({ s: 'x'.repeat(100), t: 'é\n'.length });
    const text = `[\n  {"a":1},\n  ${big.replace(',', ',\n')},\n  {"b":2}\n]`;
    const { elements, skipped, stats } = await split(text, [7], 64);
    expect(skipped).toMatchObject([{ kind: 'too-large', at: { index: 1, line: 3, column: 3 } }]);
    expect(elements.map((e) => [e.at.index, e.at.line, e.at.column, e.text])).toEqual([
      [0, 2, 3, '{"a":1}'],
      [2, 5, 3, '{"b":2}'],
    ]);
    expect(stats).toMatchObject({ elements: 3, lines: 6 });
  });

  it('elements over the cap, cut anywhere (a CRLF or a multi-byte character between two pieces): the elements after them are where a whole-text parser puts them', async () => {
    await fc.assert(
      fc.asyncProperty(arrayText, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }), async ({ text }, sizes) => {
        const want = expectedStarts(text);
        const { elements, skipped, stats } = await split(text, sizes, 8);
        for (const e of elements) expect([e.at.line, e.at.column]).toEqual([want[e.at.index]!.line, want[e.at.index]!.column]);
        expect(elements.length + skipped.length).toBe(want.length);
        expect(stats.lines).toBe(lineCount(text.replace(/^\uFEFF/, '')));
      }),
      { numRuns: 300 },
    );
  });

  it('an element that is not UTF-8, or holds NUL bytes, is skipped as an encoding fault', async () => {
    const bad = Buffer.concat([Buffer.from('[{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"},\n {"b":"\u0000"}, {"c":1}]')]);
    for (const size of [1, 3, 256]) {
      const { elements, skipped } = await split(bad, [size]);
      expect(skipped.map((s) => [s.kind, s.at.index, s.at.line])).toEqual([
        ['encoding', 0, 1],
        ['encoding', 1, 2],
      ]);
      expect(elements.map((e) => e.text)).toEqual(['{"c":1}']);
    }
  });

  it.each([
    ['a trailing comma', '[1,\n 2,\n]', { line: 3, column: 1, message: 'expected a value (a trailing comma before "]")', atEnd: false }, 2],
    ['a missing comma', '[{"a":1}\n {"b":2}]', { line: 2, column: 2, message: 'expected "," or "]" after an array element, found "{"', atEnd: false }, 1],
    ['text after the array', '[1]\n]', { line: 2, column: 1, message: 'unexpected content after the JSON value', atEnd: false }, 1],
    ['a mismatched bracket', '[\n  {"a": [1, 2}\n]', { line: 2, column: 14, message: 'expected "]" — the array is not closed (truncated?)', atEnd: false }, 0],
    ['a line break inside a string', '[{"a": "x\n"}]', { line: 1, column: 10, message: 'unterminated string (a line break inside a string)', atEnd: false }, 0],
    ['a file cut inside an element', '[{"a":1},\n {"b": [2', { line: 2, column: 10, message: 'expected "]" — the array is not closed (truncated?)', atEnd: true }, 1],
    ['a file cut inside a string', '[{"a":1}, "abc', { line: 1, column: 15, message: 'unterminated string', atEnd: true }, 1],
    ['a file cut after an element', '[{"a":1},\n', { line: 2, column: 1, message: 'expected "]" — the array is not closed (truncated?)', atEnd: true }, 1],
    ['a comma where a value belongs', '[1,,2]', { line: 1, column: 4, message: 'expected a value ","', atEnd: false }, 1],
  ])('%s is a break, where it is; the elements before it are read', async (_what, text, broken, before) => {
    for (const size of [1, 2, 256]) {
      const { elements, stats } = await split(text, [size]);
      expect(stats.broken).toMatchObject(broken);
      expect(stats.stopped).toBe(true);
      expect(elements).toHaveLength(before);
    }
  });

  it('a break inside an element carries the element so far, for a precise diagnosis', async () => {
    const { stats } = await split('[\n  {"a": 1,\n   "b": [2}]');
    expect(stats.broken?.element).toMatchObject({ text: '{"a": 1,\n   "b": [2}', at: { index: 0, line: 2, column: 3 } });
  });

  it('a deeply nested element is split without recursion', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const { elements, stats } = await split(`[${deep}, {"a":1}]`, [4096]);
    expect(elements.map((e) => e.text.length)).toEqual([200_000, 7]);
    expect(stats.broken).toBeUndefined();
  });
});
