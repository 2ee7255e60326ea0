/**
 * The import's duplicate-id index (docs/import.md, "Memory"): whether an externalRequestId was
 * already written must be known before a payload is written, counted or sent, so unlike
 * validate's index (which learns late repeats from a merge at the end) this one answers every
 * id at once, in bounded memory:
 *
 * - The newest ids are in validate's in-memory table (`IdTable`), up to `maxEntries`.
 * - A full table is written to a temp file as a run sorted by key, and emptied. Each run keeps
 *   in memory the key of every FENCE_RECORDS-th record, so a key's place in it is one read of
 *   2.5 KB (`pread`; the page cache keeps the runs of a few million ids in memory).
 * - A blocked Bloom filter over every spilled key rules out almost every new id without a look
 *   at the disk: 10–15 bits per spilled id, one 32-byte block per lookup. Only a repeat or a
 *   false positive (0.5 % of new ids in a test) reads the runs.
 *
 * Each key is stored once (a repeat is found before it could be added again), so the first
 * match is the first occurrence. What grows with the input is the filter (1.25–1.9 bytes per
 * id) and the fences (0.06 bytes per id); the temp file is unlinked as it is made and vanishes
 * when the run ends, however it ends.
 */
import { DEFAULT_MAX_ENTRIES, ENTRY, type FirstSeen, IdTable, hashId } from '../validate/duplicates.js';
import { TempFile, appendInOrder, sortedOrder } from '../validate/spill.js';

/** Records of a run per fence: what a look into one run reads (128 × 20 bytes). */
const FENCE_RECORDS = 128;
/** Filter bits per spilled id, at least; when it would hold fewer, it is made for 1.5 times the spilled ids (15 bits each). */
const FILTER_BITS_PER_ID = 10;
const FILTER_GROWTH = 1.5;
/** A filter block: 8 words, one bit set in each per id, so a lookup touches one cache line. */
const BLOCK_WORDS = 8;
/**
 * The filter is held in segments of 2^11 blocks (64 KB). It grows by adding segments and
 * refilling them all: a rebuild leaves no old filter behind for the garbage collector, which
 * frees large arrays late (in a test of 20M ids, old filters doubled the index's memory).
 */
const SEGMENT_SHIFT = 11;
const SEGMENT_BLOCKS = 1 << SEGMENT_SHIFT;
/** Records read at a time when the filter is filled from the runs (64,000 bytes). */
const READ_RECORDS = 3200;

/** A 32-bit finalizer: every input bit reaches every output bit. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Odd multipliers that pick an id's bit in each word of its block (the top 5 bits of the
 * product). Unrelated to each other: odd multiples of one constant picked correlated bits
 * (3.6 % false positives instead of 0.5 %).
 */
const BIT_PICKS = Uint32Array.from({ length: BLOCK_WORDS }, (_, k) => mix32(k + 1) | 1);

/** One sorted run in the temp file, and the key of every FENCE_RECORDS-th record. */
interface Run {
  offset: number;
  records: number;
  fences: Uint32Array;
}

/** Closes the temp file of an index dropped without `close()` (an import that failed in-process). */
const closeDropped = new FinalizationRegistry<TempFile>((file) => file.close());

const ID_KEY = new Uint32Array(2);

export interface ImportIdIndexOptions {
  /** Ids kept in the in-memory table before it spills (default DEFAULT_MAX_ENTRIES; tests force spilling with a small number). */
  maxEntries?: number;
}

export class ImportIdIndex {
  private readonly maxEntries: number;
  private readonly table: IdTable;
  private file: TempFile | undefined;
  private readonly runs: Run[] = [];
  private spilledIds = 0;
  private readonly filter: Uint32Array[] = [];
  /** Blocks in the filter / 2^32: scales a 32-bit hash to a block. */
  private blockScale = 0;
  /** The run the last repeat was found in, looked at first: copies tend to come in the order of their originals. */
  private lastHit = 0;
  /** One fence's records, read from a run. */
  private readonly window = new Uint32Array(FENCE_RECORDS * ENTRY);
  private readonly windowBytes = new Uint8Array(this.window.buffer);

