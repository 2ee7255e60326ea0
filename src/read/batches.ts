/**
 * A large JSONL file cut into batches of whole lines, for worker threads (line-pool.ts):
 * the bytes are read straight into each batch's buffer and the lines counted here, so every
 * batch knows its first line number. Used by `import` and `validate` for large files
 * (docs/import.md "Performance", docs/validate.md "Speed on a large JSONL file").
 */
import { open } from 'node:fs/promises';
import { MAX_LINE_BYTES, splitLines, startsUtf16 } from './lines.js';
import { jsonlLineReader, type RecordInfo } from './records.js';

/** Bytes per batch: large enough that messages are few, small enough that the threads share the work evenly. */
export const BATCH_BYTES = 1024 * 1024;
/** A batch buffer holds a batch and the chunk that completed it (a file stream's chunks are 256 KB). */
export const BATCH_BUFFER_BYTES = BATCH_BYTES + 512 * 1024;

/** Lines of one file: `bytes[0, length)` holds whole lines, cut after a line end. */
export interface LinesJob {
  bytes: ArrayBuffer;
  length: number;
  file: string;
  /** Lines of the file before these bytes. */
  linesBefore: number;
  /** Lines in these bytes, as the main thread counted them (the worker checks). */
  lines: number;
}

/** A line longer than MAX_LINE_BYTES that no batch could hold: the main thread reports it itself. */
export interface LongLine {
  longLine: number;
}

/** Where lineBatches takes its bytes from. */
export interface BatchBytes {
  /** Fills `target[at, end)` as far as the next bytes go; resolves to how many (0: the input has ended). */
  fill(target: Buffer, at: number, end: number): Promise<number>;
}

/** Bytes copied out of a stream's chunks (stdin, a gzip file's content, the chunks read ahead). */
export function chunkBytes(chunks: AsyncIterable<Buffer> | Iterable<Buffer>): BatchBytes {
  const it = Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : chunks[Symbol.iterator]();
  let chunk: Buffer | undefined;
  let pos = 0;
  return {
    async fill(target, at, end) {
      while (chunk === undefined || pos === chunk.length) {
        const n = await it.next();
        if (n.done) return 0;
        chunk = n.value;
        pos = 0;
      }
      const copied = chunk.copy(target, at, pos, Math.min(chunk.length, pos + end - at));
      pos += copied;
      return copied;
    },
  };
}

/**
 * A plain file read straight into each batch's buffer, after any UTF-8 byte order mark (and
 * `utf16` when it starts with a UTF-16 one, which no batch reader decodes): no
 * chunk is allocated or copied on the main thread (a stream's chunks are as much memory
 * outside the heap as the file is large, which makes V8 collect garbage over and over).
 */
export async function fileBytes(path: string): Promise<BatchBytes & { close(): Promise<void>; utf16: boolean }> {
  const handle = await open(path, 'r');
  let position = 0;
  let utf16: boolean;
  try {
    const bom = Buffer.alloc(3);
    const { bytesRead } = await handle.read(bom, 0, 3, 0);
    if (bytesRead === 3 && bom[0] === 0xef && bom[1] === 0xbb && bom[2] === 0xbf) position = 3;
    utf16 = bytesRead >= 2 && startsUtf16(bom);
  } catch (e) {
    await handle.close();
    throw e;
  }
  return {
    async fill(target, at, end) {
      const { bytesRead } = await handle.read(target, at, end - at, position);
      position += bytesRead;
      return bytesRead;
    },
    close: () => handle.close(),
    utf16,
  };
}

/** Line ends (LF, CR, CRLF as one) in `b`; a CR as the last byte counts (the caller knows no LF follows). */
function countLineEnds(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  for (let i = b.indexOf(13); i !== -1; i = b.indexOf(13, i + 1)) if (b[i + 1] !== 10) n++;
  return n;
}

/**
 * Where to cut `b[0, length)` so the first part holds whole lines: after its last LF, or
 * after its last CR when a byte follows it (a CR at the very end may be the first half of a
 * CRLF; at the input's end, `ended`, it is a line end). -1: none.
 */
function cutPoint(b: Buffer, length: number, ended: boolean): number {
  const lf = b.lastIndexOf(10, length - 1);
  let cr = b.lastIndexOf(13, length - 1);
  if (cr === length - 1 && !ended) cr = cr > 0 ? b.lastIndexOf(13, cr - 1) : -1;
  const end = Math.max(lf, cr);
  return end === -1 ? -1 : end + 1;
}

/** First line end (LF or CR) in `b[from, to)`, or -1. */
function firstLineEnd(b: Buffer, from: number, to: number): number {
  const lf = b.subarray(0, to).indexOf(10, from);
  const cr = b.subarray(0, to).indexOf(13, from);
  return lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
}

/**
 * A file's bytes (after any byte order mark) as batches of whole lines with their line
 * numbers, and the lines too long to batch, in file order. Each batch's bytes are filled
 * into its own buffer (`batchBuffer`), which travels to a worker thread; only the start of a
 * line cut off at a batch's end is copied into the next. What a line is — LF, CR or CRLF
 * ending it, longer than MAX_LINE_BYTES — is as the line splitter (read/lines.ts) has it;
 * the workers split each batch with that splitter and check the count made here.
 */
