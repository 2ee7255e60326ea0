/**
 * The reconciliation as text for people: per report, a table of each day × model with both
 * sides, the difference and the coverage (rows outside the tolerance first, worst first, every
 * measure of theirs; a row within it on one line), the totals, what was imported but not
 * reported and reported but not imported, the notes, and the verdict.
 */
import { count, percent, plural, table, usd, type Align } from '../format.js';
import type { Paint } from '../terminal.js';
import type { Measure, MeasureResult, RowResult } from './compare.js';
import { PROVIDER_NAMES, REPORT_FORMATS, type ReconcileDocument, type ScopeDocument } from './document.js';

export const MEASURE_NAMES: Record<Measure, string> = {
  requests: 'requests',
  input: 'input tokens',
  cachedInput: 'cached input',
  cacheWrite: 'cache writes',
  output: 'output tokens',
  usd: 'spend (USD)',
};

/** A difference with its sign (none when it prints as zero). */
const signed = (n: number, fmt: (n: number) => string) => (n > 0 && fmt(n) !== fmt(0) ? '+' : '') + fmt(n);
const figure = (m: Measure) => (m === 'usd' ? usd : count);

/** The measure a row within the tolerance is shown by: input tokens, else the first compared. */
export const headline = (s: ScopeDocument): Measure => (s.measures.includes('input') ? 'input' : s.measures[0]!);

export function modelCell(row: RowResult): string {
  const dims = [row.project, row.apiKey, row.workspace].filter((d) => d !== undefined).map((d) => d ?? '(none)');
  return [row.model ?? '(all models)', ...dims].join(' · ');
}

function measureCells(m: Measure, r: MeasureResult): string[] {
  const fmt = figure(m);
  return [MEASURE_NAMES[m], fmt(r.imported), fmt(r.reported), signed(r.difference, fmt), r.coverage === null ? '—' : percent(r.coverage)];
}

const ALIGN: Align[] = ['left', 'left', 'left', 'right', 'right', 'right', 'right'];

function scopeTable(s: ScopeDocument, rows: RowResult[], maxRows: number, c: Paint): string[] {
  const cells: string[][] = [['day', s.grain.model ? 'model' : '', 'measure', 'imported', 'reported', 'difference', 'coverage']];
  const marks: string[] = [''];
  const listed = maxRows > 0 ? rows.slice(0, maxRows) : rows;
  for (const row of listed) {
    const outside = row.status !== 'match';
    // A gap shows every measure either side has; a row within the tolerance, or with one side
    // only (listed with its figures below the table), its headline measure.
    const shown = (m: Measure) => row.measures[m] !== undefined && (row.measures[m].imported !== 0 || row.measures[m].reported !== 0);
    const measures = row.status === 'gap' ? s.measures.filter(shown) : [headline(s)];
    measures.forEach((m, i) => {
      cells.push([i === 0 ? row.day + (row.fullDay ? '' : ' (part)') : '', i === 0 ? modelCell(row) : '', ...measureCells(m, row.measures[m]!)]);
      marks.push(i > 0 ? '' : outside ? c.red('✖') : c.green('✔'));
    });
  }
  const first = cells.length;
  s.measures.forEach((m, i) => {
    cells.push([i === 0 ? 'totals' : '', '', ...measureCells(m, s.totals[m]!)]);
    marks.push('');
  });
  const lines = table(cells, ALIGN).map((line, i) => (i === 0 ? `  ${c.dim(line)}` : `${marks[i] || ' '} ${line}`));
  if (listed.length < rows.length) lines.splice(first, 0, c.gray(`  … ${plural(rows.length - listed.length, 'more row')} (--max-rows 0 shows every row; --format json lists them)`));
  return lines;
}

/** "imported but not reported" and "reported but not imported", each row named with its figures. */
function oneSided(s: ScopeDocument, rows: RowResult[]): string[] {
  const out: string[] = [];
  const describe = (row: RowResult, side: 'imported' | 'reported') => {
    const parts = s.measures.filter((m) => (row.measures[m]?.[side] ?? 0) > 0).map((m) => `${figure(m)(row.measures[m]![side])} ${MEASURE_NAMES[m]}`);
    const who = side === 'imported' ? ` from ${plural(row.payloads, 'payload')}` : '';
    return `    ${row.day}  ${modelCell(row)}: ${parts.join(', ')}${who}`;
  };
  const imported = rows.filter((r) => r.status === 'imported-not-reported');
  const reported = rows.filter((r) => r.status === 'reported-not-imported');
  if (imported.length > 0) out.push(`  imported but not reported (${imported.length}):`, ...imported.slice(0, 20).map((r) => describe(r, 'imported')));
  if (imported.length > 20) out.push(`    … ${imported.length - 20} more`);
  if (reported.length > 0) out.push(`  reported but not imported (${reported.length}):`, ...reported.slice(0, 20).map((r) => describe(r, 'reported')));
  if (reported.length > 20) out.push(`    … ${reported.length - 20} more`);
  return out;
}

