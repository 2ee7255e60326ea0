/**
 * The import's accounting: counts by outcome and reason, token totals and estimated cost
 * per provider/model — aggregates only, so memory stays flat whatever the row count.
 * Rendered as JSON (--summary-json) and as text on stderr.
 */
import type { Catalog } from '../contract/catalog.js';
import type { Payload } from '../contract/fields.js';
import type { CostLedger, DayCost } from '../prices/ledger.js';
import type { DefaultName } from './finish.js';
import type { FormatId } from './types.js';

interface TokenSums {
  payloads: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

interface ModelTally {
  provider: string;
  model: string;
  known: boolean;
  complete: TokenSums;
  partial: TokenSums;
}

const MAX_REASONS = 200;
const OTHER = '(other reasons)';

const zero = (): TokenSums => ({ payloads: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });

/**
 * Reasons carry values ("row has 3 cells…", `object "list" is not …`); the summary groups
 * them by shape, masking only the variable parts. A quoted name the message itself fixes —
 * `no "object" field`, `is not "ModelInvocationLog"` — is kept.
 */
export function reasonGroup(reason: string): string {
  return reason
    .replace(/(is not |no )?"((?:[^"\\]|\\.)*)"( field)?/g, (whole, before: string | undefined, _inner: string, field: string | undefined) =>
      before !== undefined || field !== undefined ? whole : '"…"',
    )
    .replace(/\b\d+\b/g, 'N');
}

function bump(map: Map<string, number>, key: string): void {
  const n = map.get(key);
  if (n !== undefined) map.set(key, n + 1);
  else if (map.size < MAX_REASONS) map.set(key, 1);
  else map.set(OTHER, (map.get(OTHER) ?? 0) + 1);
}

/** What the summary and the cost ledger take from one payload (absent token counts are 0). */
export interface PayloadFigures {
  partialReason: string | undefined;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
  loggedModel: string | undefined;
}

/** A payload's figures, written into `into` (reused: this runs for every payload). */
export function payloadFigures<T extends PayloadFigures>(p: Payload, into: T): T {
  const m = p.metadata as Record<string, unknown>;
  into.partialReason = m.usageStatus === 'partial' ? String(m.partialReason) : undefined;
  into.input = p.inputTokens ?? 0;
  into.output = p.outputTokens ?? 0;
  into.cacheRead = typeof m.cachedInputTokens === 'number' ? m.cachedInputTokens : 0;
  into.cacheWrite = typeof m.cacheWriteTokens === 'number' ? m.cacheWriteTokens : 0;
  into.reasoning = typeof m.reasoningTokens === 'number' ? m.reasoningTokens : 0;
  into.loggedModel = typeof m.loggedModel === 'string' ? m.loggedModel : undefined;
  return into;
}

/** What the tally and the cost ledger count of one payload: its figures, and where they go. */
export interface CountedPayload extends PayloadFigures {
  provider: string;
  model: string;
  /** The model is in the catalog (after mapping). */
  known: boolean;
  applied: readonly DefaultName[];
  /** As the payload has it (UTC ISO with milliseconds), or as its epoch ms (the same instant). */
  createdAt: string | number | undefined;
}

/** Reused by countPayload: this runs for every payload. */
const COUNTED: CountedPayload = {
  provider: '',
  model: '',
  known: false,
  applied: [],
  createdAt: undefined,
  partialReason: undefined,
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
  reasoning: 0,
  loggedModel: undefined,
};

export interface FileTally {
  file: string;
  /** The format the file was read as (--from, or what --from auto found for it). */
  format?: FormatId;
  mode: 'csv' | 'json';
  gzip: boolean;
  rows: number;
  /** Of its rows, how many were rejected (all of them: likely another format, see the notes). */
  rejected: number;
  blankLines: number;
  /** A CSV export with its header row and no data rows (an empty export: nothing to import). Absent otherwise. */
  headerOnly?: true;
}

