/**
 * The damage-tolerant gunzip: whole files, several members, and damaged files (trailing
 * bytes, a bad CRC, cut anywhere) — every byte that decompressed is handed on, and the
 * damage is named.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { gunzip } from '../../src/importers/gunzip.js';

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function decompress(buf: Buffer, size = 65536) {
  const g = gunzip(chunked(buf, size));
  const parts: Buffer[] = [];
  for await (const c of g.chunks) parts.push(c);
  return { text: Buffer.concat(parts).toString('utf8'), damage: g.damage() };
}

const BIG = Array.from({ length: 20000 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(i % 50) })).join('\n') + '\n';
const SMALL = '{"a":1}\n{"b":2}\n';
const withBadCrc = (gz: Buffer) => {
  const b = Buffer.from(gz);
  b[b.length - 8]! ^= 0xff;
  return b;
};

describe('gunzip', () => {
  it.each([
    ['a big file', BIG],
    ['a small file', SMALL],
    ['an empty file', ''],
  ])('whole: %s decompresses exactly, no damage, with any chunking', async (_n, text) => {
    const gz = gzipSync(text);
    for (const size of [1, 3, 10, 4096, 65536]) {
      if (size < 10 && gz.length > 20000) continue;
      expect(await decompress(gz, size)).toEqual({ text, damage: undefined });
    }
  });

  it('several members one after another (cat a.gz b.gz) and trailing zero padding are whole', async () => {
    const gz = Buffer.concat([gzipSync(SMALL), gzipSync(BIG), Buffer.alloc(512)]);
    expect(await decompress(gz, 999)).toEqual({ text: SMALL + BIG, damage: undefined });
  });

  it('a header with a file name, comment and extra field', async () => {
    const plain = gzipSync(SMALL);
    const name = Buffer.from('spend.jsonl\0');
    const comment = Buffer.from('exported\0');
    const extra = Buffer.from([4, 0, 1, 2, 3, 4]);
    const head = Buffer.from(plain.subarray(0, 10));
    head[3] = 4 | 8 | 16;
    const gz = Buffer.concat([head, extra, name, comment, plain.subarray(10)]);
    expect(await decompress(gz, 5)).toEqual({ text: SMALL, damage: undefined });
  });

  it.each([
    ['trailing garbage', (gz: Buffer) => Buffer.concat([gz, Buffer.from('garbage!!')]), /unexpected bytes after the end of the gzip data/],
    ['a trailing half header', (gz: Buffer) => Buffer.concat([gz, Buffer.from([0x1f, 0x8b, 8])]), /truncated inside a gzip header/],
    ['a bad CRC', withBadCrc, /CRC check failed/],
    ['a cut-off trailer', (gz: Buffer) => gz.subarray(0, gz.length - 3), /trailer .* is missing/],
  ])('%s: every record is kept and the damage is named', async (_n, damageIt, message) => {
    for (const text of [SMALL, BIG]) {
      const r = await decompress(damageIt(gzipSync(text)), 4096);
      expect(r.text).toBe(text);
      expect(r.damage).toMatch(message);
    }
  });

  it('a file cut inside the deflate body keeps what decoded before the cut', async () => {
    const gz = gzipSync(BIG);
    const r = await decompress(gz.subarray(0, Math.floor(gz.length * 0.7)));
    expect(r.damage).toMatch(/truncated/);
    expect(r.text.length).toBeGreaterThan(BIG.length * 0.6);
    expect(BIG.startsWith(r.text)).toBe(true);
  });

  it('corrupt deflate data is named, and what came before it is kept', async () => {
    const gz = Buffer.from(gzipSync(BIG));
    gz.fill(0xff, Math.floor(gz.length / 2), Math.floor(gz.length / 2) + 64);
    const r = await decompress(gz);
    expect(r.damage).toMatch(/corrupt/);
    expect(r.text.length).toBeGreaterThan(0);
  });

  it('not gzip at all', async () => {
    expect((await decompress(Buffer.from('hello'))).damage).toBe('not gzip data');
  });

  it('any text, any cut point or trailing bytes, any chunking: output is the text or a prefix of it, damage named exactly when damaged (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('{"a":1}', '', '{"k":"é日😀"}', 'x,y,z'), { maxLength: 300 }).map((l) => l.join('\n')),
        fc.oneof(
          fc.record({ kind: fc.constant('whole' as const) }),
          fc.record({ kind: fc.constant('cut' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
          fc.record({ kind: fc.constant('trailing' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
          fc.record({ kind: fc.constant('crc' as const) }),
        ),
        fc.integer({ min: 1, max: 5000 }),
        async (text, how, size) => {
          const gz = gzipSync(text);
          let input = gz;
          if (how.kind === 'cut') input = gz.subarray(0, Math.floor(how.at * (gz.length - 1)));
          if (how.kind === 'trailing') input = Buffer.concat([gz, Buffer.from(how.bytes)]);
          if (how.kind === 'crc') input = withBadCrc(gz);
          const r = await decompress(input, size);
          expect(text.startsWith(r.text)).toBe(true);
          if (how.kind === 'whole') expect(r).toEqual({ text, damage: undefined });
          if (how.kind === 'crc') expect(r).toEqual({ text, damage: expect.stringMatching(/CRC/) });
          if (how.kind === 'cut') expect(r.damage).toBeDefined();
          if (how.kind === 'trailing') {
            expect(r.text).toBe(text);
            // Zero padding is what gzip itself ignores; anything else is named.
            expect(r.damage === undefined).toBe(how.bytes.every((b) => b === 0));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
