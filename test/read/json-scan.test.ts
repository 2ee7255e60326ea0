/**
 * The byte walk the JSON readers share (src/read/json-scan.ts): JsonScanner finds where a value
 * ends however its bytes are cut into chunks, and TextPosition counts lines and UTF-16 columns
 * the way the Locator does, also across the cuts. The readers built on them: elements.test.ts
 * (splitArray) and records.test.ts (an object's array member).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAULT, JsonScanner, NEED_MORE, TextPosition } from '../../src/read/json-scan.js';

/** Skips the value at the start of `text`, fed in pieces cut at `cuts`; the offset after it in the whole text. */
function skipInPieces(text: string, cuts: number[], scanner = new JsonScanner()): number | 'fault' | 'need-more' {
  const bytes = Buffer.from(text);
  const at = [...new Set(cuts.map((c) => 1 + (c % Math.max(1, bytes.length - 1))))].sort((a, b) => a - b);
  const pieces = [0, ...at].map((from, k, all) => bytes.subarray(from, all[k + 1] ?? bytes.length)).filter((p) => p.length > 0);
  scanner.begin(bytes[0]!);
  let offset = 0;
  for (const [k, piece] of pieces.entries()) {
    const end = scanner.skip(piece, k === 0 ? 1 : 0);
    if (end === FAULT) return 'fault';
    if (end !== NEED_MORE) return offset + end;
    offset += piece.length;
  }
  return scanner.scalar ? bytes.length : 'need-more';
}

/** Object members in a parsed value, nested ones included. */
function members(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  const values = Array.isArray(v) ? v : Object.values(v);
  return (Array.isArray(v) ? 0 : values.length) + values.reduce((n: number, x) => n + members(x), 0);
}

describe('JsonScanner', () => {
  it('any value, any cut: skip answers the offset just after it, and counts the members of its objects', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(0, 2), fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom('', ',', ' ]', '}'), (value, indent, cuts, after) => {
        const json = JSON.stringify(value, null, indent);
        const scanner = new JsonScanner();
        expect(skipInPieces(json + after, cuts, scanner)).toBe(Buffer.byteLength(json));
        if (!scanner.scalar) expect(scanner.colons).toBe(members(value));
      }),
      { numRuns: 500 },
    );
  });

  it('a line break inside a string and a closing bracket of the wrong kind are faults, with where and why; a lenient scanner reads on', () => {
    const strict = new JsonScanner();
    expect(skipInPieces('{"a": "x\ny"}', [], strict)).toBe('fault');
    expect([strict.faultAt, strict.fault]).toEqual([8, 'unterminated string (a line break inside a string)']);
    expect(skipInPieces('[1, {"b": 2]}]', [], strict)).toBe('fault');
    expect(strict.fault).toBe('expected "}" — the object is not closed (truncated?)');
    expect(skipInPieces('{"a": "x\ny"}', [], new JsonScanner(true))).toBe(12);
    expect(skipInPieces('[1, {"b": 2]}, 3', [], new JsonScanner(true))).toBe(13);
  });

  it('an escaped quote or backslash cut from its backslash is still part of the string', () => {
    for (const text of ['"a\\"b"', '"a\\\\"', '{"k": "\\\\\\""}']) {
      for (let cut = 1; cut < text.length; cut++) expect(skipInPieces(text, [cut - 1])).toBe(text.length);
    }
  });

  it('says why the input ended inside a value', () => {
    const scanner = new JsonScanner();
    expect(skipInPieces('{"a": [1, 2', [], scanner)).toBe('need-more');
    expect(scanner.unclosed).toBe('expected "]" — the array is not closed (truncated?)');
    expect(skipInPieces('{"a": "x', [], scanner)).toBe('need-more');
    expect(scanner.unclosed).toBe('unterminated string');
  });
});

describe('TextPosition', () => {
  it('bytes passed in pieces: a CRLF cut between two pieces is one line end, a character cut between them one column', () => {
    const text = 'ab\r\nc\u00e9\ud83d\ude00\rd\n\u2603x';
    const whole = new TextPosition();
    whole.passBytes(Buffer.from(text));
    expect([whole.line, whole.column]).toEqual([4, 2]);
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const cutUp = new TextPosition();
      cutUp.passBytes(bytes.subarray(0, cut));
      cutUp.passBytes(bytes.subarray(cut));
      expect([cutUp.line, cutUp.column]).toEqual([4, 2]);
    }
  });

  it("keeps the line's text before the next byte: what was taken of earlier chunks and this chunk's bytes since the last line end", () => {
    const pos = new TextPosition();
    const first = Buffer.from('  {"a": 1,\n   "b"');
    pos.passBytes(first, 0);
    expect(pos.takeTail(first, first.length)).toBe('   "b"');
    pos.nextChunk();
    const second = Buffer.from(': [');
    pos.passBytes(second.subarray(0, 2), 0);
    expect([pos.line, pos.column + 1, pos.takeTail(second, 2)]).toEqual([2, 9, '   "b": ']);
  });
});
