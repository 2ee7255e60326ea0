/**
 * Duplicate externalRequestId detection across every checked file with bounded memory:
 * an open-addressing table in one interleaved Uint32Array (a probe touches one cache line)
 * holding a 64-bit hash of the id, a 32-bit fingerprint of the record's content and where
 * it was first seen — 20 bytes per slot, no strings kept. A 64-bit id hash collides with
 * odds of ~1e-8 at 10 million ids.
 */

export interface FirstSeen {
  fileIndex: number;
  line: number;
  sameContent: boolean;
}

const STRIDE = 5; // h1, h2, fingerprint, file, line
/** Linear probing stays short up to ~70 % load when probes share cache lines. */
const MAX_LOAD = 0.7;

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
  private table: Uint32Array;

  /** @param expected ids expected (a hint: the table still grows past it) */
  constructor(expected = 0) {
    // A power of two, kept at most 70 % full, starting between 64 Ki and 4 Mi slots (20 B each).
    let cap = 1 << 16;
    while (cap * MAX_LOAD < expected && cap < 1 << 22) cap <<= 1;
    this.capacity = cap;
    this.table = new Uint32Array(cap * STRIDE);
  }

  get count(): number {
    return this.size;
  }

  /** Record an id; returns where it was first seen if it is a repeat. */
  add(id: string, fingerprint: number, fileIndex: number, line: number): FirstSeen | undefined {
    // Two 32-bit FNV-1a variants in one pass make the 64-bit key;
    // h2 is never 0 for a used slot (0 marks an empty slot).
    let a = 0x811c9dc5;
    let b = 0x9dc5811c;
    for (let k = 0; k < id.length; k++) {
      const c = id.charCodeAt(k);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
    }
    a >>>= 0;
    b = (b | 1) >>> 0;
    const t = this.table;
    const mask = this.capacity - 1;
    let i = a & mask;
    for (;;) {
      const o = i * STRIDE;
      const slot = t[o + 1]!;
      if (slot === 0) break;
      if (slot === b && t[o] === a) return { fileIndex: t[o + 3]!, line: t[o + 4]!, sameContent: t[o + 2] === fingerprint };
      i = (i + 1) & mask;
    }
    const o = i * STRIDE;
    t[o] = a;
    t[o + 1] = b;
    t[o + 2] = fingerprint;
    t[o + 3] = fileIndex;
    t[o + 4] = line;
    if (++this.size > this.capacity * MAX_LOAD) this.grow();
    return undefined;
  }

  private grow(): void {
    const old = this.table;
    const oldCap = this.capacity;
    this.capacity *= 2;
    this.table = new Uint32Array(this.capacity * STRIDE);
    const mask = this.capacity - 1;
    for (let j = 0; j < oldCap; j++) {
      const src = j * STRIDE;
      if (old[src + 1] === 0) continue;
      let i = old[src]! & mask;
      while (this.table[i * STRIDE + 1] !== 0) i = (i + 1) & mask;
      this.table.set(old.subarray(src, src + STRIDE), i * STRIDE);
    }
  }
}
