/**
 * The reconciliation itself: a pure function from what was imported and what the provider
 * reported, both as totals per UTC day × provider × model (× project / API key / workspace), to
 * the comparison. It reads no file and knows no report format, so anything holding such totals
 * (the reconcile command's readers, a coverage panel over an import summary) can call it.
 * docs/reconcile.md describes what is compared and how the meanings are aligned.
 */

/** What is compared, in opsmeter's meanings (docs/reconcile.md "What is compared"). */
export const MEASURES = ['requests', 'input', 'cachedInput', 'cacheWrite', 'output', 'usd'] as const;
export type Measure = (typeof MEASURES)[number];
export type Figures = Partial<Record<Measure, number>>;

/** A usage report (token counts) or a cost report (dollars, against the import's estimate). */
export type ReportKind = 'usage' | 'cost';

/** The groupings besides day and model that a report and payloads can share. */
export const DIMENSIONS = ['project', 'apiKey', 'workspace'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Where a dimension's value is read from in a payload: a top-level field or `metadata.<key>`. */
export type FieldPaths = Record<Dimension, string>;

/** The payload fields read by default (docs/reconcile.md "Projects, API keys and workspaces"). */
export const DEFAULT_FIELDS: FieldPaths = { project: 'metadata.projectId', apiKey: 'metadata.apiKeyId', workspace: 'metadata.workspaceId' };

/** Totals of one UTC day × provider × model (× dimensions) on one side. */
export interface TotalsRow {
  /** On the imported side: the report kind the row was counted for (absent: every kind). */
  kind?: ReportKind;
  provider: string;
  /** UTC date, YYYY-MM-DD. */
  day: string;
  /** The model as logged or reported; null when the report is not grouped by model. */
  model: string | null;
  project?: string | null;
  apiKey?: string | null;
  workspace?: string | null;
  figures: Figures;
  /** Imported side: payloads, of which partial (token counts incomplete) and not priced (no estimate). */
  payloads?: number;
  partial?: number;
  unpriced?: number;
}

/** One report (a provider's usage or cost report): what it states and which days it covers. */
export interface ReportScope {
  kind: ReportKind;
  provider: string;
  /** The measures every result of the report states. */
  measures: readonly Measure[];
  /** The UTC days its buckets cover; `full` when the buckets cover the whole day. */
  days: readonly { day: string; full: boolean }[];
}

export interface ReconcileInput {
  imported: readonly TotalsRow[];
  reported: readonly TotalsRow[];
  scopes: readonly ReportScope[];
  /** Allowed difference, in percent of the reported figure. */
  tolerancePct: number;
  /** The model family both sides are matched on (dated snapshot ids to their alias). */
  family(provider: string, model: string): string;
}

export interface MeasureResult {
  imported: number;
  reported: number;
  /** imported − reported. */
  difference: number;
  /** imported / reported; null when nothing was reported. */
  coverage: number | null;
  within: boolean;
}

export type RowStatus = 'match' | 'gap' | 'imported-not-reported' | 'reported-not-imported';

export interface RowResult {
  kind: ReportKind;
  provider: string;
  day: string;
  /** The model family; null when the report is not grouped by model (the row is all models). */
  model: string | null;
  /** Present for the dimensions compared (null: the default workspace, Console usage, no key). */
  project?: string | null;
  apiKey?: string | null;
  workspace?: string | null;
  status: RowStatus;
  measures: Partial<Record<Measure, MeasureResult>>;
  payloads: number;
  partial: number;
  unpriced: number;
  /** The model ids each side used for this row. */
  importedModels: string[];
  reportedModels: string[];
  /** False when the report's buckets cover only part of the day. */
  fullDay: boolean;
  /** What the worst-first order sorts on: tokens (input + output) or dollars off. */
  gap: number;
}

export interface ScopeResult {
  kind: ReportKind;
  provider: string;
  measures: Measure[];
  /** The groupings compared: model, and the dimensions both sides carry. */
  grain: { model: boolean } & Record<Dimension, boolean>;
  /** Groupings the report has that no imported row carries: rolled up, not compared. */
  reportOnly: Dimension[];
  days: number;
  /** The first and last day the report covers (null: none). */
  from: string | null;
  to: string | null;
  partialDays: string[];
  rows: number;
  outside: number;
  totals: Partial<Record<Measure, MeasureResult>>;
  /** Imported payloads on the report's days with none of the compared figures (no token counts): nothing to compare. */
  emptyPayloads: number;
}

export interface Reconciliation {
  tolerancePct: number;
  scopes: ScopeResult[];
  /** Every compared row: those outside the tolerance first, worst first; then the rest report by report, by day and model. */
  rows: RowResult[];
  /** Every row within the tolerance (true when there is no row). */
  within: boolean;
}

const ALL_MODELS = '*';

interface Cell {
  day: string;
  model: string | null;
  dims: Partial<Record<Dimension, string | null>>;
  imported: Record<string, number>;
  reported: Record<string, number>;
  payloads: number;
  partial: number;
  unpriced: number;
  importedModels: Set<string>;
  reportedModels: Set<string>;
  hasImported: boolean;
  hasReported: boolean;
}

/** Within the tolerance: |imported − reported| ≤ tolerance × reported (a float's last bits aside). */
function withinTolerance(imported: number, reported: number, tolerancePct: number): boolean {
  const allowed = (Math.abs(reported) * tolerancePct) / 100;
  return Math.abs(imported - reported) <= allowed + 1e-9 * Math.max(1, Math.abs(reported));
}

export function compareMeasure(imported: number, reported: number, tolerancePct: number): MeasureResult {
  return {
    imported,
    reported,
    difference: imported - reported,
    coverage: reported === 0 ? null : imported / reported,
    within: withinTolerance(imported, reported, tolerancePct),
  };
}

const sameScope = (row: TotalsRow, scope: ReportScope) => row.provider === scope.provider && (row.kind === undefined || row.kind === scope.kind);

export function reconcile(input: ReconcileInput): Reconciliation {
  const scopes: ScopeResult[] = [];
  const rows: RowResult[] = [];
  const order = [...input.scopes].sort((a, b) => (a.provider === b.provider ? (a.kind === 'usage' ? -1 : 1) : a.provider < b.provider ? -1 : 1));
  for (const scope of order) {
    const r = reconcileScope(scope, input);
    scopes.push(r.scope);
    rows.push(...r.rows);
  }
  const outside = rows.filter((r) => r.status !== 'match').sort((a, b) => b.gap - a.gap || byPlace(a, b));
  const inside = rows.filter((r) => r.status === 'match').sort(byPlace);
  return { tolerancePct: input.tolerancePct, scopes, rows: [...outside, ...inside], within: outside.length === 0 };
}

/** Report by report (provider, usage before cost), then by day, model and groups. */
function byPlace(a: RowResult, b: RowResult): number {
  const place = (r: RowResult) => [r.provider, r.kind === 'usage' ? 0 : 1, r.day, r.model ?? '', r.project ?? '', r.apiKey ?? '', r.workspace ?? ''].join('\u0000');
  const ka = place(a);
  const kb = place(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The groupings a scope is compared at: model when every reported row has one; a dimension when both sides carry it. */
function grainOf(reported: readonly TotalsRow[], imported: readonly TotalsRow[]): { grain: ScopeResult['grain']; reportOnly: Dimension[] } {
  const grain = { model: reported.every((r) => r.model !== null), project: false, apiKey: false, workspace: false };
  const reportOnly: Dimension[] = [];
  for (const d of DIMENSIONS) {
    const inReport = reported.some((r) => r[d] !== undefined && r[d] !== null);
    if (!inReport) continue;
    if (imported.some((r) => r[d] !== undefined && r[d] !== null)) grain[d] = true;
    else reportOnly.push(d);
  }
  return { grain, reportOnly };
}

function reconcileScope(scope: ReportScope, input: ReconcileInput): { scope: ScopeResult; rows: RowResult[] } {
  const days = new Map(scope.days.map((d) => [d.day, d.full]));
  const reported = input.reported.filter((r) => sameScope(r, scope) && days.has(r.day));
  const imported = input.imported.filter((r) => sameScope(r, scope) && days.has(r.day));
  const { grain, reportOnly } = grainOf(reported, imported);
  const cells = new Map<string, Cell>();
  const cellOf = (row: TotalsRow): Cell => {
    const model = grain.model && row.model !== null ? input.family(row.provider, row.model) : null;
    const dims: Partial<Record<Dimension, string | null>> = {};
    for (const d of DIMENSIONS) if (grain[d]) dims[d] = row[d] ?? null;
    const key = JSON.stringify([row.day, model ?? ALL_MODELS, dims.project, dims.apiKey, dims.workspace]);
    let c = cells.get(key);
    if (!c) {
      c = { day: row.day, model, dims, imported: {}, reported: {}, payloads: 0, partial: 0, unpriced: 0, importedModels: new Set(), reportedModels: new Set(), hasImported: false, hasReported: false };
      cells.set(key, c);
    }
    return c;
  };
  const add = (into: Record<string, number>, figures: Figures) => {
    for (const m of scope.measures) into[m] = (into[m] ?? 0) + (figures[m] ?? 0);
  };
  for (const row of reported) {
    const c = cellOf(row);
    c.hasReported = true;
    add(c.reported, row.figures);
    if (row.model !== null) c.reportedModels.add(row.model);
  }
  for (const row of imported) {
    const c = cellOf(row);
    c.hasImported = true;
    add(c.imported, row.figures);
    c.payloads += row.payloads ?? 0;
    c.partial += row.partial ?? 0;
    c.unpriced += row.unpriced ?? 0;
    if (row.model !== null) c.importedModels.add(row.model);
  }
  const rows: RowResult[] = [];
  let emptyPayloads = 0;
  const totals: Record<string, { imported: number; reported: number }> = {};
  for (const c of cells.values()) {
    const importedZero = scope.measures.every((m) => (c.imported[m] ?? 0) === 0);
    const reportedZero = scope.measures.every((m) => (c.reported[m] ?? 0) === 0);
    if (importedZero && reportedZero) {
      emptyPayloads += c.payloads;
      continue;
    }
    const measures: Partial<Record<Measure, MeasureResult>> = {};
    for (const m of scope.measures) {
      const imp = c.imported[m] ?? 0;
      const rep = c.reported[m] ?? 0;
      measures[m] = compareMeasure(imp, rep, input.tolerancePct);
      const t = (totals[m] ??= { imported: 0, reported: 0 });
      t.imported += imp;
      t.reported += rep;
    }
    const within = Object.values(measures).every((m) => m.within);
    const status: RowStatus = reportedZero ? 'imported-not-reported' : importedZero ? 'reported-not-imported' : within ? 'match' : 'gap';
    rows.push({
      kind: scope.kind,
      provider: scope.provider,
      day: c.day,
      model: c.model,
      ...c.dims,
      status,
      measures,
      payloads: c.payloads,
      partial: c.partial,
      unpriced: c.unpriced,
      importedModels: [...c.importedModels].sort(),
      reportedModels: [...c.reportedModels].sort(),
      fullDay: days.get(c.day) !== false,
      gap: gapSize(measures),
    });
  }
  const totalResults: Partial<Record<Measure, MeasureResult>> = {};
  for (const m of scope.measures) totalResults[m] = compareMeasure(totals[m]?.imported ?? 0, totals[m]?.reported ?? 0, input.tolerancePct);
  return {
    rows,
    scope: {
      kind: scope.kind,
      provider: scope.provider,
      measures: [...scope.measures],
      grain,
      reportOnly,
      days: days.size,
      from: days.size === 0 ? null : [...days.keys()].sort()[0]!,
      to: days.size === 0 ? null : [...days.keys()].sort().at(-1)!,
      partialDays: [...days].filter(([, full]) => !full).map(([d]) => d).sort(),
      rows: rows.length,
      outside: rows.filter((r) => r.status !== 'match').length,
      totals: totalResults,
      emptyPayloads,
    },
  };
}

/** Tokens off (input + output) for a usage row, dollars off for a cost row, else requests off. */
function gapSize(m: Partial<Record<Measure, MeasureResult>>): number {
  if (m.input || m.output) return Math.abs(m.input?.difference ?? 0) + Math.abs(m.output?.difference ?? 0);
  if (m.usd) return Math.abs(m.usd.difference);
  return Math.abs(m.requests?.difference ?? 0);
}