export async function* lineBatches(
  input: BatchBytes | AsyncIterable<Buffer> | Iterable<Buffer>,
  file: string,
  batchBuffer: (min: number) => ArrayBuffer = (min) => new ArrayBuffer(min),
  { batchBytes = BATCH_BYTES, maxLineBytes = MAX_LINE_BYTES } = {},
): AsyncGenerator<LinesJob | LongLine> {
  // (Told apart by being iterable: an array of chunks has a `fill` method of its own.)
  const bytes = Symbol.asyncIterator in input || Symbol.iterator in input ? chunkBytes(input as Iterable<Buffer>) : (input as BatchBytes);
  let buffer = batchBuffer(batchBytes);
  let buf = Buffer.from(buffer);
  let length = 0; // bytes in buf: whole lines and the start of one
  let linesBefore = 0;
  let ended = false;
  // Bytes to hold before looking for a cut: a batch's worth, or (inside a long line) twice what is held.
  let want = batchBytes;
  // Inside a line too long to hold: its bytes are dropped up to its end.
  let skipping = false;
  let skipLF = false; // a line ended with a CR as the last byte read: an LF next is its end too

  /** Reads more into buf[length, …), growing buf to hold `want` bytes; false at the input's end. */
  const more = async (): Promise<boolean> => {
    if (buf.length < want) {
      const grown = batchBuffer(want);
      const next = Buffer.from(grown);
      buf.copy(next, 0, 0, length);
      buffer = grown;
      buf = next;
    }
    const n = await bytes.fill(buf, length, buf.length);
    if (n === 0) return false;
    if (skipLF) {
      skipLF = false;
      if (buf[length] === 10) {
        buf.copyWithin(length, length + 1, length + n);
        length += n - 1;
        return true;
      }
    }
    length += n;
    return true;
  };
  /** The first `cut` bytes as a job; the rest (the start of a line) moves to a new buffer, as this one goes to a thread. */
  const take = (cut: number): LinesJob => {
    const lines = countLineEnds(buf.subarray(0, cut));
    const job: LinesJob = { bytes: buffer, length: cut, file, linesBefore, lines };
    linesBefore += lines;
    const rest = length - cut;
    length = rest;
    // The input's last batch needs no buffer after it (one taken from the pool would be lost).
    if (rest === 0 && ended) return job;
    buffer = batchBuffer(Math.max(batchBytes, rest));
    const next = Buffer.from(buffer);
    buf.copy(next, 0, cut, cut + rest);
    buf = next;
    return job;
  };

  for (;;) {
    try {
      while (!ended && length < want) if (!(await more())) ended = true;
    } catch (e) {
      // A read error: the whole lines that arrived are still read, as the line splitter reads them.
      if (!skipping && length > 0) {
        const end = Math.max(buf.lastIndexOf(10, length - 1), buf.lastIndexOf(13, length - 1));
        if (end !== -1) yield take(end + 1);
      }
      throw e;
    }
    if (skipping) {
      const end = firstLineEnd(buf, 0, length);
      if (end === -1) {
        length = 0; // dropped
        if (ended) {
          linesBefore++;
          yield { longLine: linesBefore };
          return;
        }
        continue;
      }
      skipping = false;
      linesBefore++;
      yield { longLine: linesBefore };
      let next = end + 1;
      if (buf[end] === 13) {
        if (next === length) skipLF = !ended;
        else if (buf[next] === 10) next++;
      }
      buf.copyWithin(0, next, length);
      length -= next;
      want = batchBytes;
      continue;
    }
    if (length === 0) return;
    const cut = cutPoint(buf, length, ended);
    if (cut > 0 && (cut < length || !ended)) {
      want = batchBytes;
      yield take(cut);
    } else if (ended) {
      // The last line may have no line end: it is a line all the same.
      const last = buf[length - 1];
      const job = take(length);
      if (last !== 10 && last !== 13) {
        job.lines++;
        linesBefore++;
      }
      yield job;
      return;
    } else if (length - 1 > maxLineBytes) {
      // One line, longer than any line may be (even if its last byte ended it): drop it up to its end.
      const end = firstLineEnd(buf, 0, length);
      length = 0;
      want = batchBytes;
      if (end === -1) skipping = true;
      else {
        // Only a CR as the very last byte can end it here (cutPoint found no other line end).
        linesBefore++;
        yield { longLine: linesBefore };
        skipLF = true;
      }
    } else want = length * 2; // a long line: look again when twice as much has arrived
  }
}

/**
 * The records of a batch by line, read again on the main thread from the bytes a worker
 * handed back: for the rare line it needs whole (an id that repeats an earlier one).
 */
export async function batchRecords(bytes: ArrayBuffer, length: number, linesBefore: number): Promise<Map<number, RecordInfo>> {
  const byLine = new Map<number, RecordInfo>();
  const reader = jsonlLineReader({ record: (r) => void byLine.set(r.line, r), fault: () => undefined });
  await splitLines([Buffer.from(bytes, 0, length)], reader.handler, MAX_LINE_BYTES, { linesBefore, fileStart: false });
  return byLine;
}
