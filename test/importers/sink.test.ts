/**
 * LineSink encodes lines straight into byte chunks: whatever the mix of line lengths and
 * characters, the bytes written must be exactly the UTF-8 of the lines in order, with
 * back-pressure honoured and a write error reported, not thrown from inside the stream.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSink, OutputError } from '../../src/importers/sink.js';

function memory(opts: { highWaterMark?: number; fail?: Error } = {}) {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    highWaterMark: opts.highWaterMark,
    write(c: Buffer, _e, cb) {
      chunks.push(Buffer.from(c));
      setImmediate(() => cb(opts.fail ?? null));
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}

const lineArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 500, unit: 'grapheme' }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40, unit: 'binary' }) }, // lone surrogates, as a raw reject row may hold
  { weight: 1, arbitrary: fc.nat({ max: 70_000 }).map((n) => 'é'.repeat(n)) }, // longer than a chunk
);

describe('LineSink', () => {
  it('writes exactly the UTF-8 of its lines, in order, across chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { maxLength: 300 }), async (lines) => {
        const m = memory();
        const sink = new LineSink(m.stream, 'memory');
        for (const l of lines) {
          sink.write(l + '\n');
          if (sink.needsDrain) await sink.drain();
        }
        await sink.end();
        expect(m.bytes().equals(Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8'))).toBe(true);
      }),
      { numRuns: 150, seed: 20261127 },
    );
  });

  it('asks for a drain when the stream is full, and carries on after it', async () => {
    const m = memory({ highWaterMark: 1024 });
    const sink = new LineSink(m.stream, 'memory');
    let drains = 0;
    const line = JSON.stringify({ model: 'gpt-4o-mini', text: 'x'.repeat(300) }) + '\n';
    for (let i = 0; i < 2000; i++) {
      sink.write(line);
      if (sink.needsDrain) {
        drains++;
        await sink.drain();
      }
    }
    await sink.end();
    expect(drains).toBeGreaterThan(0);
    expect(m.bytes().toString('utf8')).toBe(line.repeat(2000));
  });

  it('reports a failed stream as an OutputError on the next write or at the end', async () => {
    const m = memory({ fail: Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }) });
    const sink = new LineSink(m.stream, 'out.jsonl');
    const line = 'x'.repeat(1000) + '\n';
    let error: unknown;
    try {
      for (let i = 0; i < 1000; i++) {
        sink.write(line);
        if (sink.needsDrain) await sink.drain();
      }
      await sink.end();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OutputError);
    expect((error as Error).message).toBe('cannot write out.jsonl: no space left on device');
  });
});
