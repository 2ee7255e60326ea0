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

/** Fields whose difference makes a repeated externalRequestId a real conflict. */
const FINGERPRINT_FIELDS = ['provider', 'model', 'status', 'inputTokens', 'outputTokens', 'totalTokens', 'latencyMs', 'createdAt', 'errorCode', 'endpointTag', 'promptVersion', 'userId'] as const;

/**
 * A 32-bit fingerprint of what the server would count (usage, model, status, time, tags).
 * Hashing only these fields rather than the raw line keeps the hot path cheap; two records
 * that differ only in metadata or key order count as the same content.
 */
export function contentFingerprint(record: unknown): number {
  if (typeof record !== 'object' || record === null) return 0;
  const r = record as Record<string, unknown>;
  let h = 0x811c9dc5;
  for (const f of FINGERPRINT_FIELDS) {
    const v = r[f];
    if (typeof v === 'string') h = fnv1a(v, h);
    else if (typeof v === 'number') h = Math.imul(h ^ (v | 0) ^ Math.floor(v / 4294967296), 0x01000193);
    else h = Math.imul(h ^ (v === undefined ? 1 : v === null ? 2 : 3), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193) >>> 0; // field separator
  }
  return h >>> 0;
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
    const b = fnv1a(id, 0x9dc5811c) | 1;
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
