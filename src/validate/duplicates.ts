/**
 * Duplicate externalRequestId detection across every checked file with bounded memory:
 * an open-addressing table in typed arrays holding a 64-bit hash of the id, a 32-bit hash
 * of the record's content and where it was first seen (~24 bytes per id, no strings kept).
 * A 64-bit id hash collides with odds of ~1e-8 at 10 million ids.
 */

export interface FirstSeen {
  fileIndex: number;
  line: number;
  sameContent: boolean;
}

/** FNV-1a over UTF-16 code units, 32 bits. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Beyond this depth a value hashes as a constant (payloads are 2 levels deep; deeper is an error anyway). */
const MAX_HASH_DEPTH = 32;

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35) >>> 0;
}

/**
 * 32-bit hash of a parsed JSON value: key order, whitespace and number spelling do not
 * matter, so the same payload written as a .json file and as a JSONL line counts as the
 * same content. Works on the parsed value (no re-serialisation) and is bounded in depth,
 * so a pathologically nested record cannot overflow the stack.
 */
export function contentHash(v: unknown, depth = 0): number {
  switch (typeof v) {
    case 'string':
      return fnv1a(v, 0x2f6b1c35);
    case 'number':
      f64[0] = v === 0 ? 0 : v; // -0 and 0 are the same JSON number
      return mix(u32[0]!, u32[1]! ^ 0x4e554d42);
    case 'boolean':
      return v ? 0x74727565 : 0x66616c73;
    case 'object': {
      if (v === null) return 0x6e756c6c;
      if (depth >= MAX_HASH_DEPTH) return 0x64656570;
      if (Array.isArray(v)) {
        let h = 0x5b5d0000 ^ v.length;
        for (const x of v) h = mix(h, contentHash(x, depth + 1));
        return h;
      }
      // A sum of per-property hashes is independent of key order.
      let h = 0x7b7d0000;
      for (const k in v) h = (h + mix(fnv1a(k), contentHash((v as Record<string, unknown>)[k], depth + 1))) >>> 0;
      return h;
    }
    default:
      return 0;
  }
}

export class DuplicateIndex {
  private capacity: number;
  private size = 0;
  private h1: Uint32Array;
  private h2: Uint32Array;
  private content: Uint32Array;
  private file: Uint32Array;
  private line: Uint32Array;

  constructor(initialCapacity = 1 << 14) {
    this.capacity = initialCapacity;
    this.h1 = new Uint32Array(initialCapacity);
    this.h2 = new Uint32Array(initialCapacity);
    this.content = new Uint32Array(initialCapacity);
    this.file = new Uint32Array(initialCapacity);
    this.line = new Uint32Array(initialCapacity);
  }

  get count(): number {
    return this.size;
  }

  /** Record an id; returns where it was first seen if it is a repeat. */
  add(id: string, contentHash: number, fileIndex: number, line: number): FirstSeen | undefined {
    // h2 is never 0 for a used slot: 0 marks an empty slot.
    const a = fnv1a(id);
    const b = (fnv1a(id, 0x9dc5811c) | 1) >>> 0; // `|` yields a signed int; the table holds unsigned
    const mask = this.capacity - 1;
    let i = a & mask;
    for (;;) {
      const slot = this.h2[i]!;
      if (slot === 0) break;
      if (slot === b && this.h1[i] === a) {
        return { fileIndex: this.file[i]!, line: this.line[i]!, sameContent: this.content[i] === contentHash };
      }
      i = (i + 1) & mask;
    }
    this.h1[i] = a;
    this.h2[i] = b;
    this.content[i] = contentHash;
    this.file[i] = fileIndex;
    this.line[i] = line;
    if (++this.size * 2 > this.capacity) this.grow();
    return undefined;
  }

  private grow(): void {
    const old = { h1: this.h1, h2: this.h2, content: this.content, file: this.file, line: this.line, cap: this.capacity };
    this.capacity *= 2;
    this.h1 = new Uint32Array(this.capacity);
    this.h2 = new Uint32Array(this.capacity);
    this.content = new Uint32Array(this.capacity);
    this.file = new Uint32Array(this.capacity);
    this.line = new Uint32Array(this.capacity);
    const mask = this.capacity - 1;
    for (let j = 0; j < old.cap; j++) {
      const b = old.h2[j]!;
      if (b === 0) continue;
      let i = old.h1[j]! & mask;
      while (this.h2[i] !== 0) i = (i + 1) & mask;
      this.h1[i] = old.h1[j]!;
      this.h2[i] = b;
      this.content[i] = old.content[j]!;
      this.file[i] = old.file[j]!;
      this.line[i] = old.line[j]!;
    }
  }
}
