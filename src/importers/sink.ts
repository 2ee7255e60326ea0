/**
 * Buffered line output for payload JSONL and rejects: lines are encoded straight into a
 * byte chunk (no growing string to flatten and encode again), few large writes instead of
 * one per row, back-pressure through `needsDrain`/`drain()`, and a write error (ENOSPC, EIO,
 * a file's EPIPE) remembered and raised on the next write instead of crashing the process.
 * On stdout a closed pipe (`| head`) is not an error: the CLI discards the rest of the
 * output (src/cli/output.ts) and the import still finishes and reports. A file is a result
 * file (src/result-file.ts): under its name only once complete (`commit`).
 */
import { EXIT, OpsmeterError } from '../errors.js';
import { describeWriteError, ResultFile } from '../result-file.js';
import type { Writable } from 'node:stream';

const CHUNK_BYTES = 64 * 1024;
/** Written chunks kept for reuse: the stream holds at most its 4 MB high-water mark of them, plus what one write overshoots. */
const SPARE_CHUNKS = 96;

/** The payload or rejects file cannot be written (exit 2). */
export class OutputError extends OpsmeterError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** Where the import pipeline writes payload and reject lines (a file, stdout, the sender). */
export interface LineOutput {
  /** Whole lines, each ending in a newline. */
  write(text: string): void;
  /**
   * Whole lines already encoded as UTF-8 (the import's worker threads encode theirs), copied
   * before it returns. An output without it is given them as text.
   */
  writeBytes?(bytes: Buffer): void;
  readonly needsDrain: boolean;
  drain(): Promise<void>;
}

export class LineSink implements LineOutput {
  private chunk: Buffer = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  /**
   * Chunks the stream has finished writing, filled again: a new chunk per flush would
   * allocate as much memory outside the heap as the output is large, and every ~64 MB of
   * that makes V8 run a full collection (measured: ~40 on a 1M-row import).
   */
  private readonly spare: Buffer[] = [];
  private used = 0;
  private waiting = false;
  private error: Error | undefined;
  private readonly ownsStream: boolean;

  constructor(
    private readonly stream: Writable,
    readonly name: string,
    ownsStream = true,
    /** The result file the stream writes, when this sink writes one. */
    private readonly result?: ResultFile,
  ) {
    this.ownsStream = ownsStream;
    stream.on('error', (e) => {
      this.fail(e);
      this.stream.emit('drain'); // release a writer waiting on drain
    });
  }

  /** A sink writing the result file `path` (opened now: a folder that cannot be written fails before any work). */
  static async toFile(path: string): Promise<LineSink> {
    // A 16 KB default high-water mark would make every flush wait for the disk; 4 MB lets
    // writing overlap with converting while keeping memory bounded.
    const result = await ResultFile.open(path, { highWaterMark: 4 * 1024 * 1024 });
    return new LineSink(result.stream, path, true, result);
  }

  static toStdout(): LineSink {
    return new LineSink(process.stdout, 'stdout', false);
  }

  private fail(e: Error): void {
    if (!this.ownsStream && (e as NodeJS.ErrnoException).code === 'EPIPE') return;
    this.error ??= e;
  }

  private check(): void {
    if (this.error) {
      const code = (this.error as NodeJS.ErrnoException).code;
      throw new OutputError(`cannot write ${this.name}: ${code === 'EPIPE' ? 'the reader closed the pipe' : describeWriteError(this.error)}`);
    }
  }

  write(text: string): void {
    this.check();
    // A UTF-16 unit takes at most 3 UTF-8 bytes: flush first unless the text surely fits.
    if (this.used + text.length * 3 > CHUNK_BYTES) {
      this.flush();
      if (text.length * 3 > CHUNK_BYTES) {
        if (!this.stream.write(text)) this.waiting = true;
        return;
      }
    }
    this.used += this.chunk.write(text, this.used);
  }

  writeBytes(bytes: Buffer): void {
    this.check();
    // Copied into the chunks, so the caller may reuse its buffer as soon as this returns.
    for (let from = 0; from < bytes.length; ) {
      if (this.used === CHUNK_BYTES) this.flush();
      const n = bytes.copy(this.chunk, this.used, from, Math.min(bytes.length, from + CHUNK_BYTES - this.used));
      this.used += n;
      from += n;
    }
  }

  private flush(): void {
    if (this.used === 0) return;
    const written = this.chunk;
    // The stream keeps the written chunk until it is on disk: fill another meanwhile.
    this.chunk = this.spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
    const full = written.subarray(0, this.used);
    this.used = 0;
    const done = () => {
      if (this.spare.length < SPARE_CHUNKS) this.spare.push(written);
      this.result?.wrote();
    };
    if (!this.stream.write(full, done)) this.waiting = true;
  }

  get needsDrain(): boolean {
    return this.waiting;
  }

  drain(): Promise<void> {
    if (!this.waiting) return Promise.resolve();
    return new Promise((resolve) =>
      this.stream.once('drain', () => {
        this.waiting = false;
        resolve();
      }),
    );
  }

  /** Flush everything; close the stream if this sink opened it. */
  async end(): Promise<void> {
    this.check();
    const last = this.chunk.subarray(0, this.used);
    this.used = 0;
    await new Promise<void>((resolve, reject) => {
      const done = (e?: Error | null) => (e ? reject(e) : resolve());
      if (this.ownsStream) this.stream.end(last, () => done(this.error));
      else if (last.length > 0) this.stream.write(last, done);
      else resolve();
    }).catch((e: Error) => this.fail(e));
    this.check();
  }

  /** The file is complete (after end()): it takes its name. */
  async commit(): Promise<void> {
    await this.result?.commit();
  }

  /** The run was interrupted (after end(): whole lines only): kept as `<name>.partial`, which it returns. */
  async keepPartial(): Promise<string | undefined> {
    return this.result?.keepPartial();
  }

  /** The run failed: nothing of the file stays. */
  discard(): void {
    this.result?.discard();
  }
}
