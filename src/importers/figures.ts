/**
 * Numbers as people read them, for the import's stderr summary and its HTML report: counts
 * with thousands separators, dollars rounded for reading. Machine output (--summary-json)
 * keeps full precision; only these renderings round.
 */

export const int = (n: number): string => n.toLocaleString('en-US');

export const plural = (n: number, one: string, many = `${one}s`): string => `${int(n)} ${n === 1 ? one : many}`;

/**
 * Dollars for people: cents from a cent up ($1,234.56, $0.05); below a cent, two significant
 * digits, so a small figure is neither $0.00 nor a row of zeros ($0.0068, $0.0000068).
 */
export function usd(n: number): string {
  if (n === 0) return '$0.00';
  const a = Math.abs(n);
  const sign = n < 0 ? '-' : '';
  if (a >= 0.01 || a < 1e-12) return `${sign}$${a.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const digits = Math.min(20, 1 - Math.floor(Math.log10(a)));
  return `${sign}$${a.toFixed(digits).replace(/(\.\d*?[1-9])0+$/, '$1')}`;
}

/** A share as a percentage for people: "26 %", "0.4 %", "< 0.1 %". */
export function percent(part: number, whole: number): string {
  if (whole <= 0 || part <= 0) return '0 %';
  const p = (100 * part) / whole;
  if (p < 0.1) return '< 0.1 %';
  return `${p < 10 ? p.toFixed(1).replace(/\.0$/, '') : Math.round(p)} %`;
}

/** A large count, short: 738,645 → "739K", 1,234,567 → "1.23M" (the exact figure goes beside it). */
export function compact(n: number): string {
  const a = Math.abs(n);
  if (a < 10_000) return int(n);
  const [div, unit] = a >= 1e9 ? [1e9, 'B'] : a >= 1e6 ? [1e6, 'M'] : [1e3, 'K'];
  const v = n / div;
  return `${Math.abs(v) < 10 ? v.toFixed(2) : Math.abs(v) < 100 ? v.toFixed(1) : Math.round(v)}${unit}`;
}

/** Seconds for people: "45s", "3m05s", "2h07m". */
export function duration(secs: number): string {
  const s = Math.ceil(secs);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Bytes for people: "812 B", "12.3 MB", "1.41 GB". */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const [div, unit] = n >= 1e9 ? [1e9, 'GB'] : n >= 1e6 ? [1e6, 'MB'] : [1e3, 'KB'];
  const v = n / div;
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)} ${unit}`;
}
