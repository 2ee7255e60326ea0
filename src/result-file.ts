/**
 * Result files — `import -o`, `--rejects`, `--summary-json`, `validate -o` and any report —
 * appear under their final name only when complete. Each is written beside it, under a hidden
 * temp name in the same folder (`.<name>.<pid>-<n>.tmp`), flushed to disk and renamed over the
 * final name once the run has written all of it. A run that fails removes its temp file, and
 * an older file under the final name too: that is not this run's result, and nothing left
 * there may look like one. An interrupted import keeps its whole lines under `<name>.partial`.
 * Temp files still open when the process exits, however abruptly (a second Ctrl-C), are
 * removed on the way out; only a kill -9 can leave one, under its temp name.
 *
 * A target that is not a regular file (/dev/null, /dev/stdout, a FIFO) is written directly:
 * it cannot be renamed over, and it is nobody's result file.
 */
import { closeSync, createWriteStream, fdatasync, lstatSync, openSync, realpathSync, renameSync, statSync, unlinkSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { EXIT, OpsmeterError } from './errors.js';

/** Temp files being written, removed if the process exits before they are committed. */
const open = new Set<string>();
let exitHook = false;
let serial = 0;

function removeOpenTempFiles(): void {
  for (const path of open) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
  open.clear();
}

/** "no space left on device (ENOSPC)": a system error in words, without the temp file's name. */
export function describeWriteError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.errno === 'number') {
    const known = getSystemErrorMap().get(err.errno);
    if (known) return `${known[1]} (${known[0]})`;
  }
  return err?.message ?? err?.code ?? String(e);
}

/** A result file could not be written (exit 2); the message says what was and was not left. */
export class ResultFileError extends OpsmeterError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

export interface ResultFileOptions {
  /** The stream's buffer: large for payload files, so writing overlaps converting. */
  highWaterMark?: number;
  /** wrote() flushes to disk each time this much more was written (EARLY_FLUSH_BYTES). */
  flushEvery?: number;
}

/**
 * A large result file is flushed to disk as it grows, in the background, once this much more
 * has been written: the flush before the rename then waits for the last part only, not for
 * the whole file (measured: 0.23 s at the end of a 520 MB import).
 */
const EARLY_FLUSH_BYTES = 64 * 1024 * 1024;

export class ResultFile {
  private settled = false;
  private readonly closed: Promise<void>;
  private failure: Error | undefined;
  /** Bytes written when the last early flush started; the flush running; the descriptor it uses. */
  private flushedAt = 0;
  private flushDone: Promise<void> | undefined;
  private flushFd: number | undefined;

  private constructor(
    /** The name the result is asked for. */
    readonly path: string,
    /** Where it is written: the temp file, or the target itself when that is not a regular file. */
    private readonly writing: string,
    /** The file the result replaces when it is committed (undefined: written directly). */
    private readonly target: string | undefined,
    readonly stream: WriteStream,
    private readonly flushEvery = EARLY_FLUSH_BYTES,
  ) {
    this.closed = new Promise((resolve) => stream.once('close', () => resolve()));
    stream.on('error', (e) => (this.failure ??= e));
  }

  /**
   * Opens the temp file beside `path` (nothing is created under `path` itself). Fails at once,
   * before any work, when the folder cannot be written or `path` is a directory.
   */
  static async open(path: string, opts: ResultFileOptions = {}): Promise<ResultFile> {
    let target = path;
    let direct = false;
    try {
      const link = lstatSync(path);
      // Through a symbolic link, the file it names is the one replaced.
      const info = link.isSymbolicLink() ? statSync(path) : link;
      if (link.isSymbolicLink()) target = realpathSync(path);
      if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR', errno: -21 });
      direct = !info.isFile();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ResultFileError(`cannot write ${path}: ${describeWriteError(e)}`);
    }
    const writing = direct ? path : join(dirname(target), `.${basename(target)}.${process.pid}-${++serial}.tmp`);
    // flush: the data is on disk before the rename makes it the result.
    const stream = createWriteStream(writing, { highWaterMark: opts.highWaterMark, flush: !direct, flags: direct ? 'a' : 'wx' });
    await new Promise<void>((resolve, reject) => {
      stream.once('ready', () => resolve());
      stream.once('error', (e) => reject(new ResultFileError(`cannot write ${path}: ${describeWriteError(e)}`)));
    });
    if (!direct) {
      if (!exitHook) {
        exitHook = true;
        process.on('exit', removeOpenTempFiles);
      }
      open.add(writing);
    }
    return new ResultFile(path, writing, direct ? undefined : target, stream, opts.flushEvery);
  }