/** What the summary says of a header-only CSV file (the same words as --from auto's choice). */
export const HEADER_ONLY = 'only a header row, no rows to import';

export interface FormatTally {
  format: FormatId;
  files: string[];
  read: number;
  complete: number;
  partial: number;
  skipped: number;
  rejected: number;
}

export class ImportTally {
  read = 0;
  complete = 0;
  partial = new Map<string, number>();
  skipped = new Map<string, number>();
  rejected = new Map<string, number>();
  partialTotal = 0;
  skippedTotal = 0;
  rejectedTotal = 0;
  blankLines = 0;
  /** Payloads whose source id another request already had, written under a scoped id. */
  scopedIds = 0;
  files: FileTally[] = [];
  /** Per format, in the order read: several when --from auto found several formats. */
  formats: FormatTally[] = [];
  /** Payloads skipped because another format of this run already wrote their provider request id. */
  crossFormatCopies = 0;
  /** …of which the two formats disagreed on the token counts (the first one read was kept). */
  crossFormatConflicts = 0;
  /** Facts an adapter reports about its rows (Converter.notes), each a line of the summary. */
  adapterNotes: string[] = [];
  applied: Record<DefaultName, number> = { dataMode: 0, environment: 0, endpointTag: 0, promptVersion: 0 };
  /** provider → model → tally (nested: no key string is built per payload). */
  private readonly models = new Map<string, Map<string, ModelTally>>();

  /** `costs`: where payloads are priced (absent: the import prices nothing, and says so). */
  constructor(readonly costs?: CostLedger) {}

  countPayload(p: Payload, known: boolean, applied: readonly DefaultName[]): void {
    const c = payloadFigures(p, COUNTED);
    c.provider = p.provider;
    c.model = p.model;
    c.known = known;
    c.applied = applied;
    c.createdAt = p.createdAt;
    this.countRow(c);
  }

  /** A payload by its figures: what an import row carries instead of the payload (src/importers/row.ts). */
  countRow(c: CountedPayload): void {
    const { provider, model, partialReason, input, output, cacheRead, cacheWrite, reasoning } = c;
    if (partialReason) {
      this.partialTotal++;
      bump(this.partial, partialReason);
    } else this.complete++;
    const applied = c.applied;
    for (let i = 0; i < applied.length; i++) this.applied[applied[i]!]++;
    let byModel = this.models.get(provider);
    if (!byModel) this.models.set(provider, (byModel = new Map()));
    let t = byModel.get(model);
    if (!t) byModel.set(model, (t = { provider, model, known: c.known, complete: zero(), partial: zero() }));
    const s = partialReason ? t.partial : t.complete;
    s.payloads++;
    s.inputTokens += input;
    s.outputTokens += output;
    s.cachedInputTokens += cacheRead;
    s.cacheWriteTokens += cacheWrite;
    s.reasoningTokens += reasoning;
    this.costs?.add(provider, model, c.loggedModel, c.createdAt, partialReason !== undefined, input, output, cacheRead, cacheWrite);
  }

  countSkip(reason: string): void {
    this.skippedTotal++;
    bump(this.skipped, reason);
  }

  countReject(reason: string): void {
    this.rejectedTotal++;
    bump(this.rejected, reasonGroup(reason));
  }

  get accounted(): number {
    return this.complete + this.partialTotal + this.skippedTotal + this.rejectedTotal;
  }

  modelTallies(): ModelTally[] {
    return [...this.models.values()].flatMap((byModel) => [...byModel.values()]).sort((a, b) =>
      a.provider === b.provider ? (a.model < b.model ? -1 : a.model > b.model ? 1 : 0) : a.provider < b.provider ? -1 : 1,
    );
  }
}

