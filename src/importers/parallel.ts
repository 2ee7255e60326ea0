/**
 * The main thread's side of converting a large JSONL file in worker threads (docs/import.md
 * "Performance"): the bytes are cut into batches of whole lines (counted here, so every
 * batch knows its first line number), each batch goes to the least busy worker as one
 * transferred buffer, and the results are handed on strictly in file order. At most
 * IN_FLIGHT_PER_THREAD batches per thread are out at a time, so memory stays flat whatever
 * the file's size; run.ts applies each result (order, duplicate ids, tally, output).
 *
 * Loaded only when an import has such a file: a small import starts no thread.
 */
import { open } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { MAX_LINE_BYTES } from '../read/lines.js';
import type { BatchJob, BatchResult, BatchSetup } from './batch.js';

/** Bytes per batch: large enough that messages are few, small enough that the threads share the work evenly. */
const BATCH_BYTES = 1024 * 1024;
/** A batch buffer holds a batch and the chunk that completed it (a file stream's chunks are 256 KB). */
const BATCH_BUFFER_BYTES = BATCH_BYTES + 512 * 1024;
const IN_FLIGHT_PER_THREAD = 2;

/** A worker thread failed or ended early: a bug, reported as an internal error (with the thread's stack). */
class WorkerFailure extends Error {
  constructor(message: string, stack?: string) {
    super(message);
    this.name = 'WorkerFailure';
    if (stack) this.stack = `${this.name}: ${message}\n  in the worker thread: ${stack}`;
  }
}

interface Thread {
  worker: Worker;
  /** Jobs sent and not yet answered, oldest first: a worker answers in order. */
  waiting: { resolve(r: BatchResult): void; reject(e: Error): void }[];
}

export class WorkerPool {
  private readonly threads: Thread[] = [];
  private failure: Error | undefined;
  /** Buffers of applied results, filled again by the next batches: memory stays flat. */
  private readonly inputs: ArrayBuffer[] = [];
  private readonly outputs: NonNullable<BatchJob['spare']>[] = [];

  constructor(setup: BatchSetup, count: number) {
    // The threads keep the cores busy themselves: a young-generation collection split into
    // helper tasks only waits for a core to run them. One thread per collection made the
    // workers' collection pauses ~40 % shorter (measured with --trace-gc, 2 cores). The
    // flag is read at each collection, so setting it now, before any thread starts, is safe.
    setFlagsFromString('--no-parallel-scavenge');
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: setup,
        resourceLimits: {
          // The main thread's default stack (~1 MB), so a deeply nested record fails alike in both.
          stackSizeMb: 1,
          // A thread's garbage is short-lived (each batch's lines and payloads): a small young
          // generation keeps the threads' heaps small. 8 MB instead of 4 halves the collections
          // for ~9 MB of peak RSS; 16 or 32 MB cost ~15 MB more and saved no instructions
          // (measured with cachegrind, docs/import.md "Performance").
          maxYoungGenerationSizeMb: 8,
        },
      });
      const thread: Thread = { worker, waiting: [] };
      worker.on('message', (r: BatchResult) => thread.waiting.shift()?.resolve(r));
      worker.on('error', (e: Error) => this.fail(new WorkerFailure(`an import worker thread failed: ${e.message}`, e.stack)));
      worker.on('exit', (code) => {
        if (thread.waiting.length > 0) this.fail(new WorkerFailure(`an import worker thread ended (exit code ${code}) with ${thread.waiting.length} batches unanswered`));
      });
      this.threads.push(thread);
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const t of this.threads) for (const w of t.waiting.splice(0)) w.reject(this.failure);
  }

  /** The job's result; its buffers are transferred to the thread (and come back in the result). */
  convert(job: BatchJob): Promise<BatchResult> {
    if (this.failure) return Promise.reject(this.failure);
    let thread = this.threads[0]!;
    for (const t of this.threads) if (t.waiting.length < thread.waiting.length) thread = t;
    const spare = this.outputs.pop();
    if (spare) job.spare = spare;
    return new Promise<BatchResult>((resolve, reject) => {
      thread.waiting.push({ resolve, reject });
      thread.worker.postMessage(job, spare ? [job.bytes, spare.payloads, spare.rows] : [job.bytes]);
    });
  }

  /** A buffer for a batch of at least `min` bytes: one an applied batch handed back, or a new one. */
  batchBuffer(min: number): ArrayBuffer {
    const b = this.inputs.pop();
    return b !== undefined && b.byteLength >= min ? b : new ArrayBuffer(Math.max(min, BATCH_BUFFER_BYTES));
  }

  /** A result is applied: its buffers can be filled again. */
  recycle(r: BatchResult): void {
    if (r.bytes.byteLength === BATCH_BUFFER_BYTES) this.inputs.push(r.bytes);
    this.outputs.push({ payloads: r.payloads, rows: r.rows.buffer as ArrayBuffer });
  }

  get size(): number {
    return this.threads.length;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
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
 * A plain file read straight into each batch's buffer, after any UTF-8 byte order mark: no
 * chunk is allocated or copied on the main thread (a stream's chunks are as much memory
 * outside the heap as the file is large, which makes V8 collect garbage over and over).
 */
export async function fileBytes(path: string): Promise<BatchBytes & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  let position = 0;
  try {
    const bom = Buffer.alloc(3);
    const { bytesRead } = await handle.read(bom, 0, 3, 0);
    if (bytesRead === 3 && bom[0] === 0xef && bom[1] === 0xbb && bom[2] === 0xbf) position = 3;
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
): AsyncGenerator<BatchJob | LongLine> {
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
  const take = (cut: number): BatchJob => {
    const lines = countLineEnds(buf.subarray(0, cut));
    const job: BatchJob = { bytes: buffer, length: cut, file, linesBefore, lines };
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
 * Converts the batches in the pool and hands each result (or long line) to `apply` in file
 * order, with at most IN_FLIGHT_PER_THREAD batches per thread out at a time. Returns the
 * file's line count.
 */
export async function convertInPool(
  pool: WorkerPool,
  input: BatchBytes | AsyncIterable<Buffer>,
  file: string,
  apply: (r: { job: BatchJob; result: BatchResult } | LongLine) => void | Promise<void>,
): Promise<number> {
  const out: (Promise<{ job: BatchJob; result: BatchResult }> | LongLine)[] = [];
  const limit = pool.size * IN_FLIGHT_PER_THREAD;
  let lines = 0;
  let converting = 0;
  const next = async () => {
    const first = out.shift()!;
    if ('longLine' in first) return apply(first);
    converting--;
    const done = await first;
    await apply(done);
    pool.recycle(done.result);
  };
  const batches = lineBatches(input, file, (min) => pool.batchBuffer(min));
  for (;;) {
    let n: IteratorResult<BatchJob | LongLine>;
    try {
      n = await batches.next();
    } catch (e) {
      // A read error: the lines before it are still converted and written, as on one thread.
      while (out.length > 0) await next();
      throw e;
    }
    if (n.done) break;
    const item = n.value;
    if ('longLine' in item) {
      lines = item.longLine;
      out.push(item);
      continue;
    }
    lines = item.linesBefore + item.lines;
    // (After this the job's own buffer is detached: the result hands it back.)
    const p = pool.convert(item).then((result) => ({ job: item, result }));
    p.catch(() => undefined); // awaited in order below; a failure before then must not be "unhandled"
    out.push(p);
    converting++;
    while (converting >= limit) await next();
  }
  while (out.length > 0) await next();
  return lines;
}
