/**
 * The main thread cuts a large JSONL file into batches of whole lines for the worker threads
 * and numbers them (src/importers/parallel.ts). Read batch by batch, the lines must be
 * exactly those the line splitter reads from the whole stream: same numbers, same text,
 * same too-long lines — whatever the line ends (LF, CR, CRLF split across chunks) and
 * however the stream is chunked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitLines } from '../../src/read/lines.js';
import { lineBatches } from '../../src/read/batches.js';

const MAX = 8;
const SEGMENTS = ['a', 'bb', '{"k":1}', '\n', '\r', '\r\n', '\n\n', 'x'.repeat(MAX + 3), 'y'.repeat(MAX)];

type Line = [number, string];

async function linesOf(chunks: Iterable<Buffer>, linesBefore = 0): Promise<{ lines: Line[]; count: number }> {
  const lines: Line[] = [];
  const stats = await splitLines(
    chunks,
    {
      line: (text, n) => void lines.push([n, text]),
      issue: (kind, n) => void lines.push([n, `<${kind}>`]),
    },
    MAX,
    { linesBefore, fileStart: false },
  );
  return { lines, count: stats.lines - linesBefore };
}

function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    if (c > from) out.push(bytes.subarray(from, c));
    from = Math.max(from, c);
  }
  if (from < bytes.length) out.push(bytes.subarray(from));
  return out;
}

describe('lineBatches', () => {
  it('numbers and cuts lines as the line splitter reads them, however the stream is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 40 }), fc.array(fc.nat(400), { maxLength: 12 }), fc.integer({ min: 1, max: 24 }), async (segments, cuts, batchBytes) => {
        const bytes = Buffer.from(segments.join(''));
        const whole = await linesOf(chunked(bytes, cuts));
        const batched: Line[] = [];
        for await (const item of lineBatches(chunked(bytes, cuts), 'f', undefined, { batchBytes, maxLineBytes: MAX })) {
          if ('longLine' in item) batched.push([item.longLine, '<too-long>']);
          else {
            const got = await linesOf([Buffer.from(item.bytes, 0, item.length)], item.linesBefore);
            expect(got.count).toBe(item.lines);
            batched.push(...got.lines);
          }
        }
        expect(batched).toEqual(whole.lines);
      }),
      { numRuns: 400 },
    );
  });
});