export interface SummaryContext {
  /** The format read, or 'mixed' when --from auto found several (formats[] says which file got which). */
  format: FormatId | 'mixed';
  chosenBy: 'flag' | 'auto';
  /** Why auto chose it (shown when chosenBy is auto). */
  autoReason?: string;
  catalog: Catalog;
  defaults: Record<DefaultName, string | undefined>;
  userIdsHashed: boolean;
  output: string;
  rejectsFile?: string;
  /** Facts worth a line of their own (batch ids, ids that may collide across batches). */
  notes?: readonly string[];
  /** The import's time (ISO), shown where payloads without createdAt were priced at it. */
  now?: string;
}

export interface ModelSummary extends ModelTally {
  /** USD for complete payloads; null when there were some and the price source cannot price them (never $0). */
  estimatedUsd: number | null;
  /** USD for partial payloads' known tokens; never final. Null as above. */
  estimatedUsdNotFinal: number | null;
  /** Payloads of this model the price source could not price. */
  unpricedPayloads: number;
  /** The price source's provider/model ids they were priced as. */
  pricedAs: string[];
}

export interface ImportSummary {
  format: FormatId | 'mixed';
  formatChosenBy: 'flag' | 'auto';
  /** Per format: its files and the outcomes of their rows (one entry unless --from auto found several). */
  formats: FormatTally[];
  files: FileTally[];
  read: number;
  complete: number;
  partial: { total: number; byReason: Record<string, number> };
  skipped: { total: number; byReason: Record<string, number> };
  rejected: { total: number; byReason: Record<string, number> };
  invariant: string;
  invariantHolds: boolean;
  blankLines: number;
  tokens: Omit<TokenSums, 'payloads'>;
  models: ModelSummary[];
  unknownModels: { models: number; payloads: number };
  estimatedUsd: { complete: number; partialNotFinal: number; unpricedPayloads: number; note: string };
  /** Where the estimates come from; null when this run priced nothing. */
  prices: { source: string; dataDate: string; dataDateBasis: string } | null;
  /** Batch lines priced at the vendor's batch price (a share of list price). */
  batchPricing: { payloads: number; factor: number; vendor: string } | null;
  /** Payloads without createdAt, priced (and counted on the day) at the import's time. */
  pricedAtImportTime: number;
  /** Per UTC day of createdAt: payloads and their estimated cost. */
  days: DayCost[];
  catalog: { source: string; date: string };
  defaultsApplied: { field: DefaultName; value: string; payloads: number }[];
  userIdsHashed: boolean;
  notes: string[];
}

const sortedRecord = (m: Map<string, number>): Record<string, number> =>
  Object.fromEntries([...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));

