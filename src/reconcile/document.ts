/**
 * The reconciliation as one document: the comparison (compare.ts) with what was read on each
 * side and everything left out of the comparison, named. `--format json` prints it as it is;
 * the text report (render.ts) is drawn from it. docs/reconcile.md documents its fields.
 */
import { plural, usd } from '../format.js';
import type { Dimension, Reconciliation, ReportKind, RowResult, ScopeResult } from './compare.js';
import type { FieldPaths, PayloadCollector, Tally } from './read.js';
import { REPORT_FORMATS, type DayRange, type ReportCollector, type ReportFormat } from './reports.js';

export type Verdict = 'within tolerance' | 'outside tolerance' | 'nothing compared';

export interface ScopeDocument extends ScopeResult {
  /** The report format the scope was read from. */
  report: ReportFormat;
  files: string[];
  /** Results outside --since/--until. */
  excludedResults: number;
  /** Cost results that are no model's tokens (tools, storage): not compared. */
  nonToken: { item: string; usd: number; results: number }[];
  /** Payloads of this provider outside the times the report covers. */
  outsideReport: Tally;
  /** Payloads compared (in the report's time range), of which partial (usage incomplete) and not priced. */
  payloads: number;
  partialPayloads: number;
  unpricedPayloads: number;
  /** Import summaries only: days the report covers in part, not compared (a summary's day cannot be cut), and the payloads on them. */
  partDaysNotCompared: string[];
  partDayPayloads: number;
}

export interface ReconcileDocument {
  tolerancePct: number;
  since: string | null;
  until: string | null;
  verdict: Verdict;
  summary: { rows: number; outside: number; importedNotReported: number; reportedNotImported: number };
  payloads: {
    /** What the imported side was read from: payload files, or import summaries' breakdowns. */
    source: 'payloads' | 'import-summary';
    files: { file: string; payloads: number }[];
    read: number;
    noCreatedAt: number;
    excludedByDate: number;
    noReport: ({ provider: string } & Tally)[];
    /** Where the dimensions are read from in a payload. */
    fields: FieldPaths;
  };
  reports: { files: { file: string; format: ReportFormat | undefined; buckets: number; results: number; note?: string }[] };
  scopes: ScopeDocument[];
  rows: RowResult[];
  notes: string[];
}

const tallyList = <K extends string>(map: Map<string, Tally>, name: K) => [...map].map(([k, t]) => ({ [name]: k, ...t }) as { [P in K]: string } & Tally);

/**
 * `partDays`: per "provider/kind", the days its report covers in part that were left out of
 * the comparison because the imported side is an import summary (whole days only).
 */
export function buildDocument(
  r: Reconciliation,
  payloads: PayloadCollector,
  reports: ReportCollector,
  range: DayRange,
  fields: FieldPaths,
  partDays: ReadonlyMap<string, string[]> = new Map(),
): ReconcileDocument {
  const parts = [...reports.parts.values()];
  const scopes: ScopeDocument[] = r.scopes.map((s) => {
    const part = parts.find((p) => p.provider === s.provider && p.kind === s.kind)!;
    const rows = r.rows.filter((row) => row.provider === s.provider && row.kind === s.kind);
    const total = (what: 'payloads' | 'partial' | 'unpriced') => rows.reduce((n, row) => n + row[what], 0);
    return {
      ...s,
      report: part.format,
      files: [...part.files],
      excludedResults: part.excludedResults,
      nonToken: [...part.nonToken].map(([item, n]) => ({ item, ...n })).sort((a, b) => b.usd - a.usd),
      outsideReport: payloads.outside.get(`${s.provider}/${s.kind}`) ?? { payloads: 0 },
      payloads: total('payloads') + s.emptyPayloads,
      partialPayloads: total('partial'),
      unpricedPayloads: total('unpriced'),
      partDaysNotCompared: partDays.get(`${s.provider}/${s.kind}`) ?? [],
      partDayPayloads: payloads.partDays.get(`${s.provider}/${s.kind}`)?.payloads ?? 0,
    };
  });
  const count = (status: RowResult['status']) => r.rows.filter((row) => row.status === status).length;
  const outside = r.rows.filter((row) => row.status !== 'match').length;
  return {
    tolerancePct: r.tolerancePct,
    since: range.since ?? null,
    until: range.until ?? null,
    verdict: r.rows.length === 0 ? 'nothing compared' : r.within ? 'within tolerance' : 'outside tolerance',
    summary: { rows: r.rows.length, outside, importedNotReported: count('imported-not-reported'), reportedNotImported: count('reported-not-imported') },
    payloads: {
      source: payloads.summaries > 0 ? 'import-summary' : 'payloads',
      files: payloads.files,
      read: payloads.payloads,
      noCreatedAt: payloads.untimed,
      excludedByDate: payloads.excluded,
      noReport: tallyList(payloads.noReport, 'provider'),
      fields,
    },
    reports: { files: reports.files },
    scopes,
    rows: r.rows,
    notes: notes(scopes, payloads, reports, fields),
  };
}

