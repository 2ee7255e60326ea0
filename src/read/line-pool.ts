/**
 * Worker threads that work through a large JSONL file's batches of lines (batches.ts), with
 * the results handed on strictly in file order. Each batch goes to the least busy thread as
 * one transferred buffer; at most IN_FLIGHT_PER_THREAD batches per thread are out at a time,
 * so memory stays flat whatever the file's size. What a thread does with a batch is its
 * worker module's (`import`: importers/worker.ts, `validate`: validate/worker.ts); the main
 * thread applies each result in order (docs/import.md "Performance").
 *
 * Loaded only when a command has such a file: a small run starts no thread.
 */
import { setFlagsFromString } from 'node:v8';
import { Worker, parentPort } from 'node:worker_threads';
import { BATCH_BUFFER_BYTES, lineBatches, type BatchBytes, type LinesJob, type LongLine } from './batches.js';
import { STOP } from './lines.js';

const IN_FLIGHT_PER_THREAD = 2;

/** A worker thread failed or ended early: a bug, reported as an internal error (with the thread's stack). */
class WorkerFailure extends Error {
  constructor(message: string, stack?: string) {
    super(message);
    this.name = 'WorkerFailure';
    if (stack) this.stack = `${this.name}: ${message}\n  in the worker thread: ${stack}`;
  }
}

interface Thread<R> {
  worker: Worker;
  /** Jobs sent and not yet answered, oldest first: a worker answers in order. */
  waiting: { resolve(r: R): void; reject(e: Error): void }[];
}

/** What a pool is for, and the buffers its jobs carry besides their bytes. */
export interface LinePoolOptions<J extends LinesJob, R extends { bytes: ArrayBuffer }> {
  /** Named in failures ("an import worker thread failed"). */
  command: string;
  /** The worker module: it calls serveBatches. */
  worker: URL;
  /** Plain data the worker module reads as `workerData`. */
  setup: unknown;
  threads: number;
  /** Buffers to send along with a job (transferred), e.g. a spare output buffer a worker fills again. */
  attach?(job: J): ArrayBuffer[];
  /** A result was applied: its buffers may be used again (`attach`). */
  release?(result: R): void;
}

export class LinePool<J extends LinesJob, R extends { bytes: ArrayBuffer }> {
  private readonly threads: Thread<R>[] = [];
  private failure: Error | undefined;
  /** Batch buffers of applied results, filled again by the next batches: memory stays flat. */
  private readonly inputs: ArrayBuffer[] = [];

  constructor(private readonly opts: LinePoolOptions<J, R>) {
    // The threads keep the cores busy themselves: a young-generation collection split into
    // helper tasks only waits for a core to run them. One thread per collection made the
    // workers' collection pauses ~40 % shorter (measured with --trace-gc, 2 cores). The
    // flag is read at each collection, so setting it now, before any thread starts, is safe.
    setFlagsFromString('--no-parallel-scavenge');
    for (let i = 0; i < opts.threads; i++) {
      const worker = new Worker(opts.worker, {
        workerData: opts.setup,
        resourceLimits: {
          // The main thread's default stack (~1 MB), so a deeply nested record fails alike in both.
          stackSizeMb: 1,
          // A thread's garbage is short-lived (each batch's lines and what is made of them): a
          // small young generation keeps the threads' heaps small. 8 MB instead of 4 halves the
          // collections for ~9 MB of peak RSS; 16 or 32 MB cost ~15 MB more and saved no
          // instructions (measured with cachegrind, docs/import.md "Performance").
          maxYoungGenerationSizeMb: 8,
        },
      });
      const thread: Thread<R> = { worker, waiting: [] };
      worker.on('message', (r: R) => thread.waiting.shift()?.resolve(r));
      worker.on('error', (e: Error) => this.fail(new WorkerFailure(`an ${opts.command} worker thread failed: ${e.message}`, e.stack)));
      worker.on('exit', (code) => {
        if (thread.waiting.length > 0) this.fail(new WorkerFailure(`an ${opts.command} worker thread ended (exit code ${code}) with ${thread.waiting.length} batches unanswered`));
      });
      this.threads.push(thread);
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const t of this.threads) for (const w of t.waiting.splice(0)) w.reject(this.failure);
  }

