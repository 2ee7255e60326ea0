/**
 * Dollar amounts for people (the budget 402's text, the banner): whole dollars as they are,
 * cents from a cent up, two significant digits below it ($0.000012, not $0.0000), and as many
 * more as it takes to tell an amount from the one it is compared with ("$0.010003 is past the
 * budget of $0.01").
 */

/** Decimals that show `x` with two significant digits, and at least two (cents). */
function decimalsFor(x: number): number {
  if (!(x > 0) || x >= 0.01) return 2;
  return Math.min(12, 1 - Math.floor(Math.log10(x)));
}

/** `x.toFixed(d)` without zeros past the cents ("0.000010" → "0.00001", "12.50" stays). */
function fixed(x: number, d: number): string {
  const s = x.toFixed(d);
  if (d <= 2) return s;
  const trimmed = s.replace(/0+$/, '');
  const decimals = trimmed.length - trimmed.indexOf('.') - 1;
  return decimals < 2 ? x.toFixed(2) : trimmed;
}

/** "$5", "$12.35", "$0.000012", "$0"; with `than`, precise enough to differ from `usd(than)` when the two amounts differ. */
export function usd(x: number, than?: number): string {
  if (Number.isInteger(x)) return `$${x}`; // never mistaken for another amount, whole or not
  let d = decimalsFor(x);
  if (than !== undefined && than !== x) {
    while (d < 12 && fixed(x, d) === fixed(than, Math.max(d, decimalsFor(than)))) d++;
  }
  return `$${fixed(x, d)}`;
}
