/**
 * gzip decompression that keeps every byte that decompressed when the file is damaged.
 *
 * Why not zlib.createGunzip: on trailing bytes after the data, a bad CRC or a cut-off
 * file it raises an error and drops the output of the write that failed — up to 16 KB of
 * text, all of it for a small file — so an import lost every row while `gzip -dc`
 * recovered them. Here the gzip framing (RFC 1952: header, deflate body, CRC-32 and size
 * trailer, members one after another) is read by hand and only the deflate body goes
 * through zlib (inflateRaw), fed in small slices so a failure costs at most one slice.
 * The damage is reported after everything that decompressed has been handed on.
 */
import { constants, crc32, createInflateRaw, type InflateRaw } from 'node:zlib';

/** Raw bytes handed to zlib per write: bounds what one failed write can lose, and what one write can expand to. */
const SLICE_BYTES = 8 * 1024;
/** Longest gzip header read (file name and comment fields included) before calling it damaged. */
const MAX_HEADER_BYTES = 64 * 1024;

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

export interface Gunzipped {
  /** The decompressed bytes, member after member. Iterate once. */
  chunks: AsyncGenerator<Buffer>;
  /** After `chunks` is done: what was wrong with the gzip data, or undefined when it was whole. */
  damage(): string | undefined;
}

/** Bytes from an async source, read as needed; `offset` counts bytes taken. */
class ByteReader {
  private parts: Buffer[] = [];
  private length = 0;
  private ended = false;
  offset = 0;
  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** Reads until `n` bytes are buffered; false when the input ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.length < n && !this.ended) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) {
        this.parts.push(next.value);
        this.length += next.value.length;
      }
    }
    return this.length >= n;
  }

  get buffered(): number {
    return this.length;
  }

  byteAt(i: number): number {
    for (const p of this.parts) {
      if (i < p.length) return p[i]!;
      i -= p.length;
    }
    return -1;
  }

  /** Takes n buffered bytes (the caller has filled at least n). */
  take(n: number): Buffer {
    let out: Buffer;
    const first = this.parts[0]!;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.parts.shift();
      else this.parts[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.parts, this.length);
      out = all.subarray(0, n);
      this.parts = all.length > n ? [all.subarray(n)] : [];
    }
    this.length -= out.length;
    this.offset += out.length;
    return out;
  }

  /** Puts bytes back in front (the part of a slice zlib did not consume). */
  unshift(b: Buffer): void {
    if (b.length === 0) return;
    this.parts.unshift(b);
    this.length += b.length;
    this.offset -= b.length;
  }

  /** True when everything left in the input is zero bytes (padding gzip itself ignores). Reads it all. */
  async restIsZeros(): Promise<boolean> {
    for (;;) {
      for (const p of this.parts) if (p.some((b) => b !== 0)) return false;
      this.offset += this.length;
      this.parts = [];
      this.length = 0;
      if (!(await this.fill(1))) return true;
    }
  }
}

/** Length of the gzip header at the front of `r`, or a damage message. */
async function headerLength(r: ByteReader): Promise<number | string> {
  const truncated = 'the file is truncated inside a gzip header';
  if (!(await r.fill(10))) return truncated;
  if (r.byteAt(2) !== 8) return `unknown gzip compression method ${r.byteAt(2)}`;
  const flags = r.byteAt(3);
  let len = 10;
  if (flags & FEXTRA) {
    if (!(await r.fill(len + 2))) return truncated;
    len += 2 + (r.byteAt(len) | (r.byteAt(len + 1) << 8));
  }
  for (const field of [FNAME, FCOMMENT]) {
    if (!(flags & field)) continue;
    for (;;) {
      if (len > MAX_HEADER_BYTES) return 'the gzip header is too long (damaged data)';
      if (!(await r.fill(len + 1))) return truncated;
      if (r.byteAt(len++) === 0) break;
    }
  }
  if (flags & FHCRC) len += 2;
  if (!(await r.fill(len))) return truncated;
  return len;
}

/** Writes one slice and waits until zlib has processed it (or failed). */
function write(inflate: InflateRaw, slice: Buffer): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const onError = (e: Error) => resolve(e);
    inflate.once('error', onError);
    inflate.write(slice, (e) => {
      inflate.off('error', onError);
      // Output pushed during the write is emitted by the next tick at the latest.
      setImmediate(() => resolve(e ?? undefined));
    });
  });
}

function endOf(inflate: InflateRaw): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const onError = (e: Error) => resolve(e);
    inflate.once('error', onError);
    inflate.end(() => {
      inflate.off('error', onError);
      setImmediate(() => resolve(undefined));
    });
  });
}

export function gunzip(raw: AsyncIterator<Buffer>): Gunzipped {
  let damage: string | undefined;
  async function* chunks(): AsyncGenerator<Buffer> {
    const r = new ByteReader(raw);
    for (let member = 0; ; member++) {
      if (!(await r.fill(2))) {
        if (member === 0 || (r.buffered > 0 && !(await r.restIsZeros()))) damage = 'the file is truncated inside a gzip header';
        return;
      }
      if (r.byteAt(0) !== 0x1f || r.byteAt(1) !== 0x8b) {
        if (member > 0) {
          const at = r.offset;
          if (!(await r.restIsZeros())) damage = `unexpected bytes after the end of the gzip data (at byte ${at}); they were ignored`;
        } else damage = 'not gzip data';
        return;
      }
      const header = await headerLength(r);
      if (typeof header === 'string') {
        damage = header;
        return;
      }
      r.take(header);
      // Z_SYNC_FLUSH at the end: a cut-off body still hands on all it decoded instead of failing.
      const inflate = createInflateRaw({ finishFlush: constants.Z_SYNC_FLUSH });
      const out: Buffer[] = [];
      inflate.on('data', (b: Buffer) => out.push(b));
      let crc = 0;
      let size = 0;
      let fed = 0;
      let bodyEnded = false;
      try {
        while (!bodyEnded) {
          let failure: Error | undefined;
          if (await r.fill(1)) {
            const slice = r.take(Math.min(SLICE_BYTES, r.buffered));
            fed += slice.length;
            failure = await write(inflate, slice);
            const unused = fed - inflate.bytesWritten;
            if (unused > 0) {
              // zlib stopped at the end of the deflate body: the rest is the trailer and what follows.
              r.unshift(slice.subarray(slice.length - unused));
              bodyEnded = true;
            }
          } else {
            failure = await endOf(inflate);
            bodyEnded = true;
            if (!failure) damage = 'the file is truncated: the gzip data ends early';
          }
          for (const b of out) {
            crc = crc32(b, crc);
            size += b.length;
            yield b;
          }
          out.length = 0;
          if (failure && !damage) damage = `the gzip data is corrupt (${failure.message}) at byte ${r.offset}`;
          if (damage) return;
        }
      } finally {
        inflate.destroy();
      }
      if (!(await r.fill(8))) {
        damage = 'the file is truncated: the gzip trailer (CRC and size) is missing';
        return;
      }
      const trailer = r.take(8);
      if (trailer.readUInt32LE(0) !== crc >>> 0 || trailer.readUInt32LE(4) !== size % 2 ** 32) {
        damage = 'the gzip CRC check failed: the data is corrupt';
        return;
      }
    }
  }
  return { chunks: chunks(), damage: () => damage };
}