  /** The job's result; its buffers are transferred to the thread (and come back in the result). */
  convert(job: J): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    let thread = this.threads[0]!;
    for (const t of this.threads) if (t.waiting.length < thread.waiting.length) thread = t;
    const transfer = [job.bytes, ...(this.opts.attach?.(job) ?? [])];
    return new Promise<R>((resolve, reject) => {
      thread.waiting.push({ resolve, reject });
      thread.worker.postMessage(job, transfer);
    });
  }

  /** A buffer for a batch of at least `min` bytes: one an applied batch handed back, or a new one. */
  batchBuffer(min: number): ArrayBuffer {
    const b = this.inputs.pop();
    return b !== undefined && b.byteLength >= min ? b : new ArrayBuffer(Math.max(min, BATCH_BUFFER_BYTES));
  }

  /** A result is applied: its buffers can be filled again. */
  recycle(r: R): void {
    if (r.bytes.byteLength === BATCH_BUFFER_BYTES) this.inputs.push(r.bytes);
    this.opts.release?.(r);
  }

  get size(): number {
    return this.threads.length;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

/**
 * Works the file's batches through the pool and hands each result (or long line) to
 * `apply` in file order, with at most IN_FLIGHT_PER_THREAD batches per thread out at a
 * time. `apply` may return STOP (validate --bail): no more batches are read, and the results
 * still out are awaited but not applied. Returns the lines read, and whether it stopped.
 */
export async function inPool<J extends LinesJob, R extends { bytes: ArrayBuffer }>(
  pool: LinePool<J, R>,
  input: BatchBytes | AsyncIterable<Buffer>,
  file: string,
  makeJob: (lines: LinesJob) => J,
  apply: (r: { job: J; result: R } | LongLine) => void | typeof STOP | Promise<void | typeof STOP>,
): Promise<{ lines: number; stopped: boolean }> {
  const out: (Promise<{ job: J; result: R }> | LongLine)[] = [];
  const limit = pool.size * IN_FLIGHT_PER_THREAD;
  let lines = 0;
  let converting = 0;
  let stopped = false;
  const next = async () => {
    const first = out.shift()!;
    if ('longLine' in first) {
      if (!stopped && (await apply(first)) === STOP) stopped = true;
      return;
    }
    converting--;
    const done = await first;
    if (!stopped && (await apply(done)) === STOP) stopped = true;
    pool.recycle(done.result);
  };
  const batches = lineBatches(input, file, (min) => pool.batchBuffer(min));
  while (!stopped) {
    let n: IteratorResult<LinesJob | LongLine>;
    try {
      n = await batches.next();
    } catch (e) {
      // A read error: the lines before it are still applied, as on one thread.
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
    const job = makeJob(item);
    // (After this the job's own buffer is detached: the result hands it back.)
    const p = pool.convert(job).then((result) => ({ job, result }));
    p.catch(() => undefined); // awaited in order below; a failure before then must not be "unhandled"
    out.push(p);
    converting++;
    while (converting >= limit && !stopped) await next();
  }
  if (stopped) await batches.return(undefined);
  while (out.length > 0) await next();
  return { lines, stopped };
}

/**
 * A worker thread's side: converts the batches one at a time, in the order they arrive,
 * and posts each result back with the buffers `transfer` names. A failure here is a bug:
 * it is not caught, so the thread ends with the error, which the main thread raises.
 */
export function serveBatches<J, R>(convert: (job: J) => Promise<R> | R, transfer: (r: R) => ArrayBuffer[]): void {
  const port = parentPort!;
  // Jobs are converted strictly one after another: results must come back in the order sent.
  let queue = Promise.resolve();
  port.on('message', (job: J) => {
    queue = queue.then(async () => {
      const result = await convert(job);
      port.postMessage(result, transfer(result));
    });
    // An error ends the thread: rethrown outside the promise chain, it is the worker's 'error' event.
    queue.catch((e: unknown) =>
      setImmediate(() => {
        throw e;
      }),
    );
  });
}