  constructor(opts: ImportIdIndexOptions = {}) {
    this.maxEntries = Math.max(1, opts.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.table = new IdTable(0, this.maxEntries);
  }

  /** Ids added so far (repeats are not added). */
  get count(): number {
    return this.spilledIds + this.table.size;
  }

  /** Adds an id, or returns where it was first added (fingerprint: its content, compared for `sameContent`). */
  add(id: string, fingerprint: number, fileIndex: number, line: number): FirstSeen | undefined {
    hashId(id, ID_KEY);
    return this.addKey(ID_KEY[0]!, ID_KEY[1]!, fingerprint, fileIndex, line);
  }

  /** add() for an id's key (hashId) made elsewhere: the import's worker threads hash their ids. */
  addKey(a: number, b: number, fingerprint: number, fileIndex: number, line: number): FirstSeen | undefined {
    // The index keys an id by (h, b), as unique as (a, b) (mix32 is a bijection). h is well
    // mixed, so it places ids in the table and, in sorted runs, in the filter's order.
    const h = mix32(a ^ Math.imul(b, 0x9e3779b1));
    if (this.spilledIds > 0 && this.mayHaveSpilled(h, b)) {
      const at = this.findSpilled(h, b);
      if (at >= 0) {
        const w = this.window;
        return { fileIndex: w[at + 2]!, line: w[at + 4]!, sameContent: w[at + 3] === fingerprint };
      }
    }
    const t = this.table;
    const o = t.addKey(h, b, fileIndex, fingerprint, line);
    if (o >= 0) {
      const e = t.entries;
      return { fileIndex: e[o + 2]!, line: e[o + 4]!, sameContent: e[o + 3] === fingerprint };
    }
    if (t.size >= this.maxEntries) this.spill();
    return undefined;
  }

  /** Makes room for `expected` ids in all (a hint): the table grows once instead of doubling as they arrive. */
  reserve(expected: number): void {
    this.table.reserve(expected - this.spilledIds);
  }

  /** Removes the temp file; the index is empty afterwards. Safe to call twice. */
  close(): void {
    if (this.file !== undefined) {
      closeDropped.unregister(this);
      this.file.close();
      this.file = undefined;
    }
    this.runs.length = 0;
    this.spilledIds = 0;
    this.filter.length = 0;
    this.blockScale = 0;
    this.table.clear();
  }

  /** The table is full: it becomes a sorted run on disk, its keys go into the filter, and it is emptied. */
  private spill(): void {
    const t = this.table;
    const e = t.entries;
    const count = t.size;
    const order = sortedOrder(e, count, ENTRY, 2);
    if (this.file === undefined) {
      this.file = new TempFile('import-ids');
      closeDropped.register(this, this.file, this);
    }
    const offset = appendInOrder(this.file, e, order, count, ENTRY);
    const fences = new Uint32Array(Math.ceil(count / FENCE_RECORDS) * 2);
    for (let j = 0; j < fences.length / 2; j++) {
      const at = order[j * FENCE_RECORDS]! * ENTRY;
      fences[j * 2] = e[at]!;
      fences[j * 2 + 1] = e[at + 1]!;
    }
    this.runs.push({ offset, records: count, fences });
    this.spilledIds += count;
    const f = this.filter;
    if (this.spilledIds * FILTER_BITS_PER_ID > f.length * SEGMENT_BLOCKS * BLOCK_WORDS * 32) {
      // A filter for 1.5 times the spilled ids, filled from every run.
      const segments = Math.ceil((this.spilledIds * FILTER_BITS_PER_ID * FILTER_GROWTH) / (SEGMENT_BLOCKS * BLOCK_WORDS * 32));
      for (const segment of f) segment.fill(0);
      while (f.length < segments) f.push(new Uint32Array(SEGMENT_BLOCKS * BLOCK_WORDS));
      this.blockScale = (segments * SEGMENT_BLOCKS) / 4294967296;
      this.addToFilter(0);
    } else this.addToFilter(offset);
    t.clear();
  }

  /**
   * Adds the keys of the runs from `offset` on to the filter, read back from the temp file 64 KB
   * at a time. A run is in key order, and the filter's block is the key's top bits: the
   * filter is written front to back, not at random.
   */
  private addToFilter(offset: number): void {
    const file = this.file!;
    const chunk = new Uint32Array(READ_RECORDS * ENTRY);
    const bytes = new Uint8Array(chunk.buffer);
    for (let pos = offset; pos < file.size; ) {
      const n = file.read(bytes, pos, Math.min(bytes.length, file.size - pos));
      pos += n;
      for (let o = 0; o < n / 4; o += ENTRY) {
        const block = Math.floor(chunk[o]! * this.blockScale);
        const f = this.filter[block >>> SEGMENT_SHIFT]!;
        const at = (block & (SEGMENT_BLOCKS - 1)) * BLOCK_WORDS;
        const g = mix32(chunk[o + 1]!);
        for (let k = 0; k < BLOCK_WORDS; k++) f[at + k]! |= 1 << (Math.imul(g, BIT_PICKS[k]!) >>> 27);
      }
    }
  }

  /** False: the key is in no run. True: it may be (a repeat, or a false positive). */
  private mayHaveSpilled(h: number, b: number): boolean {
    const block = Math.floor(h * this.blockScale);
    const f = this.filter[block >>> SEGMENT_SHIFT]!;
    const at = (block & (SEGMENT_BLOCKS - 1)) * BLOCK_WORDS;
    const g = mix32(b);
    for (let k = 0; k < BLOCK_WORDS; k++) if ((f[at + k]! & (1 << (Math.imul(g, BIT_PICKS[k]!) >>> 27))) === 0) return false;
    return true;
  }

  /** The key's record, read into `window` (its offset there), or -1 when no run has it. */
  private findSpilled(h: number, b: number): number {
    const runs = this.runs;
    for (let n = 0; n < runs.length; n++) {
      const r = (this.lastHit + n) % runs.length;
      const at = this.findIn(runs[r]!, h, b);
      if (at >= 0) {
        this.lastHit = r;
        return at;
      }
    }
    return -1;
  }

  /** Reads the fence of `run` the key would be in, and looks for it there. */
  private findIn(run: Run, h: number, b: number): number {
    const f = run.fences;
    if (f[0]! > h || (f[0] === h && f[1]! > b)) return -1;
    // The last fence that starts at or before the key.
    let lo = 0;
    let hi = f.length / 2 - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const fh = f[mid * 2]!;
      if (fh < h || (fh === h && f[mid * 2 + 1]! <= b)) lo = mid;
      else hi = mid - 1;
    }
    const first = lo * FENCE_RECORDS;
    const records = Math.min(FENCE_RECORDS, run.records - first);
    this.file!.read(this.windowBytes, run.offset + first * ENTRY * 4, records * ENTRY * 4);
    const w = this.window;
    let l = 0;
    let r = records - 1;
    while (l <= r) {
      const m = (l + r) >> 1;
      const o = m * ENTRY;
      const wh = w[o]!;
      const wb = w[o + 1]!;
      if (wh === h && wb === b) return o;
      if (wh < h || (wh === h && wb < b)) l = m + 1;
      else r = m - 1;
    }
    return -1;
  }
}