export function scopeHeading(s: ScopeDocument): string {
  const days = s.days === 0 ? 'no day' : `${plural(s.days, 'day')} (${s.from === s.to ? s.from : `${s.from} – ${s.to}`})`;
  const grain = ['UTC day', ...(s.grain.model ? ['model'] : []), ...(s.grain.project ? ['project'] : []), ...(s.grain.apiKey ? ['API key'] : []), ...(s.grain.workspace ? ['workspace'] : [])].join(' × ');
  return `${REPORT_FORMATS[s.report].name} — ${plural(s.files.length, 'file')}, ${days} · per ${grain}`;
}

export function renderText(doc: ReconcileDocument, c: Paint, maxRows = 50): string {
  const out: string[] = [];
  const reportFiles = doc.reports.files.length;
  const dates = doc.since || doc.until ? ` · days ${doc.since ?? '…'} – ${doc.until ?? '…'}` : '';
  const files = doc.payloads.source === 'import-summary' ? plural(doc.payloads.files.length, 'import summary', 'import summaries') : plural(doc.payloads.files.length, 'file');
  out.push(`opsmeter reconcile: ${plural(doc.payloads.read, 'payload')} in ${files} against ${plural(reportFiles, 'report file')} · tolerance ±${doc.tolerancePct}%${dates}`);
  for (const s of doc.scopes) {
    const rows = doc.rows.filter((r) => r.provider === s.provider && r.kind === s.kind);
    out.push('', c.bold(scopeHeading(s)));
    if (rows.length === 0) out.push('  nothing to compare on its days');
    else out.push(...scopeTable(s, rows, maxRows, c), ...oneSided(s, rows));
  }
  if (doc.notes.length > 0) out.push('', 'notes:', ...doc.notes.map((n) => c.gray(`  · ${n}`)));
  out.push('', verdictLine(doc, c));
  return out.join('\n') + '\n';
}

/**
 * The coverage in a few lines, for the end of an import's summary (import --against): per
 * report its heading and its worst rows outside the tolerance, the notes, and the verdict.
 */
export function coverageLines(doc: ReconcileDocument, c: Paint, worst = 5): string {
  const out: string[] = [];
  for (const s of doc.scopes) {
    const rows = doc.rows.filter((r) => r.provider === s.provider && r.kind === s.kind && r.status !== 'match');
    out.push(`  coverage against ${scopeHeading(s)}: ${s.rows === 0 ? 'nothing to compare on its days' : `${count(s.rows - s.outside)} of ${plural(s.rows, 'row')} within ±${doc.tolerancePct}%`}`);
    for (const row of rows.slice(0, worst)) out.push(c.red(`    ✖ ${row.day}  ${modelCell(row)}: ${rowGap(s, row)}`));
    if (rows.length > worst) out.push(c.gray(`    … ${plural(rows.length - worst, 'more row')} outside (the report's coverage panel, or opsmeter reconcile SUMMARY.json --against …, lists them)`));
  }
  for (const n of doc.notes) out.push(c.gray(`    · ${n}`));
  out.push(`  coverage: ${verdictLine(doc, c)}`);
  return out.join('\n') + '\n';
}

/** A row outside the tolerance in words: its headline measure (else the first outside), imported of reported. */
function rowGap(s: ScopeDocument, row: RowResult): string {
  const h = headline(s);
  const m = row.measures[h]?.within === false ? h : (s.measures.find((x) => row.measures[x]?.within === false) ?? h);
  const r = row.measures[m]!;
  const fmt = figure(m);
  if (row.status === 'imported-not-reported') return `imported, not reported (${fmt(r.imported)} ${MEASURE_NAMES[m]})`;
  if (row.status === 'reported-not-imported') return `reported, not imported (${fmt(r.reported)} ${MEASURE_NAMES[m]})`;
  return `${fmt(r.imported)} of ${fmt(r.reported)} ${MEASURE_NAMES[m]} (${r.coverage === null ? '—' : percent(r.coverage)})`;
}

/** The last line: every row within the tolerance, or how many are not and the worst of them. */
export function verdictLine(doc: ReconcileDocument, c: Paint): string {
  const { rows, outside } = doc.summary;
  if (doc.verdict === 'nothing compared') return c.red('✖ nothing compared: no report usage and no imported usage on the same days (see the notes)');
  if (doc.verdict === 'within tolerance') return c.green(`✔ ${rows === 1 ? 'the row is' : `all ${count(rows)} rows are`} within ±${doc.tolerancePct}%`);
  const worst = doc.rows[0]!;
  const scope = doc.scopes.find((s) => s.provider === worst.provider && s.kind === worst.kind)!;
  const h = headline(scope);
  const m = worst.measures[h]?.within === false ? h : (scope.measures.find((x) => worst.measures[x]?.within === false) ?? h);
  const r = worst.measures[m]!;
  const cover =
    r.coverage === null
      ? `${figure(m)(r.imported)} ${MEASURE_NAMES[m]} imported that the report does not show`
      : `the import holds ${percent(r.coverage)} of the ${MEASURE_NAMES[m]} ${PROVIDER_NAMES[worst.provider] ?? worst.provider} reported`;
  const days = [...new Set(doc.rows.filter((row) => row.status !== 'match').map((row) => row.day))].sort();
  const on = days.length <= 5 ? ` on ${days.join(', ')}` : ` on ${days.length} days`;
  return c.red(`✖ ${count(outside)} of ${count(rows)} rows outside ±${doc.tolerancePct}%${on}; worst: ${worst.day} ${modelCell(worst)}, ${cover}`);
}
