/**
 * The emulator's durable row store (`--store FILE`): JSON Lines, one accepted row per line.
 *
 * - Every accepted row is appended before its 200 is sent (`append` resolves once the bytes
 *   are handed to the OS), so a `kill -9` never loses a row a client was told is stored.
 *   Rows accepted while a write is under way go out together in the next write (group
 *   commit): one write per burst, not one per row. There is no fsync per row: a process
 *   crash is covered, a power cut may lose the last writes (the load below tolerates that).
 * - `open` reads an existing file first and hands every row back, so dedupe, plan counts
 *   and budget spend survive a restart. A last line cut short by a crash (no newline, not
 *   JSON) is reported and cut off the file; any other unreadable line refuses the start,
 *   with its line number, rather than silently dropping a stored row.
 * - `rewrite` keeps only the rows a predicate accepts (the Bearer delete endpoints, the admin
 *   reset), through a temporary file renamed over the store, so a crash mid-rewrite leaves
 *   the old or the new file, never half of one.
 * - One emulator per file: `open` takes the store's lock (store-lock.ts) before it reads, and
 *   `close` releases it.
 *
 * The reader is hand-written rather than src/read/lines.ts because it needs the byte offset
 * of the last complete line (to cut a torn tail off) and whether the file ends in a newline.
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rename, stat, truncate } from 'node:fs/promises';
import { printable } from './printable.js';
import { lockStore, type StoreLock } from './store-lock.js';

export interface StoreRecovery {
  /** Rows read back from an existing store. */
  rows: number;
  /** A last line without its newline that was not a JSON object: cut off (never acknowledged). */
  tornLine?: { line: number; bytes: number };
  /** The lock of an emulator that is gone (killed, crashed), taken over. */
  staleLock?: { pid: number; since: string };
}

/** A store line that is not a row (and not a torn last line): the start is refused. */
class StoreCorrupt extends Error {
  readonly syscall = 'open';
  constructor(
    readonly path: string,
    readonly line: number,
    why: string,
  ) {
    // JSON.parse quotes the text it stopped at: the file's own bytes, escaped before they are printed.
    super(`store ${printable(path)} line ${line} is not a stored row (${printable(why)}); move the file away or fix that line`);
  }
}

type RowCallback = (row: Record<string, unknown>, line: number) => void;

function parseRow(text: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : 'not a JSON object';
}

interface FileEnd {
  /** Byte length of the complete lines. */
  goodBytes: number;
  /** What follows the last newline (a torn or unterminated last line), if anything. */
  tail: Buffer;
  lines: number;
}

/** The file's complete lines (without their line ends), one read chunk's worth at a time; returns where they end. */
async function* lineBatches(path: string): AsyncGenerator<string[], FileEnd> {
  let carry: Buffer = Buffer.alloc(0);
  let goodBytes = 0;
  let lines = 0;
  for await (const chunk of createReadStream(path)) {
    let buf = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let start = 0;
    const batch: string[] = [];
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      batch.push(buf.toString('utf8', start, end));
      goodBytes += nl + 1 - start;
      start = nl + 1;
    }
    buf = buf.subarray(start);
    carry = Buffer.from(buf);
    lines += batch.length;
    if (batch.length > 0) yield batch;
  }
  return { goodBytes, tail: carry, lines };
}

/** Every complete line of the file, numbered from 1; returns where they end. */
async function readLines(path: string, each: (text: string, line: number) => void): Promise<FileEnd> {
  const batches = lineBatches(path);
  let line = 0;
  for (;;) {
    const next = await batches.next();
    if (next.done) return next.value;
    for (const text of next.value) each(text, ++line);
  }
}

/** Characters of queued rows a store that need not be durable collects before it writes them. */
const BATCH_CHARS = 64 * 1024;

export class RowStore {
  private pending: string[] = [];
  private pendingChars = 0;
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private writing: Promise<void> | undefined;
  /** While a rewrite runs, appends queue up and go into the new file. */
  private held = false;
  private failure: Error | undefined;

  private constructor(
    private readonly path: string,
    private handle: FileHandle | undefined,
    private readonly lock: StoreLock,
    /** false: rows are written in batches, not each before its answer (a scratch file nobody restarts from). */
    private readonly durable: boolean,
  ) {}

  /**
   * Lock, open (creating it if absent) and read back what an earlier run stored. `durable:
   * false` is for a scratch file: an append resolves at once and rows are written 64 KB at a
   * time (and before anything reads the file), a hundredth of the writes.
   */
  static async open(path: string, onRow: RowCallback, { durable = true }: { durable?: boolean } = {}): Promise<{ store: RowStore; recovery: StoreRecovery }> {
    const recovery: StoreRecovery = { rows: 0 };
    const dir = await stat(path).catch(() => undefined);
    if (dir?.isDirectory()) throw Object.assign(new Error(`store ${printable(path)} is not a regular file`), { code: 'EISDIR', syscall: 'open', path });
    const lock = await lockStore(path);
    try {
      const opened = await RowStore.load(path, onRow, recovery, lock, durable);
      if (lock.tookOver) recovery.staleLock = lock.tookOver;
      return opened;
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  private static async load(
    path: string,
    onRow: RowCallback,
    recovery: StoreRecovery,
    lock: StoreLock,
    durable: boolean,
  ): Promise<{ store: RowStore; recovery: StoreRecovery }> {
    let exists = true;
    try {
      const st = await stat(path);
      if (!st.isFile()) throw Object.assign(new Error(`store ${printable(path)} is not a regular file`), { code: 'EISDIR', syscall: 'open', path });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      exists = false;
    }
    let appendNewline = false;
    if (exists) {
      const { goodBytes, tail, lines } = await readLines(path, (text, line) => {
        if (text.trim() === '') return;
        const row = parseRow(text);
        if (typeof row === 'string') throw new StoreCorrupt(path, line, row);
        recovery.rows++;
        onRow(row, line);
      });
      if (tail.length > 0 && tail.toString('utf8').trim() !== '') {
        const row = parseRow(tail.toString('utf8'));
        if (typeof row === 'string') {
          // Never acknowledged (the 200 follows the whole line): its client resends it.
          recovery.tornLine = { line: lines + 1, bytes: tail.length };
          await truncate(path, goodBytes);
        } else {
          // A complete row whose newline is missing (e.g. a hand-edited file): keep it.
          recovery.rows++;
          onRow(row, lines + 1);
          appendNewline = true;
        }
      } else if (tail.length > 0) {
        await truncate(path, goodBytes);
      }
    }
    const handle = await open(path, 'a');
    if (appendNewline) await handle.appendFile('\n');
    return { store: new RowStore(path, handle, lock, durable), recovery };
  }

  /** A failed write, if any: later appends are refused with it. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Append one row; resolves once it is written (handed to the OS), rejects if it could not be. */
  append(row: object): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const text = JSON.stringify(row) + '\n';
    if (!this.durable) {
      this.pending.push(text);
      this.pendingChars += text.length;
      if (this.pendingChars >= BATCH_CHARS) this.kick();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push(text);
      this.waiters.push({ resolve, reject });
      this.kick();
    });
  }

