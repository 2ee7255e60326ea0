/**
 * The problems kept for the report, in bounded memory (docs/validate.md, "Memory"): each
 * list holds its first `inMemory` problems as objects and appends the rest to a temp file
 * as JSON lines, read back in order when the report is written. Errors and warnings are
 * kept apart (so "errors first" can still pick from each when the output is capped), and
 * so are the repeats a spilled duplicate index finds at the end, which arrive after every
 * other problem but print among them.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Problem } from '../problem.js';
import { TempFile } from './spill.js';

/**
 * A problem with its place in the output: `order` is the arrival number of its record (a
 * fault or a file's own problem sits half-way between records), `seq` the order in which
 * it was found. A late repeat gets its record's `order` and a later `seq`, so it prints
 * where it would have printed had it been found on the way.
 */
export interface Kept {
  p: Problem;
  order: number;
  seq: number;
}

export const byPlace = (x: Kept, y: Kept) => x.order - y.order || x.seq - y.seq;

/** Problems in memory per list, by default, before the rest go to a temp file. */
export const DEFAULT_PROBLEMS_IN_MEMORY = 10_000;

/** One list of kept problems, pushed in place order. */
export class ProblemStore {
  private readonly memory: Kept[] = [];
  private file: TempFile | undefined;
  private pending = '';
  private spilled = 0;

  constructor(
    private readonly inMemory: number,
    private readonly purpose: string,
  ) {}

  get length(): number {
    return this.memory.length + this.spilled;
  }

  push(k: Kept): void {
    if (this.spilled === 0 && this.memory.length < this.inMemory) {
      this.memory.push(k);
      return;
    }
    this.pending += JSON.stringify([k.order, k.seq, k.p]) + '\n';
    this.spilled++;
    if (this.pending.length >= 1 << 16) this.flush();
  }

  private flush(): void {
    if (this.pending === '') return;
    (this.file ??= new TempFile(this.purpose)).append(Buffer.from(this.pending));
    this.pending = '';
  }

  /** Every problem pushed, in the order pushed (read back from the temp file past the first `inMemory`). */
  *entries(): Generator<Kept> {
    yield* this.memory;
    this.flush();
    const file = this.file;
    if (file === undefined) return;
    const buf = Buffer.allocUnsafe(1 << 16);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (let at = 0; at < file.size; ) {
      const n = file.read(buf, at, Math.min(buf.length, file.size - at));
      at += n;
      const lines = (rest + decoder.write(buf.subarray(0, n))).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const [order, seq, p] = JSON.parse(line) as [number, number, Problem];
        yield { p, order, seq };
      }
    }
  }

  close(): void {
    this.file?.close();
    this.file = undefined;
  }
}

function* take<T>(n: number, items: Iterable<T>): Generator<T> {
  if (n <= 0) return;
  let left = n;
  for (const item of items) {
    yield item;
    if (--left === 0) return;
  }
}

/** Two sequences, each in place order, merged into one. */
function* merge(a: Iterable<Kept>, b: Iterable<Kept>): Generator<Kept> {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  let x = ia.next();
  let y = ib.next();
  while (!x.done && !y.done) {
    if (byPlace(x.value, y.value) < 0) {
      yield x.value;
      x = ia.next();
    } else {
      yield y.value;
      y = ib.next();
    }
  }
  for (; !x.done; x = ia.next()) yield x.value;
  for (; !y.done; y = ib.next()) yield y.value;
}

/** The kept problems of a run, by severity: those found on the way and the late repeats. */
export interface KeptLists {
  errors: ProblemStore;
  lateErrors: ProblemStore;
  warnings: ProblemStore;
  lateWarnings: ProblemStore;
}

/**
 * The problems a report prints, errors first under a cap: the first `maxProblems` errors
 * in place order, then the warnings that fill the room left, all merged back into place
 * order. Iterable any number of times (renderers that group by severity or by file read it
 * twice); `close()` removes its temp files.
 */
export class ProblemList implements Iterable<Problem> {
  readonly errorsShown: number;
  readonly length: number;

  constructor(
    private readonly lists: KeptLists,
    maxProblems: number,
  ) {
    this.errorsShown = Math.min(maxProblems, lists.errors.length + lists.lateErrors.length);
    const warnings = Math.min(Math.max(0, maxProblems - this.errorsShown), lists.warnings.length + lists.lateWarnings.length);
    this.length = this.errorsShown + warnings;
  }

  *[Symbol.iterator](): Generator<Problem> {
    const l = this.lists;
    const errors = take(this.errorsShown, merge(l.errors.entries(), l.lateErrors.entries()));
    const warnings = take(this.length - this.errorsShown, merge(l.warnings.entries(), l.lateWarnings.entries()));
    for (const k of merge(errors, warnings)) yield k.p;
  }

  close(): void {
    for (const list of Object.values(this.lists)) list.close();
  }
}
