/**
 * Duplicate externalRequestId detection across every checked file with bounded memory:
 * no strings are kept, only a 64-bit hash of each id, a 32-bit fingerprint of the record's
 * content and where it was first seen. Two of 10 million distinct ids share a 64-bit hash
 * with odds of ~3e-6 (n²/2^65).
 *
 * Layout, chosen for the memory system: every insert probes a random slot, and on a
 * million-line file the probes, not the hashing, dominate. So the open-addressing table
 * holds 4 bytes per slot — an entry number in the low log2(capacity) bits and, above it, a
 * tag from the id hash that rules out almost every other id without a second look — 2 MB
 * at 512 Ki slots, small enough to stay largely in cache. The entries (the 64-bit hash,
 * arrival number, fingerprint and line) are appended to a second array in arrival order,
 * which costs sequential writes only and is read when a tag matches.
 *
 * The memory is bounded (docs/validate.md, "Memory"): the table holds at most `maxEntries`
 * ids. When it is full, its entries are written to a temp file as a run sorted by hash, and
 * from then on every id is appended to a buffer of the same size, itself written as a
 * sorted run whenever it fills. Repeats are then no longer found as they arrive: `deferred()`
 * merges the runs at the end, where the first occurrence of each hash is the one with the
 * lowest arrival number. Repeats inside the table's own run were already reported as they
 * arrived (nothing came before that run), and the table kept first occurrences only, so the
 * merge reports only what came later — each repeat once, against its true first occurrence.
 */
import { SortedRuns } from './spill.js';

export interface FirstSeen {
  fileIndex: number;
  line: number;
  sameContent: boolean;
}

/** A repeat found by the end-of-run merge: the record (by arrival number) and where its id was first used. */
export interface DeferredRepeat {
  /** The repeat's arrival number (the `ordinal` it was added with). */
  ordinal: number;
  fileIndex: number;
  firstFileIndex: number;
  firstLine: number;
}

/** Linear probing stays short up to ~70 % load. */
const MAX_LOAD = 0.7;

const mix = (h: number, v: number) => Math.imul(h ^ v, 0x01000193);

/**
 * A 32-bit fingerprint of what the server would count: token counts, latency, status,
 * provider, model and createdAt. It runs on every record, so strings are folded by length
 * and a few characters, not hashed whole: retries of one call are identical, and a real
 * conflict (another call under the same id) differs in usage, latency or time.
 */
export function contentFingerprint(record: unknown): number {
  if (typeof record !== 'object' || record === null) return 0;
  const r = record as Record<string, unknown>;
  let h = 0x811c9dc5;
  h = mix(h, num(r.inputTokens));
  h = mix(h, num(r.outputTokens));
  h = mix(h, num(r.totalTokens));
  h = mix(h, num(r.latencyMs));
  h = mix(h, str(r.status));
  h = mix(h, str(r.provider));
  h = mix(h, str(r.model));
  h = mix(h, str(r.createdAt));
  return h >>> 0;
}

function num(v: unknown): number {
  return typeof v === 'number' ? (v | 0) ^ Math.floor(v / 4294967296) : v === undefined ? 0x55555555 : 0x33333333;
}

/** Length and the last 8 characters (where model versions and timestamps differ). */
function str(v: unknown): number {
  if (typeof v !== 'string') return v === undefined ? 0x55555555 : 0x33333333;
  let h = v.length;
  for (let i = Math.max(0, v.length - 8); i < v.length; i++) h = mix(h, v.charCodeAt(i));
  return h;
}

/** Words per entry: h1, h2, arrival number (IdTable: the owner's), fingerprint, line (validate's runs sort by the first three). */
export const ENTRY = 5;
/** Table entries at most, by default: 512 Ki slots at 70 %, ~9.5 MB with the slots (sorting a run for the temp file takes ~4 MB more). */
export const DEFAULT_MAX_ENTRIES = Math.floor((1 << 19) * MAX_LOAD);
/** Repeats collected per sorted run while merging (3 words each). */
const REPEATS_PER_RUN = 1 << 16;

export interface DuplicateIndexOptions {
  /**
   * Ids kept in memory at most (default DEFAULT_MAX_ENTRIES; tests force spilling with a
   * small number). Infinity: never spill, for callers that need every answer on the spot.
   */
  maxEntries?: number;
}