  /** Bytes written to the file so far. */
  get bytesWritten(): number {
    return this.stream.bytesWritten;
  }

  /**
   * The writer's data reached the file: past EARLY_FLUSH_BYTES more, what is there is flushed
   * to disk in the background. A flush's error fails the file as a write's would.
   */
  wrote(): void {
    const at = this.stream.bytesWritten;
    if (this.flushDone !== undefined || this.settled || this.target === undefined || at - this.flushedAt < this.flushEvery) return;
    this.flushedAt = at;
    // A descriptor of its own (a flush covers the file, whichever descriptor asks): the
    // stream closes its own when it ends, maybe while a flush still waits for a thread.
    try {
      this.flushFd ??= openSync(this.writing, 'r+');
    } catch {
      return; // no early flush then; the flush before the rename still makes the file durable
    }
    const fd = this.flushFd;
    this.flushDone = new Promise((resolve) =>
      fdatasync(fd, (e) => {
        if (e) this.failure ??= e;
        this.flushDone = undefined;
        resolve();
      }),
    );
  }

  /** Whether a write has failed (the error is kept). */
  get failed(): Error | undefined {
    return this.failure;
  }

  /**
   * The result is complete: once the stream (ended by its writer) is flushed and closed, it
   * replaces whatever was under its name. Throws (and removes the temp file) if anything failed.
   */
  async commit(): Promise<void> {
    await this.close();
    if (this.failure) {
      const e = this.failure;
      this.discard();
      throw new ResultFileError(`cannot write ${this.path}: ${describeWriteError(e)}`);
    }
    if (this.settled) return;
    this.settled = true;
    if (this.target === undefined) return;
    open.delete(this.writing);
    try {
      renameSync(this.writing, this.target);
    } catch (e) {
      this.removeTemp();
      throw new ResultFileError(`cannot write ${this.path}: ${describeWriteError(e)}`);
    }
  }

  /** The run was interrupted: what was written is kept as `<name>.partial` (whole lines), never under the result's name. */
  async keepPartial(): Promise<string | undefined> {
    await this.close();
    if (this.settled || this.target === undefined || this.failure) {
      this.discard();
      return undefined;
    }
    this.settled = true;
    open.delete(this.writing);
    const partial = `${this.target}.partial`;
    try {
      renameSync(this.writing, partial);
      this.removeOlder();
      return partial;
    } catch {
      this.removeTemp();
      return undefined;
    }
  }

  /** The run failed: nothing of it stays, and no older file stays under its name. Synchronous, so it may run on the way out. */
  discard(): void {
    if (this.settled) return;
    this.settled = true;
    if (!this.stream.destroyed) this.stream.destroy();
    this.closeFlushFd();
    if (this.target === undefined) return;
    open.delete(this.writing);
    this.removeTemp();
    this.removeOlder();
  }

  private async close(): Promise<void> {
    if (!this.stream.writableEnded && !this.stream.destroyed) this.stream.end();
    await this.closed;
    await this.flushDone;
    this.closeFlushFd();
  }

  /** The early flushes' descriptor closed, once no flush uses it. */
  private closeFlushFd(): void {
    if (this.flushDone !== undefined) {
      void this.flushDone.then(() => this.closeFlushFd());
      return;
    }
    if (this.flushFd === undefined) return;
    try {
      closeSync(this.flushFd);
    } catch {
      // already closed
    }
    this.flushFd = undefined;
  }

  private removeTemp(): void {
    try {
      unlinkSync(this.writing);
    } catch {
      // never created, or gone
    }
  }

  private removeOlder(): void {
    try {
      if (lstatSync(this.target!).isFile()) unlinkSync(this.target!);
    } catch {
      // there was none
    }
  }
}

/**
 * Writes a whole result file from text (or chunks of it, written as they come and waiting
 * while the stream's buffer is full): complete under `path`, or absent.
 */
export async function writeResultFile(path: string, text: string | Iterable<string>): Promise<void> {
  const file = await ResultFile.open(path);
  try {
    for (const chunk of typeof text === 'string' ? [text] : text) {
      if (file.failed) break;
      if (!file.stream.write(chunk)) await drained(file.stream);
    }
    file.stream.end();
    await file.commit();
  } catch (e) {
    file.discard();
    throw e instanceof OpsmeterError ? e : new ResultFileError(`cannot write ${path}: ${describeWriteError(e)}`);
  }
}

/** Resolves when a stream that refused a write takes more (or failed, or closed: the caller checks). */
export function drained(s: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      s.off('drain', done);
      s.off('error', done);
      s.off('close', done);
      resolve();
    };
    s.on('drain', done);
    s.on('error', done);
    s.on('close', done);
  });
}
