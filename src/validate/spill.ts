/**
 * Temp files for what validate cannot keep in memory (docs/validate.md, "Memory"): sorted
 * runs of the duplicate-id index and problems past the in-memory bound.
 *
 * A temp file is unlinked right after it is created and used through its descriptor only,
 * so it disappears when it is closed or when the process ends in any way (an error, Ctrl-C,
 * a kill): nothing is left behind to clean up. Where unlinking an open file fails (some
 * Windows setups), it is removed on close and at exit instead.
 */
import { closeSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, OpsmeterError } from '../errors.js';

let made = 0;

/** A temp file that cannot be made or written (no such folder, no space left): the user's to fix. */
function tempFailure(e: unknown): OpsmeterError {
  const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  return new OpsmeterError(`cannot write a temp file in ${tmpdir()}: ${why}`, EXIT.usage, 'set TMPDIR to a folder with free space that you can write to');
}
const leftAtExit = new Set<string>();
let exitHookInstalled = false;

export class TempFile {
  readonly fd: number;
  /** Bytes written so far (the next append's offset). */
  size = 0;
  private path: string | undefined;

  constructor(purpose: string) {
    const path = join(tmpdir(), `opsmeter-${process.pid}-${Date.now().toString(36)}-${made++}-${purpose}.tmp`);
    try {
      this.fd = openSync(path, 'wx+', 0o600);
    } catch (e) {
      throw tempFailure(e);
    }
    try {
      unlinkSync(path);
    } catch {
      this.path = path;
      leftAtExit.add(path);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.on('exit', () => {
          for (const p of leftAtExit) rmSync(p, { force: true });
        });
      }
    }
  }

  /** Appends bytes; returns the offset they start at. */
  append(bytes: Uint8Array): number {
    const at = this.size;
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, at + done);
    } catch (e) {
      throw tempFailure(e);
    }
    this.size += bytes.length;
    return at;
  }

  /** Reads up to `length` bytes at `position` into `into`; returns how many were read. */
  read(into: Uint8Array, position: number, length = into.length): number {
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, into, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  close(): void {
    closeSync(this.fd);
    if (this.path !== undefined) {
      rmSync(this.path, { force: true });
      leftAtExit.delete(this.path);
    }
  }
}

