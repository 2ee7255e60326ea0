/**
 * Opening import sources: files or stdin, gzip-transparent (by the 1f 8b magic bytes, so
 * `.json.gz` and a gzipped file without the suffix both work), with the first bytes
 * available for sniffing before the stream is consumed.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Source, SourceFormat } from '../read/records.js';
import { gunzip } from './gunzip.js';

export type InputMode = 'csv' | 'json';

/** How much decompressed text a peek collects (enough for a header and a first record). */
export const PEEK_BYTES = 256 * 1024;

export class SourceOpenError extends Error {}

/** The name without a trailing `.gz`. */
function innerName(name: string): string {
  return name.replace(/\.gz$/i, '');
}

/** Reading mode from the file name (`.csv`, `.json`, `.jsonl`, `.ndjson`, each optionally `.gz`). */
export function modeFromName(name: string): InputMode | undefined {
  const n = innerName(name).toLowerCase();
  if (n.endsWith('.csv')) return 'csv';
  if (/\.(json|jsonl|ndjson)$/.test(n)) return 'json';
  return undefined;
}

/**
 * JSON flavour from the file name; undefined → sniff. Only `.jsonl`/`.ndjson` are trusted:
 * exports named `.json` are often one record per line (Bedrock's S3 invocation logs), and
 * the sniff tells a JSON array or multi-line object from JSONL by the first line.
 */
export function jsonFormatFromName(name: string): SourceFormat | undefined {
  const n = innerName(name).toLowerCase();
  if (n.endsWith('.jsonl') || n.endsWith('.ndjson')) return 'jsonl';
  return undefined;
}

/** Reading mode from the first bytes: `{` or `[` → JSON, anything else → CSV. */
export function modeFromText(head: string): InputMode {
  const t = head.replace(/^\uFEFF/, '').trimStart();
  return t.startsWith('{') || t.startsWith('[') ? 'json' : 'csv';
}

export interface OpenedSource {
  /** The first decompressed bytes (up to PEEK_BYTES; fewer when the input is shorter). */
  head: Buffer;
  gzip: boolean;
  /** The whole decompressed content, head included. Iterate once. */
  chunks: AsyncIterable<Buffer>;
  /** After `chunks` is done: what was wrong with the gzip data (trailing bytes, bad CRC, cut off), if anything. */
  damage(): string | undefined;
  /** Bytes read from the file (or stdin) so far, as stored: a gzip file's compressed bytes (for the progress line). */
  bytesRead(): number;
  close(): void;
}

function rawStream(path: string): Readable {
  return path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 256 * 1024 });
}

export async function openSource(source: Source): Promise<OpenedSource> {
  const raw = rawStream(source.path);
  const rawIt = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let first: Buffer | undefined;
  let rawBytes = 0;
  try {
    // Read until there are 2 bytes to check the gzip magic (or the input ends).
    const parts: Buffer[] = [];
    let len = 0;
    while (len < 2) {
      const n = await rawIt.next();
      if (n.done) break;
      const b = typeof n.value === 'string' ? Buffer.from(n.value) : n.value;
      parts.push(b);
      len += b.length;
    }
    first = Buffer.concat(parts);
    rawBytes = len;
  } catch (e) {
    raw.destroy();
    const err = e as NodeJS.ErrnoException;
    throw new SourceOpenError(`${source.name}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message}`);
  }
  const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  async function* rawChunks(): AsyncGenerator<Buffer> {
    if (first!.length > 0) yield first!;
    for (;;) {
      const n = await rawIt.next();
      if (n.done) return;
      const b = typeof n.value === 'string' ? Buffer.from(n.value) : n.value;
      rawBytes += b.length;
      yield b;
    }
  }
  const unzipped = gzip ? gunzip(rawChunks()) : undefined;
  const decoded: AsyncIterator<Buffer> = unzipped ? unzipped.chunks : rawChunks();
  // Collect the head for sniffing, then replay it in front of the rest.
  const headParts: Buffer[] = [];
  let headLen = 0;
  let ended = false;
  let headError: unknown;
  try {
    while (headLen < PEEK_BYTES) {
      const n = await decoded.next();
      if (n.done) {
        ended = true;
        break;
      }
      headParts.push(n.value);
      headLen += n.value.length;
    }
  } catch (e) {
    // A read error: whatever arrived so far is still read; the error surfaces after it.
    headError = e;
    ended = true;
  }
  const head = Buffer.concat(headParts);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (headError) throw headError;
    if (ended) return;
    for (;;) {
      const n = await decoded.next();
      if (n.done) return;
      yield n.value;
    }
  }
  return {
    head,
    gzip,
    chunks: all(),
    damage: () => unzipped?.damage(),
    bytesRead: () => rawBytes,
    close() {
      if (raw !== process.stdin) raw.destroy();
    },
  };
}

/**
 * Reads ahead until `minBytes` have arrived (or the input ended), to tell a large input
 * from a small one before choosing how to convert it (stdin has no size to look up, and a
 * gzip file's size is not its content's). `chunks` replays everything, in the same chunks.
 */
export async function readAhead(chunks: AsyncIterable<Buffer>, minBytes: number): Promise<{ chunks: AsyncIterable<Buffer>; reachedMinimum: boolean }> {
  const it = chunks[Symbol.asyncIterator]();
  const ahead: Buffer[] = [];
  let bytes = 0;
  let ended = false;
  let error: unknown;
  try {
    while (bytes < minBytes || ahead.length === 0) {
      const n = await it.next();
      if (n.done) {
        ended = true;
        break;
      }
      ahead.push(n.value);
      bytes += n.value.length;
    }
  } catch (e) {
    // A read error: what arrived is still read; the error surfaces after it, where it would have.
    error = e;
    ended = true;
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* ahead;
    if (error !== undefined) throw error;
    if (ended) return;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  }
  return { chunks: replay(), reachedMinimum: bytes >= minBytes };
}
