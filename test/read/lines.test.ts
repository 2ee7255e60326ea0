/**
 * splitLines: line numbers, BOM, CRLF, blank lines, chunk boundaries anywhere (inside a
 * line, inside a CRLF pair, inside a multi-byte UTF-8 character, inside the BOM), the line
 * cap, invalid UTF-8, NUL bytes, UTF-16, STOP and back-pressure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_LINES, MAX_LINE_BYTES, STOP, splitLines, type LineIssue } from '../../src/read/lines.js';

type Event = [number, string] | [number, `!${LineIssue}`, number];

async function* chunked(buf: Buffer, sizes: number[] | number): AsyncGenerator<Buffer> {
  let pos = 0;
  let i = 0;
  while (pos < buf.length) {
    const size = typeof sizes === 'number' ? sizes : sizes[i++ % sizes.length]!;
    yield buf.subarray(pos, pos + size);
    pos += size;
  }
}

async function collect(input: Buffer | string, sizes: number[] | number = 1 << 16, max?: number) {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const events: Event[] = [];
  const stats = await splitLines(
    chunked(buf, sizes),
    {
      line: (text, n) => void events.push([n, text]),
      issue: (kind, n, bytes) => void events.push([n, `!${kind}`, bytes]),
    },
    max,
  );
  return { events, stats };
}

const SAMPLE =
  '\uFEFF{"model":"gpt-4o-mini","tenantId":"t_müller_日本","note":"😀"}\r\n' + // BOM, 2-, 3- and 4-byte chars, CRLF
  '\r\n' + // a blank CRLF line
  '\n' + // a blank LF line
  '   \n' + // whitespace only
  '{"a":1}\n' +
  '{"b":"\uFFFD is a real replacement char"}\r\n' +
  '{"tail":true}'; // no final newline

const EXPECTED: Event[] = [
  [1, '{"model":"gpt-4o-mini","tenantId":"t_müller_日本","note":"😀"}'],
  [2, ''],
  [3, ''],
  [4, '   '],
  [5, '{"a":1}'],
  [6, '{"b":"\uFFFD is a real replacement char"}'],
  [7, '{"tail":true}'],
];

describe('splitLines', () => {
  it('splits lines, strips the BOM and CR, counts blank lines', async () => {
    const { events, stats } = await collect(SAMPLE);
    expect(events).toEqual(EXPECTED);
    expect(stats).toEqual({ lines: 7, bytes: Buffer.byteLength(SAMPLE), stopped: false });
  });

  it.each([1, 2, 3, 4, 5, 6, 7])('gives the same lines with %i-byte chunks (boundaries inside chars, CRLF and the BOM)', async (size) => {
    expect((await collect(SAMPLE, size)).events).toEqual(EXPECTED);
  });

  it('gives the same lines with irregular chunk sizes', async () => {
    expect((await collect(SAMPLE, [1, 7, 2, 5, 3, 11, 4])).events).toEqual(EXPECTED);
  });

  it('a final newline does not add an empty line; an empty input has no lines', async () => {
    expect((await collect('{"a":1}\n')).events).toEqual([[1, '{"a":1}']]);
    expect((await collect('')).stats).toEqual({ lines: 0, bytes: 0, stopped: false });
    expect((await collect('\n')).events).toEqual([[1, '']]);
    expect((await collect('\n\n', 1)).events).toEqual([
      [1, ''],
      [2, ''],
    ]);
  });

  it('inputs shorter than a BOM still split correctly', async () => {
    expect((await collect('1', 1)).events).toEqual([[1, '1']]);
    expect((await collect('1\n', 1)).events).toEqual([[1, '1']]);
    expect((await collect(Buffer.from([0xef, 0xbb, 0xbf]), 1)).events).toEqual([]);
  });

  it('a BOM is stripped only at the very start', async () => {
    expect((await collect('{"a":1}\n\uFEFF{"b":2}\n')).events).toEqual([
      [1, '{"a":1}'],
      [2, '\uFEFF{"b":2}'],
    ]);
  });

  describe('line cap', () => {
    it('reports a line over the cap as too-long, skips it and carries on', async () => {
      const input = 'short\n' + 'x'.repeat(40) + '\n' + 'after\n';
      for (const size of [1, 3, 7, 1000]) {
        const { events } = await collect(input, size, 32);
        expect(events).toEqual([
          [1, 'short'],
          [2, '!too-long', 40],
          [3, 'after'],
        ]);
      }
    });
    it('exactly at the cap is fine; one byte more is not', async () => {
      expect((await collect('y'.repeat(32) + '\n', 5, 32)).events).toEqual([[1, 'y'.repeat(32)]]);
      expect((await collect('y'.repeat(33) + '\n', 5, 32)).events).toEqual([[1, '!too-long', 33]]);
    });
    it('an over-long last line without a newline is reported too', async () => {
      expect((await collect('ok\n' + 'z'.repeat(50), 8, 32)).events).toEqual([
        [1, 'ok'],
        [2, '!too-long', 50],
      ]);
    });
    it('the default cap is 10 MB: a 10 MB + 1 line is reported without being buffered whole', async () => {
      expect(MAX_LINE_BYTES).toBe(10 * 1024 * 1024);
      const big = Buffer.alloc(MAX_LINE_BYTES + 1, 0x61);
      const input = Buffer.concat([Buffer.from('{"a":1}\n'), big, Buffer.from('\n{"b":2}\n')]);
      const { events } = await collect(input, 256 * 1024);
      expect(events).toEqual([
        [1, '{"a":1}'],
        [2, '!too-long', MAX_LINE_BYTES + 1],
        [3, '{"b":2}'],
      ]);
    });
  });

  describe('encodings', () => {
    it('flags invalid UTF-8 (binary bytes) per line and keeps going', async () => {
      const input = Buffer.concat([Buffer.from('{"a":1}\n{"b":"'), Buffer.from([0xff, 0x80]), Buffer.from('"}\n{"c":3}\n')]);
      for (const size of [1, 2, 3, 64]) {
        expect((await collect(input, size)).events).toEqual([
          [1, '{"a":1}'],
          [2, '!invalid-utf8', 10],
          [3, '{"c":3}'],
        ]);
      }
    });
    it('a truncated multi-byte sequence at the end of the input is invalid UTF-8', async () => {
      expect((await collect(Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xe2, 0x82])]), 1)).events).toEqual([[1, '!invalid-utf8', 8]]);
    });
    it('a real U+FFFD next to invalid bytes is still caught', async () => {
      const input = Buffer.concat([Buffer.from('"\uFFFD'), Buffer.from([0xc3]), Buffer.from('"\n')]);
      expect((await collect(input)).events).toEqual([[1, '!invalid-utf8', 6]]);
    });
    it('flags NUL bytes', async () => {
      expect((await collect(Buffer.from('{"a":1}\n{"b"\u0000:2}\n'))).events).toEqual([
        [1, '{"a":1}'],
        [2, '!nul-byte', 8],
      ]);
    });
    it.each([
      ['UTF-16LE', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"a":1}\r\n{"b":2}\r\n', 'utf16le')])],
      ['UTF-16BE', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('{"a":1}\n', 'utf16le').swap16()])],
    ])('reports a %s file once and stops', async (_name, input) => {
      for (const size of [1, 2, 1024]) {
        const { events, stats } = await collect(input, size);
        expect(events).toEqual([[1, '!utf-16', 2]]);
        expect(stats.stopped).toBe(true);
      }
    });
    // splitLines checks the encoding once per chunk for the lines wholly inside it and falls
    // back to a check per line when that fails; these pin the fallback's line attribution.
    it('one bad line in a large chunk is reported alone, with its number', async () => {
      const good = (i: number) => `{"i":${i},"t":"müller 日本 😀"}\n`;
      const lines = Array.from({ length: 200 }, (_, i) => Buffer.from(good(i)));
      lines[117] = Buffer.concat([Buffer.from('{"bad":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
      lines[150] = Buffer.from('{"nul":"a\u0000b"}\n');
      const input = Buffer.concat(lines);
      for (const size of [1 << 16, 1000, 333]) {
        const { events } = await collect(input, size);
        expect(events).toHaveLength(200);
        expect(events[117]).toEqual([118, '!invalid-utf8', lines[117]!.length - 1]);
        expect(events[150]).toEqual([151, '!nul-byte', lines[150]!.length - 1]);
        expect(events.filter((e) => e[1].startsWith('!'))).toHaveLength(2);
      }
    });
    it('a bad byte in the line carried over from the previous chunk, or in the unfinished last one, taints only that line', async () => {
      const bad = Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xff]), Buffer.from('"}')]);
      // Chunk 1 ends inside the bad line; chunk 2 holds its end, then clean lines, then the start of another bad line.
      const c1 = Buffer.concat([Buffer.from('{"a":1}\n'), bad.subarray(0, 4)]);
      const c2 = Buffer.concat([bad.subarray(4), Buffer.from('\n{"b":2}\n{"c":3}\n'), Buffer.from('{"d":"\u0000')]);
      const c3 = Buffer.from('"}\n{"e":5}\n');
      async function* three() {
        yield c1;
        yield c2;
        yield c3;
      }
      const events: Event[] = [];
      await splitLines(three(), { line: (t, n) => void events.push([n, t]), issue: (k, n, b) => void events.push([n, `!${k}`, b]) });
      expect(events).toEqual([
        [1, '{"a":1}'],
        [2, '!invalid-utf8', bad.length],
        [3, '{"b":2}'],
        [4, '{"c":3}'],
        [5, '!nul-byte', 9],
        [6, '{"e":5}'],
      ]);
    });
    it('a multi-byte character split across chunks is not mistaken for a bad byte', async () => {
      const input = Buffer.from('{"a":"é"}\n{"b":"日本"}\n{"c":"😀"}\n'.repeat(50));
      const expected = (await collect(input, 1)).events;
      expect(expected.some((e) => e[1].startsWith('!'))).toBe(false);
      for (let size = 2; size < 40; size++) expect((await collect(input, size)).events).toEqual(expected);
    });
    it('any chunking gives the same lines and issues as checking each line alone (property)', async () => {
      const piece = fc.oneof(
        fc.constantFrom('{"a":1}', '', '   ', '{"k":"é日😀"}', '\r', '\uFFFD', '{"z":"\u0000"}'),
        fc.uint8Array({ minLength: 1, maxLength: 6 }).map((b) => Buffer.from(b).toString('latin1')),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(piece, fc.boolean()), { maxLength: 40 }),
          fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
          async (parts, sizes) => {
            // latin1 pieces are raw bytes (often invalid UTF-8); the others are UTF-8 text.
            const input = Buffer.concat(parts.flatMap(([p, nl]) => [/[^\x00-\x7f]/.test(p) && !/[^\x00-\xff]/.test(p) ? Buffer.from(p, 'latin1') : Buffer.from(p), Buffer.from(nl ? '\n' : '')]));
            const reference = await collect(input, 1); // every line spans chunks: each is checked alone
            expect((await collect(input, sizes)).events).toEqual(reference.events);
          },
        ),
        { numRuns: 300 },
      );
    });
    it('UTF-16 without a BOM shows up as NUL bytes', async () => {
      const { events } = await collect(Buffer.from('{"a":1}\n', 'utf16le'));
      expect(events[0]).toEqual([1, '!nul-byte', 14]);
    });
  });

  describe('CR line ends (old Mac, some Excel exports)', () => {
    it('a lone CR ends a line; CRLF still counts once, also split across chunks', async () => {
      const input = '{"a":1}\r{"b":2}\r\r{"c":3}\r\n{"d":4}\n\r\n{"e":5}\r';
      const expected = [
        [1, '{"a":1}'],
        [2, '{"b":2}'],
        [3, ''],
        [4, '{"c":3}'],
        [5, '{"d":4}'],
        [6, ''],
        [7, '{"e":5}'],
      ];
      for (const size of [1, 2, 3, 7, 1 << 16]) {
        const { events, stats } = await collect(input, size);
        expect(events).toEqual(expected);
        expect(stats.lines).toBe(7);
      }
    });
    it('a CR-only file with a BOM and a last line without a terminator', async () => {
      const { events } = await collect('\uFEFFa\rb\rc', 2);
      expect(events).toEqual([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]);
    });
    it('an over-long line ends at a CR too', async () => {
      const { events } = await collect(`${'x'.repeat(50)}\rok\r`, 8, 20);
      expect(events).toEqual([
        [1, '!too-long', 50],
        [2, 'ok'],
      ]);
    });
    it('any mix of LF, CR and CRLF, any chunking: the lines of a universal-newline split (property)', async () => {
      const piece = fc.constantFrom('{"a":1}', '', ' ', 'é日', 'x', '😀');
      const end = fc.constantFrom('\n', '\r', '\r\n');
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(piece, end), { maxLength: 30 }),
          piece,
          fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 6 }),
          async (lines, last, sizes) => {
            const input = lines.map(([p, e]) => p + e).join('') + last;
            // The model: a universal-newline split; a final terminator ends a line, it does not start one.
            const expected = input === '' ? [] : input.split(/\r\n|\r|\n/);
            if (/[\r\n]$/.test(input)) expected.pop();
            const { events } = await collect(input, sizes);
            expect(events).toEqual(expected.map((t, i) => [i + 1, t]));
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('control', () => {
    it('STOP from line() ends the input early', async () => {
      const seen: number[] = [];
      const stats = await splitLines(chunked(Buffer.from('a\nb\nc\nd\n'), 1), {
        line: (_t, n) => (seen.push(n), n === 2 ? STOP : undefined),
        issue: () => undefined,
      });
      expect(seen).toEqual([1, 2]);
      expect(stats.stopped).toBe(true);
    });
    it('STOP from issue() ends the input early', async () => {
      const seen: string[] = [];
      const stats = await splitLines(chunked(Buffer.from('a\n' + 'x'.repeat(20) + '\nc\n'), 4), {
        line: (t) => void seen.push(t),
        issue: (k) => (seen.push(k), STOP),
      }, 10);
      expect(seen).toEqual(['a', 'too-long']);
      expect(stats.stopped).toBe(true);
    });
    it('a promise from line() applies back-pressure in order, and can resolve to STOP', async () => {
      const seen: string[] = [];
      const stats = await splitLines(chunked(Buffer.from('a\nb\nc\nd'), 3), {
        line: async (t) => {
          await new Promise((r) => setTimeout(r, 1));
          seen.push(t);
          return t === 'c' ? STOP : undefined;
        },
        issue: () => undefined,
      });
      expect(seen).toEqual(['a', 'b', 'c']);
      expect(stats.stopped).toBe(true);
    });
    it('prepare runs ahead for each decodable line; line() gets its result, in order, issues interleaved', async () => {
      // Several batches, over-long and undecodable lines among them, a final line without newline.
      const parts: Buffer[] = [];
      for (let i = 0; i < 3 * BATCH_LINES + 5; i++) {
        if (i % 29 === 3) parts.push(Buffer.from('x'.repeat(40) + '\n'));
        else if (i % 31 === 4) parts.push(Buffer.concat([Buffer.from('bad '), Buffer.from([0xff]), Buffer.from('\n')]));
        else parts.push(Buffer.from(`line ${i}\n`));
      }
      parts.push(Buffer.from('tail'));
      const input = Buffer.concat(parts);
      for (const size of [7, 100, 1 << 16]) {
        const plain = await collect(input, size, 32);
        const events: Event[] = [];
        const prepared: string[] = [];
        await splitLines(chunked(input, size), {
          prepare: (t) => (prepared.push(t), t.toUpperCase()),
          line: (t, n, p) => {
            expect(p).toBe(t.toUpperCase());
            events.push([n, t]);
          },
          issue: (k, n, b) => void events.push([n, `!${k}`, b]),
        }, 32);
        expect(events).toEqual(plain.events);
        expect(prepared).toEqual(plain.events.filter((e) => e.length === 2).map((e) => e[1]));
      }
    });
    it('STOP inside a batch: later lines may have been prepared, but never reach line()', async () => {
      const input = Array.from({ length: 10 }, (_, i) => `l${i + 1}`).join('\n') + '\n';
      const seen: number[] = [];
      const stats = await splitLines(chunked(Buffer.from(input), 1 << 16), {
        prepare: (t) => t,
        line: (_t, n) => (seen.push(n), n === 4 ? STOP : undefined),
        issue: () => undefined,
      });
      expect(seen).toEqual([1, 2, 3, 4]);
      expect(stats).toMatchObject({ lines: 4, stopped: true });
    });
    it('a promise inside a batch holds back the rest of the batch until it settles', async () => {
      const input = Array.from({ length: BATCH_LINES + 10 }, (_, i) => `l${i + 1}`).join('\n') + '\n';
      const order: string[] = [];
      const stats = await splitLines(chunked(Buffer.from(input), 1 << 16), {
        line: (t, n) => {
          order.push(t);
          if (n % 7 === 0) return new Promise<undefined | typeof STOP>((r) => setTimeout(() => (order.push(`done ${t}`), r(n === 63 ? STOP : undefined)), 1));
          return undefined;
        },
        issue: () => undefined,
      });
      const expected: string[] = [];
      for (let n = 1; n <= 63; n++) expected.push(`l${n}`, ...(n % 7 === 0 ? [`done l${n}`] : []));
      expect(order).toEqual(expected);
      expect(stats).toMatchObject({ lines: 63, stopped: true });
    });
    it('accepts string chunks', async () => {
      async function* strings() {
        yield '{"a":';
        yield '1}\n{"b":2}';
      }
      const events: string[] = [];
      await splitLines(strings(), { line: (t) => void events.push(t), issue: () => undefined });
      expect(events).toEqual(['{"a":1}', '{"b":2}']);
    });
  });
});