export function buildSummary(t: ImportTally, ctx: SummaryContext): ImportSummary {
  const tokens = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
  let unknownModels = 0;
  let unknownPayloads = 0;
  const settled = t.costs?.settle();
  const models: ModelSummary[] = t.modelTallies().map((m) => {
    for (const s of [m.complete, m.partial]) {
      tokens.inputTokens += s.inputTokens;
      tokens.outputTokens += s.outputTokens;
      tokens.cachedInputTokens += s.cachedInputTokens;
      tokens.cacheWriteTokens += s.cacheWriteTokens;
      tokens.reasoningTokens += s.reasoningTokens;
    }
    if (!m.known) {
      unknownModels++;
      unknownPayloads += m.complete.payloads + m.partial.payloads;
    }
    const c = settled?.models.get(m.provider)?.get(m.model);
    const payloads = m.complete.payloads + m.partial.payloads;
    const rounded = (v: number | null | undefined) => (v === null || v === undefined ? null : round6(v));
    return {
      ...m,
      estimatedUsd: c ? rounded(c.estimatedUsd) : m.complete.payloads ? null : 0,
      estimatedUsdNotFinal: c ? rounded(c.estimatedUsdNotFinal) : m.partial.payloads ? null : 0,
      unpricedPayloads: c ? c.unpricedPayloads : payloads,
      pricedAs: c?.pricedAs ?? [],
    };
  });
  const invariantHolds = t.read === t.accounted;
  const batch = t.costs?.batch;
  return {
    format: ctx.format,
    formatChosenBy: ctx.chosenBy,
    formats: t.formats,
    files: t.files,
    read: t.read,
    complete: t.complete,
    partial: { total: t.partialTotal, byReason: sortedRecord(t.partial) },
    skipped: { total: t.skippedTotal, byReason: sortedRecord(t.skipped) },
    rejected: { total: t.rejectedTotal, byReason: sortedRecord(t.rejected) },
    invariant: `read ${t.read} = complete ${t.complete} + partial ${t.partialTotal} + skipped ${t.skippedTotal} + rejected ${t.rejectedTotal}`,
    invariantHolds,
    blankLines: t.blankLines,
    tokens,
    models,
    unknownModels: { models: unknownModels, payloads: unknownPayloads },
    estimatedUsd: {
      complete: round6(settled?.complete ?? 0),
      partialNotFinal: round6(settled?.partialNotFinal ?? 0),
      unpricedPayloads: settled?.unpricedPayloads ?? t.complete + t.partialTotal,
      note: 'estimates at list prices in force at each request\'s createdAt (batch lines at the batch price); not a bill. Partial payloads lack some token counts, so their cost is not final; models the price source does not know are not priced (null), never $0.',
    },
    prices: t.costs ? { source: t.costs.priceSource.source, dataDate: t.costs.priceSource.dataDate, dataDateBasis: t.costs.priceSource.dataDateBasis } : null,
    batchPricing: batch ? { payloads: batch.payloads, factor: batch.factor, vendor: batch.vendor } : null,
    pricedAtImportTime: t.costs?.untimed ?? 0,
    days: (settled?.days ?? []).map((d) => ({ ...d, estimatedUsd: round6(d.estimatedUsd), estimatedUsdNotFinal: round6(d.estimatedUsdNotFinal) })),
    catalog: { source: ctx.catalog.source, date: ctx.catalog.date },
    defaultsApplied: (Object.keys(t.applied) as DefaultName[])
      .filter((k) => t.applied[k] > 0)
      .map((k) => ({ field: k, value: ctx.defaults[k] ?? '', payloads: t.applied[k] })),
    userIdsHashed: ctx.userIdsHashed,
    notes: [
      ...(ctx.notes ?? []),
      ...t.adapterNotes,
      ...(t.crossFormatCopies > 0
        ? [
            `${int(t.crossFormatCopies)} records repeat a provider request id another format of this run already imported (the same request in two logs): skipped as duplicate_copy${
              t.crossFormatConflicts > 0 ? ` — ⚠ ${int(t.crossFormatConflicts)} of them with other token counts than the copy kept (the first read)` : ''
            }`,
          ]
        : []),
      ...(t.scopedIds > 0
        ? [
            `⚠ ${int(t.scopedIds)} source ids were shared by different requests (another custom_id): those payloads are identified as <source id>#<custom_id>`,
          ]
        : []),
    ],
  };
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

const int = (n: number) => n.toLocaleString('en-US');
const payloads = (n: number) => `${int(n)} ${n === 1 ? 'payload' : 'payloads'}`;
const usd = (n: number) => (n < 0.01 && n > 0 ? '$' + n.toFixed(6) : '$' + n.toFixed(2));

function reasons(r: Record<string, number>): string {
  return Object.entries(r)
    .map(([k, v]) => `${k} ${int(v)}`)
    .join(' · ');
}

export interface SummaryTextOptions {
  maxModels?: number;
  /** Draw the per-day cost chart (a TTY): only when the rows span more than one day. */
  chart?: boolean;
}

/** The stderr summary (docs/import.md "The summary"). */
export function summaryText(s: ImportSummary, ctx: SummaryContext, opts: SummaryTextOptions = {}): string {
  const maxModels = opts.maxModels ?? 25;
  const out: string[] = [];
  const chosen = s.formatChosenBy === 'auto' ? ` (chosen by --from auto${ctx.autoReason ? `: ${ctx.autoReason}` : ''})` : '';
  if (s.format === 'mixed') out.push(`opsmeter import: ${s.formats.length} formats, each file read as the format --from auto found for it`);
  else out.push(`opsmeter import: format ${s.format}${chosen}`);
  out.push(`  files ${int(s.files.length)} · rows read ${int(s.read)}${s.blankLines ? ` · blank lines ignored ${int(s.blankLines)}` : ''}`);
  const headerOnly = new Set(s.files.filter((f) => f.headerOnly).map((f) => f.file));
  if (s.formats.length > 1) {
    for (const f of s.formats) {
      const counts = `${int(f.read)} rows: complete ${int(f.complete)} · partial ${int(f.partial)} · skipped ${int(f.skipped)} · rejected ${int(f.rejected)}`;
      out.push(`    ${f.format}: ${int(f.files.length)} ${f.files.length === 1 ? 'file' : 'files'}, ${counts}`);
      for (const file of f.files.slice(0, 5)) out.push(`      ${file}${headerOnly.has(file) ? `: ${HEADER_ONLY}` : ''}`);
      if (f.files.length > 5) {
        const empty = f.files.slice(5).filter((file) => headerOnly.has(file)).length;
        out.push(`      … ${int(f.files.length - 5)} more in --summary-json (files[].format)${empty ? `, ${int(empty)} of them with ${HEADER_ONLY} (files[].headerOnly)` : ''}`);
      }
    }
  } else if (s.formatChosenBy === 'flag') {
    // With --from auto the choice's reason already says it (detect.ts); with --from X, say it here.
    for (const file of headerOnly) out.push(`  ${file}: ${HEADER_ONLY}`);
  }
  out.push(`  complete ${int(s.complete)}`);
  out.push(`  partial  ${int(s.partial.total)}${s.partial.total ? '   ' + reasons(s.partial.byReason) : ''}`);
  out.push(`  skipped  ${int(s.skipped.total)}${s.skipped.total ? '   ' + reasons(s.skipped.byReason) : ''}`);
  out.push(`  rejected ${int(s.rejected.total)}${s.rejected.total ? '   (see --rejects FILE for each row)' : ''}`);
  for (const [k, v] of Object.entries(s.rejected.byReason).slice(0, 10)) out.push(`    ${int(v)} × ${k}`);
  if (Object.keys(s.rejected.byReason).length > 10) out.push(`    … ${Object.keys(s.rejected.byReason).length - 10} more reasons in --summary-json`);
  out.push(`  ${s.invariant} ${s.invariantHolds ? '✔' : '✖ (bug: please report)'}`);
  const tk = s.tokens;
  out.push(
    `  tokens: input ${int(tk.inputTokens)} (cached ${int(tk.cachedInputTokens)}, cache write ${int(tk.cacheWriteTokens)}) · output ${int(tk.outputTokens)} (reasoning ${int(tk.reasoningTokens)})`,
  );
  if (s.models.length > 0) {
    const source = s.prices ? `${s.prices.source}, data of ${s.prices.dataDate}` : 'no price data loaded';
    out.push(`  ESTIMATED cost by provider/model (prices: ${source}; list prices at each request's time, not a bill):`);
    for (const m of s.models.slice(0, maxModels)) {
      const n = m.complete.payloads + m.partial.payloads;
      const parts: string[] = [];
      if (m.complete.payloads) parts.push(m.estimatedUsd === null ? 'not priced' : `~${usd(m.estimatedUsd)}`);
      if (m.partial.payloads) parts.push(m.estimatedUsdNotFinal === null ? `${int(m.partial.payloads)} partial not priced` : `~${usd(m.estimatedUsdNotFinal)} not final (${int(m.partial.payloads)} partial)`);
      let cost = parts.join(' + ');
      if (m.unpricedPayloads > 0 && m.unpricedPayloads < n) cost += ` (${payloads(m.unpricedPayloads)} not priced)`;
      if (!m.known) cost += ' · UNKNOWN MODEL to Opsmeter (lands as "unknown" at $0)';
      out.push(`    ${m.provider}/${m.model}: ${payloads(n)}, ${int(m.complete.inputTokens + m.partial.inputTokens)} in / ${int(m.complete.outputTokens + m.partial.outputTokens)} out — ${cost}`);
    }
    if (s.models.length > maxModels) out.push(`    … ${s.models.length - maxModels} more in --summary-json`);
    if (s.batchPricing) out.push(`  batch: ${payloads(s.batchPricing.payloads)} priced at the batch price (${Math.round(s.batchPricing.factor * 100)}% of list price, ${s.batchPricing.vendor})`);
    if (s.pricedAtImportTime > 0) out.push(`  ${payloads(s.pricedAtImportTime)} ${s.pricedAtImportTime === 1 ? 'has' : 'have'} no createdAt: priced at the import's time (${ctx.now ?? 'now'})`);
    const unpriced = s.estimatedUsd.unpricedPayloads;
    out.push(
      `  total ESTIMATED ~${usd(s.estimatedUsd.complete)}${s.partial.total ? ` + ~${usd(s.estimatedUsd.partialNotFinal)} not final (partial payloads)` : ''}${unpriced ? ` · ${payloads(unpriced)} not priced` : ''} (prices: ${source})`,
    );
    if (opts.chart && s.days.length > 1) out.push(...costChart(s.days));
  }
  out.push(`  catalog: ${s.catalog.source}, ${s.catalog.date} (the provider/model ids Opsmeter recognises)`);
  if (s.unknownModels.payloads > 0) {
    out.push(
      `  ⚠ UNKNOWN MODELS: ${payloads(s.unknownModels.payloads)} across ${int(s.unknownModels.models)} model(s) are not in the catalog: the server would price them at $0 (see \`opsmeter catalog\`)`,
    );
  }
  out.push(
    `  defaults applied: ${
      s.defaultsApplied.length ? s.defaultsApplied.map((d) => `${d.field}=${d.value} (${payloads(d.payloads)})`).join(', ') : 'none'
    }`,
  );
  for (const n of s.notes) out.push(`  ${n}`);
  out.push(`  user ids: ${s.userIdsHashed ? 'hashed (HMAC-SHA256, --hash-user-ids; externalRequestId keyed by the same salt)' : 'as in the source (not hashed)'}`);
  out.push(`  payloads → ${ctx.output}${ctx.rejectsFile ? ` · rejects → ${ctx.rejectsFile}` : ''}`);
  return out.join('\n') + '\n';
}

const BAR_WIDTH = 30;
/** Above this many days the chart shows months: a backfill wants to see what the months cost. */
const MAX_DAY_BARS = 45;

/** A small bar chart of the estimated cost per UTC day (or month), complete and not final together. */
export function costChart(days: readonly DayCost[]): string[] {
  let rows = days.map((d) => ({ label: d.date, payloads: d.payloads, usd: d.estimatedUsd + d.estimatedUsdNotFinal }));
  let unit = 'day';
  if (rows.length > MAX_DAY_BARS) {
    unit = 'month';
    const months = new Map<string, { label: string; payloads: number; usd: number }>();
    for (const r of rows) {
      const k = r.label.slice(0, 7);
      const m = months.get(k) ?? { label: k, payloads: 0, usd: 0 };
      m.payloads += r.payloads;
      m.usd += r.usd;
      months.set(k, m);
    }
    rows = [...months.values()];
  }
  const max = Math.max(...rows.map((r) => r.usd));
  const out = [`  estimated cost per ${unit} (UTC):`];
  for (const r of rows) {
    const width = max > 0 ? Math.round((r.usd / max) * BAR_WIDTH) : 0;
    const bar = width === 0 && r.usd > 0 ? '▏' : '█'.repeat(width);
    out.push(`    ${r.label.padEnd(10)} ${bar.padEnd(BAR_WIDTH)} ~${usd(r.usd)} (${payloads(r.payloads)})`);
  }
  return out;
}
