/**
 * Duplicate externalRequestId detection across every checked file with bounded memory:
 * no strings are kept, only a 64-bit hash of each id, a 32-bit fingerprint of the record's
 * content and where it was first seen. A 64-bit id hash collides with odds of ~1e-8 at
 * 10 million ids.
 *
 * Layout, chosen for the memory system: every insert probes a random slot, and on a
 * million-line file the probes, not the hashing, dominate. So the open-addressing table
 * holds only 8 bytes per slot (the id hash's upper half and an entry number) — 16 MB at
 * 2 Mi slots, small enough to stay largely in cache — while the rest of each entry (the
 * lower half, fingerprint, file and line) is appended to a second array in arrival order,
 * which costs sequential writes only and is read back only when an id repeats.
 */

export interface FirstSeen {
  fileIndex: number;
  line: number;
  sameContent: boolean;
}

/** Linear probing stays short up to ~70 % load. */
const MAX_LOAD = 0.7;
const SLOT = 2; // h2, entry number + 1 (0 marks an empty slot)
const ENTRY = 4; // h1, fingerprint, file, line

/** FNV-1a over UTF-16 code units, 32 bits. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

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

export class DuplicateIndex {
  private capacity: number;
  private size = 0;
  private slots: Uint32Array;
  private entries: Uint32Array;

  /** @param expected ids expected (a hint: the table still grows past it) */
  constructor(expected = 0) {
    // A power of two, kept at most 70 % full, starting between 64 Ki and 4 Mi slots (8 B each).
    let cap = 1 << 16;
    while (cap * MAX_LOAD < expected && cap < 1 << 22) cap <<= 1;
    this.capacity = cap;
    this.slots = new Uint32Array(cap * SLOT);
    this.entries = new Uint32Array(Math.ceil(cap * MAX_LOAD) * ENTRY);
  }

  get count(): number {
    return this.size;
  }

  /** Record an id; returns where it was first seen if it is a repeat. */
  add(id: string, fingerprint: number, fileIndex: number, line: number): FirstSeen | undefined {
    // Two 32-bit FNV-1a variants in one pass make the 64-bit key;
    // h2 is never 0, so a slot's h2 of 0 means empty.
    let a = 0x811c9dc5;
    let b = 0x9dc5811c;
    for (let k = 0; k < id.length; k++) {
      const c = id.charCodeAt(k);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
    }
    a >>>= 0;
    b = (b | 1) >>> 0;
    const s = this.slots;
    const e = this.entries;
    const mask = this.capacity - 1;
    let i = a & mask;
    for (;;) {
      const h = s[i * SLOT]!;
      if (h === 0) break;
      if (h === b) {
        const o = (s[i * SLOT + 1]! - 1) * ENTRY;
        if (e[o] === a) return { fileIndex: e[o + 2]!, line: e[o + 3]!, sameContent: e[o + 1] === fingerprint };
      }
      i = (i + 1) & mask;
    }
    const n = this.size++;
    s[i * SLOT] = b;
    s[i * SLOT + 1] = n + 1;
    const o = n * ENTRY;
    e[o] = a;
    e[o + 1] = fingerprint;
    e[o + 2] = fileIndex;
    e[o + 3] = line;
    if (this.size >= this.capacity * MAX_LOAD) this.grow();
    return undefined;
  }

  /** Doubles the table (and the entry array), re-placing entries in arrival order. */
  private grow(): void {
    this.capacity *= 2;
    const mask = this.capacity - 1;
    const s = new Uint32Array(this.capacity * SLOT);
    const e = new Uint32Array(Math.ceil(this.capacity * MAX_LOAD) * ENTRY);
    e.set(this.entries.subarray(0, this.size * ENTRY));
    const old = this.slots;
    // The h2 of each entry lives in the old slots: walk them, not the entries.
    for (let j = 0; j < old.length; j += SLOT) {
      const h = old[j]!;
      if (h === 0) continue;
      const n = old[j + 1]!;
      let i = e[(n - 1) * ENTRY]! & mask;
      while (s[i * SLOT] !== 0) i = (i + 1) & mask;
      s[i * SLOT] = h;
      s[i * SLOT + 1] = n;
    }
    this.slots = s;
    this.entries = e;
  }
}