const span = (t: Tally) => (t.from === undefined ? '' : t.from === t.to ? ` (${t.from})` : ` (${t.from} – ${t.to})`);
const payloadCount = (n: number) => plural(n, 'payload');

export const PROVIDER_NAMES: Record<string, string> = { openai: 'OpenAI', anthropic: 'Anthropic' };
export const scopeTitle = (s: { provider: string; kind: ReportKind }) => `${PROVIDER_NAMES[s.provider] ?? s.provider} ${s.kind}`;

const DIMENSION_NAMES: Record<Dimension, string> = { project: 'project (project_id)', apiKey: 'API key (api_key_id)', workspace: 'workspace (workspace_id)' };
const FLAG_NAMES: Record<Dimension, string> = { project: 'project', apiKey: 'api-key', workspace: 'workspace' };

/** Everything the comparison left out or must qualify, each a sentence. */
function notes(scopes: ScopeDocument[], payloads: PayloadCollector, reports: ReportCollector, fields: FieldPaths): string[] {
  const out: string[] = [];
  const summary = payloads.summaries > 0;
  for (const f of reports.files) if (f.note) out.push(f.note);
  if (payloads.untimed > 0) out.push(`${payloadCount(payloads.untimed)} without createdAt${summary ? ' (the summary\'s undated)' : ''}: no day to compare on, not compared`);
  if (payloads.excluded > 0) out.push(`${payloadCount(payloads.excluded)} outside --since/--until: not compared`);
  for (const [provider, t] of payloads.noReport) {
    out.push(`${PROVIDER_NAMES[provider] ?? provider}: ${payloadCount(t.payloads)}${span(t)} and no report of this provider: not compared`);
  }
  for (const s of scopes) {
    const title = scopeTitle(s);
    if (s.outsideReport.payloads > 0) out.push(`${title}: ${payloadCount(s.outsideReport.payloads)}${span(s.outsideReport)} outside the times the report covers: not compared`);
    if (s.partDaysNotCompared.length > 0) {
      const days = s.partDaysNotCompared;
      const on = s.partDayPayloads > 0 ? ` (${payloadCount(s.partDayPayloads)} imported on ${days.length === 1 ? 'it' : 'them'})` : '';
      out.push(`${title}: the report covers only part of ${days.join(', ')}, and an import summary has whole days: not compared on ${days.length === 1 ? 'that day' : 'those days'}${on}; reconcile the payload file to compare the part`);
    }
    if (s.partialDays.length > 0) out.push(`${title}: the report covers only part of ${s.partialDays.join(', ')}: only the payloads inside its buckets are compared on ${s.partialDays.length === 1 ? 'that day' : 'those days'}`);
    for (const d of s.reportOnly) {
      if (summary) {
        out.push(`${title}: the report is grouped by ${DIMENSION_NAMES[d]}, but an import summary has no project, API key or workspace split: compared per UTC day × model`);
        continue;
      }
      out.push(`${title}: the report is grouped by ${DIMENSION_NAMES[d]}, but no payload carries ${fields[d]}: compared without it (--field ${FLAG_NAMES[d]}=PATH reads another payload field)`);
    }
    if (!s.grain.model) out.push(`${title}: the report is not grouped by model: each day is compared over all models`);
    if (s.partialPayloads > 0) out.push(`${title}: ${plural(s.partialPayloads, 'partial payload')} (usage incomplete): the imported figures of their rows are lower bounds`);
    if (s.kind === 'cost') {
      if (s.unpricedPayloads > 0) out.push(`${title}: ${payloadCount(s.unpricedPayloads)} the price source cannot price: the imported estimate of their rows is a lower bound`);
      out.push(`${title}: the imported figure is the import's estimate at list prices, not a bill (docs/import.md "Cost estimates")`);
      if (s.nonToken.length > 0) {
        const total = s.nonToken.reduce((n, x) => n + x.usd, 0);
        out.push(`${title}: ${s.nonToken.length === 1 ? 'a line item that is' : `${s.nonToken.length} line items that are`} no model's tokens, ${usd(total)}, not compared: ${s.nonToken.slice(0, 5).map((x) => x.item).join('; ')}${s.nonToken.length > 5 ? '; …' : ''}`);
      }
      if (!s.grain.model && s.nonToken.length === 0) out.push(`${title}: a report not grouped by line item or description includes spend that is no model's tokens (tools, storage)`);
    }
    if (s.emptyPayloads > 0) out.push(`${title}: ${payloadCount(s.emptyPayloads)} without any of the compared figures (no token counts): nothing to compare`);
    if (s.excludedResults > 0) out.push(`${title}: ${plural(s.excludedResults, 'report result')} outside --since/--until: not compared`);
  }
  return out;
}

export { REPORT_FORMATS };