/** Records of `width` 32-bit words, compared word by word over the first `keyWords`. */
function compareRecords(a: Uint32Array, i: number, b: Uint32Array, j: number, keyWords: number): number {
  for (let k = 0; k < keyWords; k++) {
    const d = a[i + k]! - b[j + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The order that sorts `count` records of `width` words by their first `keyWords` words.
 * A radix sort of the first word (two passes of 16 bits, stable, so records that share it
 * stay in arrival order): several times faster than V8's sort of the same keys, and a run
 * of the duplicate index (367,000 records) is sorted each time it spills. Records that
 * share a first word (rare for a hash) are then put in order by the full key.
 */
export function sortedOrder(data: Uint32Array, count: number, width: number, keyWords: number): Uint32Array {
  const low = new Uint32Array(65537);
  const high = new Uint32Array(65537);
  for (let n = 0; n < count; n++) {
    const k = data[n * width]!;
    low[(k & 0xffff) + 1]!++;
    high[(k >>> 16) + 1]!++;
  }
  for (let b = 1; b <= 65536; b++) {
    low[b]! += low[b - 1]!;
    high[b]! += high[b - 1]!;
  }
  const byLow = new Uint32Array(count);
  for (let n = 0; n < count; n++) byLow[low[data[n * width]! & 0xffff]!++] = n;
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const n = byLow[i]!;
    order[high[data[n * width]! >>> 16]!++] = n;
  }
  // Ties on the first word: order them by the rest of the key.
  for (let start = 0; start < count; ) {
    let end = start + 1;
    const first = data[order[start]! * width];
    while (end < count && data[order[end]! * width] === first) end++;
    if (end - start > 1) {
      const tie = Array.from(order.subarray(start, end)).sort((x, y) => compareRecords(data, x * width, data, y * width, keyWords) || x - y);
      order.set(tie, start);
    }
    start = end;
  }
  return order;
}

/**
 * Appends the first `count` records of `data` (`width` words each) to `file` in the given
 * order (`sortedOrder`'s), through a 64 KB buffer: no sorted copy of the data is made.
 * Returns the offset the records start at.
 */
export function appendInOrder(file: TempFile, data: Uint32Array, order: Uint32Array, count: number, width: number): number {
  const w = width;
  const chunk = new Uint32Array(Math.max(1, Math.floor(16384 / w)) * w);
  const offset = file.size;
  let fill = 0;
  for (let n = 0; n < count; n++) {
    const at = order[n]! * w;
    for (let k = 0; k < w; k++) chunk[fill + k] = data[at + k]!;
    fill += w;
    if (fill === chunk.length) {
      file.append(new Uint8Array(chunk.buffer, 0, fill * 4));
      fill = 0;
    }
  }
  if (fill > 0) file.append(new Uint8Array(chunk.buffer, 0, fill * 4));
  return offset;
}

/** One sorted run in the file, read back through a small window. */
class RunCursor {
  private readonly window: Uint32Array;
  private loaded = 0;
  private next = 0;
  /** Offset of the current record in `window` (valid while !done). */
  at = 0;
  done = false;

  constructor(
    private readonly file: TempFile,
    private offset: number,
    private left: number,
    private readonly width: number,
    windowRecords: number,
  ) {
    this.window = new Uint32Array(windowRecords * width);
    this.advance();
  }

  get words(): Uint32Array {
    return this.window;
  }

  advance(): void {
    if (this.next === this.loaded) {
      if (this.left === 0) {
        this.done = true;
        return;
      }
      const records = Math.min(this.left, this.window.length / this.width);
      const bytes = records * this.width * 4;
      this.file.read(new Uint8Array(this.window.buffer, 0, bytes), this.offset, bytes);
      this.offset += bytes;
      this.left -= records;
      this.loaded = records;
      this.next = 0;
    }
    this.at = this.next * this.width;
    this.next++;
  }
}

/**
 * Sorted runs of fixed-width records in one temp file, read back merged in key order (a
 * k-way merge through a binary heap; each run is read through a 16 KB window, so the
 * merge's memory does not grow with the data).
 */
export class SortedRuns {
  private file: TempFile | undefined;
  private readonly runs: { offset: number; records: number }[] = [];

  constructor(
    private readonly purpose: string,
    readonly width: number,
    private readonly keyWords: number,
  ) {}

  get count(): number {
    return this.runs.length;
  }

  /** Writes the first `count` records of `data` as one run, sorted (`data` is left as it is). */
  addRun(data: Uint32Array, count: number): void {
    if (count === 0) return;
    const order = sortedOrder(data, count, this.width, this.keyWords);
    const file = (this.file ??= new TempFile(this.purpose));
    this.runs.push({ offset: appendInOrder(file, data, order, count, this.width), records: count });
  }

  /**
   * Every record of every run in key order (ties: earlier run first), stepped through with
   * `next()`. An explicit cursor rather than a generator: a million yields, each with its
   * result object, cost more than the merge itself.
   */
  merge(): MergedRuns {
    return new MergedRuns(this.file, this.runs, this.width, this.keyWords);
  }

  close(): void {
    this.file?.close();
    this.file = undefined;
  }
}

/** A k-way merge of sorted runs through a binary heap of their cursors. */
export class MergedRuns {
  /** The current record's window and its offset there (valid until the next `next()`). */
  words: Uint32Array = new Uint32Array(0);
  at = 0;
  private readonly cursors: RunCursor[];
  private readonly heap: number[];
  private started = false;

  constructor(
    file: TempFile | undefined,
    runs: readonly { offset: number; records: number }[],
    width: number,
    private readonly keyWords: number,
  ) {
    const windowRecords = Math.max(1, Math.floor(4096 / width));
    this.cursors = file === undefined ? [] : runs.map((r) => new RunCursor(file, r.offset, r.records, width, windowRecords));
    this.heap = this.cursors.map((_, i) => i).filter((i) => !this.cursors[i]!.done);
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  /** Steps to the next record; false when there is none. */
  next(): boolean {
    const heap = this.heap;
    if (this.started && heap.length > 0) {
      const c = this.cursors[heap[0]!]!;
      c.advance();
      if (c.done) {
        heap[0] = heap[heap.length - 1]!;
        heap.pop();
      }
      if (heap.length > 0) this.down(0);
    }
    this.started = true;
    if (heap.length === 0) return false;
    const top = this.cursors[heap[0]!]!;
    this.words = top.words;
    this.at = top.at;
    return true;
  }

  private less(x: number, y: number): boolean {
    const a = this.cursors[x]!;
    const b = this.cursors[y]!;
    const d = compareRecords(a.words, a.at, b.words, b.at, this.keyWords);
    return d < 0 || (d === 0 && x < y);
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && this.less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && this.less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
}