/** An id's 64-bit key, as two unsigned 32-bit halves written to `out`: two FNV-1a variants in one pass. */
export function hashId(id: string, out: Uint32Array | number[]): void {
  let a = 0x811c9dc5;
  let b = 0x9dc5811c;
  for (let k = 0; k < id.length; k++) {
    const c = id.charCodeAt(k);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  out[0] = a >>> 0;
  out[1] = b >>> 0;
}

const ID_KEY = new Uint32Array(2);

/**
 * The in-memory table itself (the layout above): ids by their 64-bit key, each entry
 * [key a, key b, x, fingerprint, line], where x is the owner's (DuplicateIndex: the arrival
 * number; the import's index: the file index). It holds an id once: `addKey` finds the entry
 * of a key already there, or adds one. It grows up to `maxEntries` entries; the owner decides
 * what happens at that bound.
 */
export class IdTable {
  /** Entries in use, at the front of `entries`. */
  size = 0;
  /** The entries, ENTRY words each, in arrival order. */
  entries: Uint32Array;
  private capacity: number;
  /** log2(capacity): the low bits of a slot hold an entry number + 1, the rest a tag. */
  private indexBits: number;
  private slots: Uint32Array;

  /** @param expected ids expected (a hint: the table still grows past it, up to `maxEntries`) */
  constructor(
    expected: number,
    private readonly maxEntries: number,
  ) {
    // A power of two, kept at most 70 % full, starting between 64 Ki slots (4 B each) and
    // the size that holds maxEntries.
    let bits = 16;
    const want = Math.min(expected, maxEntries);
    while ((1 << bits) * MAX_LOAD < want) bits++;
    this.indexBits = bits;
    this.capacity = 1 << bits;
    this.slots = new Uint32Array(this.capacity);
    this.entries = new Uint32Array(Math.min(Math.ceil(this.capacity * MAX_LOAD), maxEntries) * ENTRY);
  }

  /** The offset in `entries` of the key's entry when it was there already; else -1, and the key is added. */
  addKey(a: number, b: number, x: number, fingerprint: number, line: number): number {
    const s = this.slots;
    const e = this.entries;
    const bits = this.indexBits;
    const mask = this.capacity - 1;
    const tag = b >>> bits;
    let i = a & mask;
    for (;;) {
      const slot = s[i]!;
      if (slot === 0) break;
      if (slot >>> bits === tag) {
        // The tag matched (1 in 2^(32 - bits) for another id): compare the whole key.
        const o = ((slot & mask) - 1) * ENTRY;
        if (e[o] === a && e[o + 1] === b) return o;
      }
      i = (i + 1) & mask;
    }
    const n = this.size++;
    s[i] = ((tag << bits) | (n + 1)) >>> 0;
    const o = n * ENTRY;
    e[o] = a;
    e[o + 1] = b;
    e[o + 2] = x;
    e[o + 3] = fingerprint;
    e[o + 4] = line;
    if (this.size < this.maxEntries && this.size >= this.capacity * MAX_LOAD) this.grow();
    return -1;
  }

  /**
   * Makes room for `expected` ids in all (a hint, as the constructor's): one re-placing of the
   * entries now instead of a doubling after another as they arrive.
   */
  reserve(expected: number): void {
    const want = Math.min(expected, this.maxEntries);
    let bits = this.indexBits;
    while ((1 << bits) * MAX_LOAD < want) bits++;
    if (bits > this.indexBits) this.grow(bits);
  }

  /** Empties the table, keeping its memory for the ids that come next. */
  clear(): void {
    this.slots.fill(0);
    this.size = 0;
  }

  /** Gives up the slots: the owner keeps only `entries` (DuplicateIndex past its bound). */
  dropSlots(): void {
    this.slots = new Uint32Array(0);
  }

  /** Grows the table (and the entry array) to 2^bits slots, re-placing entries in arrival order. */
  private grow(bits = this.indexBits + 1): void {
    this.indexBits = bits;
    this.capacity = 1 << bits;
    const mask = this.capacity - 1;
    const s = new Uint32Array(this.capacity);
    const e = new Uint32Array(Math.min(Math.ceil(this.capacity * MAX_LOAD), this.maxEntries) * ENTRY);
    e.set(this.entries.subarray(0, this.size * ENTRY));
    for (let n = 0; n < this.size; n++) {
      let i = e[n * ENTRY]! & mask;
      while (s[i] !== 0) i = (i + 1) & mask;
      s[i] = (((e[n * ENTRY + 1]! >>> bits) << bits) | (n + 1)) >>> 0;
    }
    this.slots = s;
    this.entries = e;
  }
}

export class DuplicateIndex {
  /** The ids while they fit in memory; undefined once they have spilled. */
  private table: IdTable | undefined;
  /** Past the bound: ids appended unprobed, written as a sorted run whenever it fills. */
  private entries: Uint32Array = new Uint32Array(0);
  private size = 0;
  private readonly maxEntries: number;
  /** Set once the table has been written out: ids are then appended to `entries` unprobed. */
  private runs: SortedRuns | undefined;
  /** Files in arrival order: [fileIndex, first arrival number] pairs, to map an entry back to its file. */
  private readonly fileStarts: number[] = [];
  private calls = 0;

  /** @param expected ids expected (a hint: the table still grows past it, up to `maxEntries`) */
  constructor(expected = 0, opts: DuplicateIndexOptions = {}) {
    this.maxEntries = Math.max(1, opts.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.table = new IdTable(expected, this.maxEntries);
  }

  get count(): number {
    return this.table?.size ?? this.size;
  }

  /** True once ids no longer fit in memory: repeats after that are found by `deferred()`. */
  get spilled(): boolean {
    return this.runs !== undefined;
  }

  /**
   * Record an id; returns where it was first seen if it is a repeat found now. `ordinal`
   * numbers the records in arrival order across files (it must grow with every call;
   * default: the number of calls so far).
   */
  add(id: string, fingerprint: number, fileIndex: number, line: number, ordinal = this.calls): FirstSeen | undefined {
    hashId(id, ID_KEY);
    return this.addKey(ID_KEY[0]!, ID_KEY[1]!, fingerprint, fileIndex, line, ordinal);
  }

  /** add() for an id's key (hashId) made elsewhere: the import's worker threads hash their ids. */
  addKey(a: number, b: number, fingerprint: number, fileIndex: number, line: number, ordinal = this.calls): FirstSeen | undefined {
    this.calls = ordinal + 1;
    const fs = this.fileStarts;
    if (fs.length === 0 || fs[fs.length - 2] !== fileIndex) fs.push(fileIndex, ordinal);
    const table = this.table;
    if (table !== undefined) {
      const o = table.addKey(a, b, ordinal, fingerprint, line);
      if (o >= 0) {
        const e = table.entries;
        return { fileIndex: this.fileOf(e[o + 2]!), line: e[o + 4]!, sameContent: e[o + 3] === fingerprint };
      }
      if (table.size >= this.maxEntries) this.spill(table);
      return undefined;
    }
    const e = this.entries;
    const o = this.size++ * ENTRY;
    e[o] = a;
    e[o + 1] = b;
    e[o + 2] = ordinal;
    e[o + 3] = fingerprint;
    e[o + 4] = line;
    if (this.size * ENTRY === e.length) {
      this.runs!.addRun(e, this.size);
      this.size = 0;
    }
    return undefined;
  }

  /** The table is full: write it out as the first run and keep only the append buffer. */
  private spill(table: IdTable): void {
    this.runs = new SortedRuns('ids', ENTRY, 3);
    this.runs.addRun(table.entries, table.size);
    table.dropSlots();
    this.table = undefined;
    this.size = 0;
    this.entries = table.entries.length < this.maxEntries * ENTRY ? new Uint32Array(this.maxEntries * ENTRY) : table.entries;
  }

  /**
   * Makes room for `expected` ids in all (a hint, as the constructor's): one re-placing of the
   * entries now instead of a doubling after another as they arrive.
   */
  reserve(expected: number): void {
    this.table?.reserve(expected);
  }

  /** The file an arrival number belongs to. */
  private fileOf(ordinal: number): number {
    const fs = this.fileStarts;
    let lo = 0;
    let hi = fs.length / 2 - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (fs[mid * 2 + 1]! <= ordinal) lo = mid;
      else hi = mid - 1;
    }
    return fs[lo * 2]!;
  }

  /**
   * After the last `add`: the repeats with different content that were not found as they
   * arrived (none unless `spilled`), in arrival order. Same-content repeats (retries) are
   * not reported, as in `add`.
   */
  *deferred(): Generator<DeferredRepeat> {
    const runs = this.runs;
    if (runs === undefined) return;
    runs.addRun(this.entries, this.size);
    this.size = 0;
    this.entries = new Uint32Array(0);
    // Repeats come out of the merge in hash order; they are re-sorted by arrival number
    // through runs of their own: [ordinal, first ordinal, first line].
    const repeats = new SortedRuns('repeats', 3, 1);
    try {
      const buf = new Uint32Array(REPEATS_PER_RUN * 3);
      let n = 0;
      let h1 = -1;
      let h2 = -1;
      let firstOrdinal = 0;
      let firstFingerprint = 0;
      let firstLine = 0;
      for (const m = runs.merge(); m.next(); ) {
        const w = m.words;
        const at = m.at;
        if (w[at] !== h1 || w[at + 1] !== h2) {
          h1 = w[at]!;
          h2 = w[at + 1]!;
          firstOrdinal = w[at + 2]!;
          firstFingerprint = w[at + 3]!;
          firstLine = w[at + 4]!;
          continue;
        }
        if (w[at + 3] === firstFingerprint) continue;
        buf[n * 3] = w[at + 2]!;
        buf[n * 3 + 1] = firstOrdinal;
        buf[n * 3 + 2] = firstLine;
        if (++n === REPEATS_PER_RUN) {
          repeats.addRun(buf, n);
          n = 0;
        }
      }
      runs.close();
      this.runs = undefined;
      repeats.addRun(buf, n);
      for (const m = repeats.merge(); m.next(); ) {
        const w = m.words;
        const at = m.at;
        yield { ordinal: w[at]!, fileIndex: this.fileOf(w[at]!), firstFileIndex: this.fileOf(w[at + 1]!), firstLine: w[at + 2]! };
      }
    } finally {
      repeats.close();
    }
  }

  /** Removes the temp file (also done by `deferred()` when it completes). Safe to call twice. */
  close(): void {
    this.runs?.close();
    this.runs = undefined;
  }
}
