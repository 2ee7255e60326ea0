/**
 * Duplicate externalRequestId detection across every checked file with bounded memory:
 * no strings are kept, only a 64-bit hash of each id, a 32-bit fingerprint of the record's
 * content and where it was first seen. Two of 10 million distinct ids share a 64-bit hash
 * with odds of ~3e-6 (n²/2^65).
 *
 * Layout, chosen for the memory system: every insert probes a random slot, and on a
 * million-line file the probes, not the hashing, dominate. So the open-addressing table
 * holds 4 bytes per slot — an entry number in the low log2(capacity) bits and, above it, a
 * tag from the id hash that rules out almost every other id without a second look — 8 MB
 * at 2 Mi slots, small enough to stay largely in cache. The entries (the 64-bit hash,
 * fingerprint, file and line) are appended to a second array in arrival order, which costs
 * sequential writes only and is read when a tag matches.
 */

export interface FirstSeen {
  fileIndex: number;
  line: number;
  sameContent: boolean;
}

/** Linear probing stays short up to ~70 % load. */
const MAX_LOAD = 0.7;
const ENTRY = 5; // h1, h2, fingerprint, file, line

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

export class DuplicateIndex {
  private capacity: number;
  /** log2(capacity): the low bits of a slot hold an entry number + 1, the rest a tag. */
  private indexBits: number;
  private size = 0;
  private slots: Uint32Array;
  private entries: Uint32Array;

  /** @param expected ids expected (a hint: the table still grows past it) */
  constructor(expected = 0) {
    // A power of two, kept at most 70 % full, starting between 64 Ki and 4 Mi slots (4 B each).
    let bits = 16;
    while ((1 << bits) * MAX_LOAD < expected && bits < 22) bits++;
    this.indexBits = bits;
    this.capacity = 1 << bits;
    this.slots = new Uint32Array(this.capacity);
    this.entries = new Uint32Array(Math.ceil(this.capacity * MAX_LOAD) * ENTRY);
  }

  get count(): number {
    return this.size;
  }

  /** Record an id; returns where it was first seen if it is a repeat. */
  add(id: string, fingerprint: number, fileIndex: number, line: number): FirstSeen | undefined {
    hashId(id, ID_KEY);
    return this.addKey(ID_KEY[0]!, ID_KEY[1]!, fingerprint, fileIndex, line);
  }

  /** Record an id by its key (hashId), made elsewhere (the import's worker threads hash their ids). */
  addKey(a: number, b: number, fingerprint: number, fileIndex: number, line: number): FirstSeen | undefined {
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
        if (e[o] === a && e[o + 1] === b) return { fileIndex: e[o + 3]!, line: e[o + 4]!, sameContent: e[o + 2] === fingerprint };
      }
      i = (i + 1) & mask;
    }
    const n = this.size++;
    s[i] = ((tag << bits) | (n + 1)) >>> 0;
    const o = n * ENTRY;
    e[o] = a;
    e[o + 1] = b;
    e[o + 2] = fingerprint;
    e[o + 3] = fileIndex;
    e[o + 4] = line;
    if (this.size >= this.capacity * MAX_LOAD) this.grow();
    return undefined;
  }

  /** Doubles the table (and the entry array), re-placing entries in arrival order. */
  private grow(): void {
    const bits = ++this.indexBits;
    this.capacity = 1 << bits;
    const mask = this.capacity - 1;
    const s = new Uint32Array(this.capacity);
    const e = new Uint32Array(Math.ceil(this.capacity * MAX_LOAD) * ENTRY);
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