  /**
   * Resolves when everything appended so far is written (or has failed). Rows appended later
   * are not waited for, so a steady stream of new rows cannot hold it up.
   */
  flushed(): Promise<void> {
    if (this.pending.length > 0) {
      // An empty entry rides along with the queued rows and settles with their write.
      return new Promise<void>((resolve) => {
        this.pending.push('');
        this.waiters.push({ resolve, reject: () => resolve() });
        this.kick(); // a batching store may not have started the write yet
      });
    }
    return this.writing ?? Promise.resolve();
  }

  /**
   * Keep only the rows `keep` accepts, also among rows still waiting to be written. Returns
   * how many rows the file held and dropped. Appends made meanwhile go into the new file.
   */
  async rewrite(keep: (row: Record<string, unknown>) => boolean): Promise<number> {
    if (this.failure) throw this.failure;
    this.held = true;
    try {
      const waiting = this.pending.map((text) => text === '' || keep(parseRow(text) as Record<string, unknown>));
      this.pending = this.pending.filter((_, i) => waiting[i]);
      this.pendingChars = this.pending.reduce((n, text) => n + text.length, 0);
      // A dropped row's request still gets its 200: it was accepted, then deleted.
      const dropped = this.waiters.filter((_, i) => !waiting[i]);
      this.waiters = this.waiters.filter((_, i) => waiting[i]);
      for (const w of dropped) w.resolve();
      await this.writing?.catch(() => {});
      if (this.failure) throw this.failure;
      const tmp = `${this.path}.rewrite-${process.pid}`;
      const out = await open(tmp, 'w');
      let removed = 0;
      try {
        let chunk: string[] = [];
        const pendingWrites: Promise<unknown>[] = [];
        await readLines(this.path, (text) => {
          if (text.trim() === '') return;
          const row = parseRow(text);
          if (typeof row !== 'string' && !keep(row)) {
            removed++;
            return;
          }
          chunk.push(text + '\n');
          if (chunk.length >= 1024) {
            pendingWrites.push(out.appendFile(chunk.join('')));
            chunk = [];
          }
        });
        for (const w of pendingWrites) await w;
        if (chunk.length > 0) await out.appendFile(chunk.join(''));
        await out.sync();
      } finally {
        await out.close();
      }
      await this.handle?.close();
      this.handle = undefined;
      await rename(tmp, this.path);
      this.handle = await open(this.path, 'a');
      return removed;
    } catch (e) {
      this.fail(e as Error);
      throw e;
    } finally {
      this.held = false;
      this.kick();
    }
  }

  /** Write what is queued, close the file and release its lock. */
  async close(): Promise<void> {
    try {
      await this.flushed();
      const h = this.handle;
      this.handle = undefined;
      await h?.close();
    } finally {
      await this.lock.release();
    }
    if (this.failure) throw this.failure;
  }

  /**
   * The stored rows as their JSON lines, a read chunk's worth at a time, once every row
   * appended so far is written. The next chunk is read only when the caller asks for it, so
   * memory stays flat however many rows there are.
   */
  async *rowLines(): AsyncGenerator<string[]> {
    await this.flushed();
    for await (const batch of lineBatches(this.path)) {
      const rows = batch.filter((text) => text.trim() !== '');
      if (rows.length > 0) yield rows;
    }
  }

  private kick(): void {
    if (this.writing || this.held || this.pending.length === 0) return;
    const handle = this.handle;
    const data = this.pending.join('');
    const waiters = this.waiters;
    this.pending = [];
    this.pendingChars = 0;
    this.waiters = [];
    if (!handle) {
      const e = new Error(`store ${this.path} is closed`);
      for (const w of waiters) w.reject(e);
      return;
    }
    this.writing = handle.appendFile(data).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (e: Error) => {
        this.fail(e);
        for (const w of waiters) w.reject(e);
      },
    );
    this.writing.finally(() => {
      this.writing = undefined;
      // A batching store writes again once a batch is full, or when something waits for it.
      if (this.durable || this.waiters.length > 0 || this.pendingChars >= BATCH_CHARS) this.kick();
    });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const waiters = this.waiters;
    this.pending = [];
    this.pendingChars = 0;
    this.waiters = [];
    for (const w of waiters) w.reject(this.failure);
  }
}
