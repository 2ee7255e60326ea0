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
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: setup,
        resourceLimits: {
          // The main thread's default stack (~1 MB), so a deeply nested record fails alike in both.
          stackSizeMb: 1,
          // A thread's garbage is short-lived (each batch's lines and payloads): a small young
          // generation keeps two threads' heaps ~30 MB smaller, at no CPU cost measured.
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

/** Line ends (LF, CR, CRLF as one) in `b`; a CR as the last byte counts (the caller knows no LF follows). */
function countLineEnds(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  for (let i = b.indexOf(13); i !== -1; i = b.indexOf(13, i + 1)) if (b[i + 1] !== 10) n++;
  return n;
}

/**
 * Where to cut `b` so the first part holds whole lines: after its last LF, or after its last
 * CR when a byte follows it (a CR at the very end may be the first half of a CRLF). -1: none.
 */
function cutPoint(b: Buffer): number {
  const lf = b.lastIndexOf(10);
  let cr = b.lastIndexOf(13);
  if (cr === b.length - 1) cr = cr > 0 ? b.lastIndexOf(13, cr - 1) : -1;
  const end = Math.max(lf, cr);
  return end === -1 ? -1 : end + 1;
}

/** First line end (LF or CR) at or after `from`, or -1. */
function firstLineEnd(b: Buffer, from: number): number {
  const lf = b.indexOf(10, from);
  const cr = b.indexOf(13, from);
  return lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
}

/**
 * A file's bytes (after any byte order mark) as batches of whole lines with their line
 * numbers, and the lines too long to batch, in file order. What a line is — LF, CR or CRLF
 * ending it, longer than MAX_LINE_BYTES — is as the line splitter (read/lines.ts) has it;
 * the workers split each batch with that splitter and check the count made here.
 */
export async function* lineBatches(
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  file: string,
  batchBuffer: (min: number) => ArrayBuffer = (min) => new ArrayBuffer(min),
  { batchBytes = BATCH_BYTES, maxLineBytes = MAX_LINE_BYTES } = {},
): AsyncGenerator<BatchJob | LongLine> {
  let parts: Buffer[] = [];
  let pending = 0;
  let linesBefore = 0;
  let attemptAt = batchBytes;
  // Inside a line too long to hold: its bytes are dropped up to its end.
  let skipping = false;
  let skipLF = false; // the long line ended with a CR at a chunk's end: an LF first in the next is its end too

  /** The pending bytes, copied into one batch buffer (the batch's, if they hold a line end). */
  const gather = (): { buffer: ArrayBuffer; all: Buffer } => {
    const buffer = batchBuffer(pending);
    const all = Buffer.from(buffer, 0, pending);
    let at = 0;
    for (const p of parts) at += p.copy(all, at);
    return { buffer, all };
  };
  /** The first `length` bytes of a gathered buffer as a job. */
  const take = (buffer: ArrayBuffer, length: number): BatchJob => {
    const lines = countLineEnds(Buffer.from(buffer, 0, length));
    const job: BatchJob = { bytes: buffer, length, file, linesBefore, lines };
    linesBefore += lines;
    return job;
  };

  try {
    for await (let chunk of chunks) {
      if (skipLF) {
        skipLF = false;
        if (chunk[0] === 10) chunk = chunk.subarray(1);
      }
      if (skipping) {
        const end = firstLineEnd(chunk, 0);
        if (end === -1) continue;
        skipping = false;
        linesBefore++;
        yield { longLine: linesBefore };
        let next = end + 1;
        if (chunk[end] === 13) {
          if (next === chunk.length) skipLF = true;
          else if (chunk[next] === 10) next++;
        }
        chunk = chunk.subarray(next);
      }
      if (chunk.length === 0) continue;
      parts.push(chunk);
      pending += chunk.length;
      if (pending < attemptAt) continue;
      const { buffer, all } = gather();
      const cut = cutPoint(all);
      if (cut > 0) {
        // The rest (the start of a line) is copied: the batch's buffer goes to another thread.
        parts = cut < all.length ? [Buffer.from(all.subarray(cut))] : [];
        pending = all.length - cut;
        attemptAt = batchBytes;
        yield take(buffer, cut);
      } else if (all.length - 1 > maxLineBytes) {
        // One line, longer than any line may be (even if its last byte ended it): drop it up to its end.
        parts = [];
        pending = 0;
        attemptAt = batchBytes;
        const end = firstLineEnd(all, 0);
        if (end === -1) skipping = true;
        else {
          // Only a CR as the very last byte can end it here (cutPoint found no other line end).
          linesBefore++;
          yield { longLine: linesBefore };
          skipLF = true;
        }
      } else {
        parts = [all];
        attemptAt = pending * 2; // a long line: look again when twice as much has arrived
      }
    }
  } catch (e) {
    // A read error: the whole lines that arrived are still read, as the line splitter reads them.
    if (!skipping && pending > 0) {
      const { buffer, all } = gather();
      const end = Math.max(all.lastIndexOf(10), all.lastIndexOf(13));
      if (end !== -1) yield take(buffer, end + 1);
    }
    throw e;
  }
  if (skipping) {
    linesBefore++;
    yield { longLine: linesBefore };
  } else if (pending > 0) {
    const { buffer, all } = gather();
    const job = take(buffer, all.length);
    // The last line may have no line end: it is a line all the same.
    const last = all[all.length - 1];
    if (last !== 10 && last !== 13) {
      job.lines++;
      linesBefore++;
    }
    yield job;
  }
}

/**
 * Converts the batches in the pool and hands each result (or long line) to `apply` in file
 * order, with at most IN_FLIGHT_PER_THREAD batches per thread out at a time. Returns the
 * file's line count.
 */
export async function convertInPool(
  pool: WorkerPool,
  chunks: AsyncIterable<Buffer>,
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
  const batches = lineBatches(chunks, file, (min) => pool.batchBuffer(min));
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
