/**
 * The report's chart of estimated spend per UTC day, stacked by model (report-page.ts): an
 * inline SVG, so the page needs no script and no network to show it, and prints as drawn.
 * Every bar and segment carries a <title> with its date and figures, for a pointer and for a
 * screen reader; the page's table beside it has the same figures.
 */
import { usd } from './figures.js';

export interface ChartBar {
  /** A UTC date, or "no date" for the payloads without createdAt. */
  label: string;
  /** Spend per series, in the order of `series`. */
  values: number[];
  undated?: boolean;
}

export interface ChartSeries {
  name: string;
  color: string;
}

const W = 960;
const H = 320;
const LEFT = 70;
const RIGHT = 12;
const TOP = 14;
const BOTTOM = 84;

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A numeric table cell: the figure for people, the exact value to sort by. */
export const num = (v: number | null, text: string, cls = 'num') => `<td class="${cls}" data-v="${v ?? -1}">${esc(text)}</td>`;

/** A round number at or above `max` for the axis, with 4 steps. */
function axisMax(max: number): number {
  if (max <= 0) return 1;
  const step = max / 4;
  const mag = 10 ** Math.floor(Math.log10(step));
  const nice = [1, 2, 2.5, 5, 10].find((m) => m * mag >= step)! * mag;
  return nice * 4;
}

/** Fixed-point coordinates: short, and the same on every run. */
const f = (n: number) => (Math.round(n * 10) / 10).toString();

export function spendChart(bars: readonly ChartBar[], series: readonly ChartSeries[]): string {
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const totals = bars.map((b) => b.values.reduce((a, v) => a + v, 0));
  const top = axisMax(Math.max(0, ...totals));
  const slot = plotW / Math.max(1, bars.length);
  const barW = Math.max(1, Math.min(48, slot * 0.78));
  const y = (v: number) => TOP + plotH - (v / top) * plotH;
  const out: string[] = [];
  out.push(
    `<svg id="spend-per-day" class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title">`,
    `<title id="chart-title">Estimated spend per UTC day, stacked by model</title>`,
  );
  for (let i = 0; i <= 4; i++) {
    const v = (top / 4) * i;
    out.push(`<line class="grid" x1="${LEFT}" x2="${W - RIGHT}" y1="${f(y(v))}" y2="${f(y(v))}"/>`);
    out.push(`<text class="tick" x="${LEFT - 6}" y="${f(y(v) + 4)}" text-anchor="end">${esc(usd(v))}</text>`);
  }
  // Label every bar while they fit; past that every k-th (each bar's title still names its date).
  const every = Math.max(1, Math.ceil(bars.length / 40));
  bars.forEach((bar, i) => {
    const x = LEFT + slot * i + (slot - barW) / 2;
    const total = totals[i]!;
    out.push(`<g class="bar${bar.undated ? ' undated' : ''}" data-date="${esc(bar.label)}">`);
    out.push(`<title>${esc(bar.label)}: ${esc(usd(total))} estimated</title>`);
    let base = 0;
    bar.values.forEach((v, s) => {
      if (v <= 0) return;
      const y0 = y(base);
      const y1 = y(base + v);
      base += v;
      out.push(
        `<rect x="${f(x)}" y="${f(y1)}" width="${f(barW)}" height="${f(Math.max(0.5, y0 - y1))}" fill="${series[s]!.color}"><title>${esc(bar.label)} · ${esc(series[s]!.name)}: ${esc(usd(v))}</title></rect>`,
      );
    });
    if (bar.undated) out.push(`<rect class="undated-frame" x="${f(x - 2)}" y="${f(TOP)}" width="${f(barW + 4)}" height="${f(plotH)}"/>`);
    if (i % every === 0 || bar.undated) {
      const lx = x + barW / 2;
      const ly = TOP + plotH + 10;
      out.push(`<text class="day" x="${f(lx)}" y="${f(ly)}" transform="rotate(-50 ${f(lx)} ${f(ly)})" text-anchor="end">${esc(bar.label)}</text>`);
    }
    out.push('</g>');
  });
  out.push(`<line class="axis" x1="${LEFT}" x2="${W - RIGHT}" y1="${f(TOP + plotH)}" y2="${f(TOP + plotH)}"/>`);
  out.push('</svg>');
  return out.join('\n');
}
