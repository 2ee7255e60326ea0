/**
 * The import report's coverage panel (`import --report FILE.html --against REPORT…`): the
 * reconciliation of the import's breakdown with the providers' reports (src/reconcile/run.ts),
 * drawn from its document as the text report is (src/reconcile/render.ts gives the words): per
 * report, each day × model with both sides, the difference and the coverage, worst gaps first;
 * the totals; what was imported but not reported, and reported but not imported; the notes.
 */
import type { Measure, MeasureResult, RowResult } from '../reconcile/compare.js';
import type { ReconcileDocument, ScopeDocument } from '../reconcile/document.js';
import { headline, MEASURE_NAMES, modelCell, scopeHeading, verdictLine } from '../reconcile/render.js';
import { PLAIN } from '../terminal.js';
import { int, plural, usd } from './figures.js';
import { esc, num } from './report-chart.js';

/** Rows per report in the table; the rest on one line under it. */
const MAX_ROWS = 200;

const STATUS: Record<RowResult['status'], [string, string]> = {
  match: ['✔', 'within'],
  gap: ['✖', 'gap'],
  'imported-not-reported': ['✖', 'imported, not reported'],
  'reported-not-imported': ['✖', 'reported, not imported'],
};

const fmt = (m: Measure, n: number) => (m === 'usd' ? usd(n) : int(n));
const signed = (m: Measure, n: number) => (n > 0 ? '+' : '') + fmt(m, n);
/** Coverage as a percentage with one decimal (imported ÷ reported); a dash when nothing was reported. */
const coverage = (r: MeasureResult) => (r.coverage === null ? '—' : `${(100 * r.coverage).toFixed(1)} %`);

/** One measure's four cells: imported, reported, difference, coverage (sorted by their values). */
const measureCells = (m: Measure, r: MeasureResult) =>
  `${num(r.imported, fmt(m, r.imported))}${num(r.reported, fmt(m, r.reported))}${num(r.difference, signed(m, r.difference))}${num(r.coverage ?? -1, coverage(r), `num${r.within ? '' : ' off'}`)}`;

/** The measures outside the tolerance besides the headline one, in words. */
function otherGaps(s: ScopeDocument, row: RowResult, shown: Measure): string {
  const off = s.measures.filter((m) => m !== shown && row.measures[m]?.within === false);
  return off.map((m) => `${MEASURE_NAMES[m]}: ${fmt(m, row.measures[m]!.imported)} of ${fmt(m, row.measures[m]!.reported)} (${coverage(row.measures[m]!)})`).join('; ');
}

function scopeBlock(doc: ReconcileDocument, s: ScopeDocument, index: number): string {
  const rows = doc.rows.filter((r) => r.provider === s.provider && r.kind === s.kind);
  const h = headline(s);
  if (rows.length === 0) return `<h3>${esc(scopeHeading(s))}</h3><p>Nothing to compare on its days.</p>`;
  const body = rows.slice(0, MAX_ROWS).map((row) => {
    const [mark, status] = STATUS[row.status];
    const day = row.day + (row.fullDay ? '' : ' (part)');
    return `<tr class="${row.status}"><td class="mark">${mark}</td><td class="date">${esc(day)}</td><td class="name">${esc(modelCell(row))}</td><td>${esc(status)}</td>${measureCells(h, row.measures[h]!)}<td class="other">${esc(otherGaps(s, row, h))}</td></tr>`;
  });
  const rest = rows.length > MAX_ROWS ? `<tfoot><tr><td colspan="9">${esc(plural(rows.length - MAX_ROWS, 'more row'))}: opsmeter reconcile SUMMARY.json --against … --format json lists every row</td></tr></tfoot>` : '';
  const totals = s.measures.map((m) => `<tr><td>${esc(MEASURE_NAMES[m])}</td>${measureCells(m, s.totals[m]!)}</tr>`).join('\n');
  const count = (status: RowResult['status']) => rows.filter((r) => r.status === status).length;
  return `<h3>${esc(scopeHeading(s))}</h3>
<p class="lead">${esc(`${int(s.rows - s.outside)} of ${plural(s.rows, 'row')} within ±${doc.tolerancePct}% · imported but not reported: ${int(count('imported-not-reported'))} · reported but not imported: ${int(count('reported-not-imported'))}`)}. Outside the tolerance first, worst first.</p>
<table class="sortable coverage-table" id="coverage-table-${index}">
<thead><tr><th data-type="text"></th><th data-type="text">UTC day</th><th data-type="text">model</th><th data-type="text">status</th><th data-type="num">${esc(MEASURE_NAMES[h])} imported</th><th data-type="num">reported</th><th data-type="num">difference</th><th data-type="num">coverage</th><th data-type="text">other measures outside</th></tr></thead>
<tbody>${body.join('\n')}</tbody>
${rest}
</table>
<table class="coverage-totals" id="coverage-totals-${index}">
<thead><tr><th>totals</th><th>imported</th><th>reported</th><th>difference</th><th>coverage</th></tr></thead>
<tbody>${totals}</tbody>
</table>`;
}

export function coverageSection(doc: ReconcileDocument): string {
  const within = doc.verdict === 'within tolerance';
  const notes = doc.notes.length > 0 ? `<ul class="coverage-notes">${doc.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  return `<section id="coverage">
<h2>Coverage against the providers' reports</h2>
<p class="verdict ${within ? 'ok' : 'bad'}" id="coverage-verdict">${esc(verdictLine(doc, PLAIN))}</p>
<p class="lead">The import per UTC day × model against what the provider metered (coverage: imported ÷ reported, tolerance ±${esc(String(doc.tolerancePct))}%). Below 100 % the logs miss usage; above it they hold more than was metered.</p>
${doc.scopes.map((s, i) => scopeBlock(doc, s, i)).join('\n')}
${notes}
</section>`;
}

export const COVERAGE_CSS = `
#coverage .verdict{font-size:15px;font-weight:600;margin:0 0 6px}
#coverage tr.gap td,#coverage tr.imported-not-reported td,#coverage tr.reported-not-imported td{background:#fdf1f0}
#coverage td.mark{width:1.5em;color:var(--bad)}
#coverage td.date{white-space:nowrap}
#coverage tr.match td.mark{color:var(--ok)}
#coverage td.off{color:var(--bad);font-weight:600}
#coverage td.other{color:var(--muted);font-size:12px}
.coverage-totals{margin-top:10px;width:auto}
.coverage-notes{color:var(--muted);font-size:12px;padding-left:18px}
`;
