/**
 * The seeded randomness opsmeter uses for made-up data and fault injection (the mulberry32
 * PRNG), and the one small string hash (32-bit FNV-1a) that turns a string seed into PRNG
 * state and keys the import's in-run request ids. Tiny and reproducible (the same seed gives
 * the same sequence on every machine); not for anything security-related.
 */
export type Random = () => number;

export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
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

/** A PRNG seeded by any string (`send --seed`). */
export function seededRandom(seed: string): Random {
  return mulberry32(fnv1a(seed));
}

/** A fresh random seed (printed in the summary so a run can be repeated or resumed). */
export function randomSeed(): string {
  return Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
}
