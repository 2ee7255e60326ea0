/**
 * Numbers and tables as the text summaries print them: counts with thousands separators,
 * dollars, percentages, and left/right-aligned columns. Plain functions of their input, for
 * any renderer (they colour nothing and write nowhere).
 */

/** 1234567 → "1,234,567" without toLocaleString, whose ICU start-up costs ~30 ms. Negative numbers keep their sign. */
export function count(n: number): string {
  const sign = n < 0 ? '-' : '';
  return sign + String(Math.abs(Math.round(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A count with its noun: "1 payload", "2 payloads". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** Dollars: cents for amounts from a cent up, six decimals below a cent (as the import summary prints estimates). */
export function usd(n: number): string {
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  // Below half a millionth it rounds to nothing at six decimals: zero, without a sign.
  if (a < 0.0000005) return '$0.00';
  if (a < 0.01) return `${sign}$${a.toFixed(6)}`;
  const cents = Math.round(a * 100);
  return `${sign}$${count(Math.floor(cents / 100))}.${String(cents % 100).padStart(2, '0')}`;
}

/** A ratio as a percentage with one decimal: 0.9234 → "92.3%". */
export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

export type Align = 'left' | 'right';

/**
 * Rows of cells as lines of aligned columns, two spaces apart, each column as wide as its
 * widest cell; trailing spaces are trimmed. `align` gives each column's alignment (left by default).
 */
export function table(rows: readonly (readonly string[])[], align: readonly Align[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i]! - [...cell].length);
        return align[i] === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}
