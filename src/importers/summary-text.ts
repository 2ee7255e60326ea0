/**
 * The import's summary as people read it on stderr (docs/import.md "The summary"): the
 * outcomes with their reasons, the invariant, tokens, and where the money went, biggest
 * spender first. Figures are rounded here only; --summary-json keeps them whole.
 */
import type { DayCost } from '../prices/ledger.js';
import { int, percent, plural, usd } from './figures.js';
import { HEADER_ONLY, spendOf, type ImportSummary, type ModelSummary, type SummaryContext } from './import-summary.js';

const payloads = (n: number) => plural(n, 'payload');

function reasons(r: Record<string, number>): string {
  return Object.entries(r)
    .map(([k, v]) => `${k} ${int(v)}`)
    .join(' · ');
}

export interface SummaryTextOptions {
  /** Models listed by name, biggest spenders first; the rest are one "N others" line. */
  maxModels?: number;
  /** Draw the per-day cost chart (a TTY): only when the rows span more than one day. */
  chart?: boolean;
}

/** How many models the summary names before "N others" (every one is in --summary-json and the report). */
export const TOP_MODELS = 15;

/** The stderr summary (docs/import.md "The summary"). */
export function summaryText(s: ImportSummary, ctx: SummaryContext, opts: SummaryTextOptions = {}): string {
  const out: string[] = [];
  // --from auto said what it chose, and why, when it chose; the summary names the choice only.
  const chosen = s.formatChosenBy === 'auto' ? ' (chosen by --from auto)' : '';
  if (s.format === 'mixed') out.push(`opsmeter import: ${s.formats.length} formats, each file read as the format --from auto found for it`);
  else out.push(`opsmeter import: format ${s.format}${chosen}`);
  out.push(`  files ${int(s.files.length)} · rows read ${int(s.read)}${s.blankLines ? ` · blank lines ignored ${int(s.blankLines)}` : ''}`);
  out.push(...fileLines(s));
  out.push(...outcomeLines(s));
  const tk = s.tokens;
  out.push(
    `  tokens: input ${int(tk.inputTokens)} (cached ${int(tk.cachedInputTokens)}, cache write ${int(tk.cacheWriteTokens)}) · output ${int(tk.outputTokens)} (reasoning ${int(tk.reasoningTokens)})`,
  );
  if (s.models.length > 0) out.push(...costLines(s, ctx, opts));
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

/** The formats and their files, the files left out or excluded, and the date window. */
function fileLines(s: ImportSummary): string[] {
  const out: string[] = [];
  const headerOnly = new Set(s.files.filter((f) => f.headerOnly).map((f) => f.file));
  if (s.formats.length > 1) {
    for (const f of s.formats) {
      const counts = `${int(f.read)} rows: complete ${int(f.complete)} · partial ${int(f.partial)} · skipped ${int(f.skipped)} · rejected ${int(f.rejected)}`;
      out.push(`    ${f.format}: ${plural(f.files.length, 'file')}, ${counts}`);
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
  if (s.leftOut.length > 0) {
    out.push(`  ⚠ LEFT OUT ${plural(s.leftOut.length, 'file')} (not imported, not in rows read; exit 1):`);
    for (const f of s.leftOut.slice(0, 20)) out.push(`    ${f.file} ${f.reason}`);
    if (s.leftOut.length > 20) out.push(`    … ${int(s.leftOut.length - 20)} more in --summary-json (leftOut[])`);
  }
  if (s.excluded.files.length > 0) {
    out.push(`  excluded by --exclude ${s.excluded.globs.join(', ')}: ${plural(s.excluded.files.length, 'file')} not read (excluded[] in --summary-json)`);
  }
  if (s.window) {
    const since = s.window.since ?? '…';
    const until = s.window.until ?? '…';
    out.push(`  window: ${since} ≤ createdAt < ${until} (--since/--until, UTC): rows outside are skipped (before_since, after_until; without createdAt: no_date)`);
  }
  return out;
}

/** complete, partial, skipped and rejected with their reasons, and the invariant. */
function outcomeLines(s: ImportSummary): string[] {
  const out = [
    `  complete ${int(s.complete)}`,
    `  partial  ${int(s.partial.total)}${s.partial.total ? '   ' + reasons(s.partial.byReason) : ''}`,
    `  skipped  ${int(s.skipped.total)}${s.skipped.total ? '   ' + reasons(s.skipped.byReason) : ''}`,
    `  rejected ${int(s.rejected.total)}${s.rejected.total ? '   (see --rejects FILE for each row)' : ''}`,
  ];
  for (const [group, n] of Object.entries(s.rejected.byReason).slice(0, 10)) {
    const e = s.rejected.examples[group];
    const where = e?.file ? `${e.file}:${e.line}` : undefined;
    if (!e) out.push(`    ${int(n)} × ${group}`);
    else if (e.allSame) out.push(`    ${int(n)} × ${e.reason}${where ? ` (first: ${where})` : ''}`);
    else out.push(`    ${int(n)} × ${group} — e.g. ${where ? `${where}: ` : ''}${e.reason}`);
  }
  if (Object.keys(s.rejected.byReason).length > 10) out.push(`    … ${Object.keys(s.rejected.byReason).length - 10} more reasons in --summary-json`);
  out.push(`  ${s.invariant} ${s.invariantHolds ? '✔' : '✖ (bug: please report)'}`);
  return out;
}

/** The estimate: the biggest spenders by name, the others on one line, the total, and on a terminal the chart. */
function costLines(s: ImportSummary, ctx: SummaryContext, opts: SummaryTextOptions): string[] {
  const out: string[] = [];
  const max = opts.maxModels ?? TOP_MODELS;
  const total = s.estimatedUsd.complete + s.estimatedUsd.partialNotFinal;
  const source = s.prices ? `${s.prices.source}, data of ${s.prices.dataDate}` : 'no price data loaded';
  out.push(`  ESTIMATED cost by provider/model, biggest first (prices: ${source}; list prices at each request's time, not a bill):`);
  // "N others" only when it stands for two or more: one more model is named instead.
  const shown = s.models.length <= max + 1 ? s.models : s.models.slice(0, max);
  for (const m of shown) out.push(`    ${modelLine(m, total)}`);
  const others = s.models.slice(shown.length);
  if (others.length > 0) {
    const spend = others.reduce((sum, m) => sum + spendOf(m), 0);
    const n = others.reduce((sum, m) => sum + m.complete.payloads + m.partial.payloads, 0);
    const unpriced = others.reduce((sum, m) => sum + m.unpricedPayloads, 0);
    out.push(
      `    ${int(others.length)} others: ~${usd(spend)}${total > 0 && spend > 0 ? ` (${percent(spend, total)})` : ''}, ${payloads(n)}${unpriced ? ` (${int(unpriced)} not priced)` : ''} — each in --summary-json models[]`,
    );
  }
  if (s.batchPricing) out.push(`  batch: ${payloads(s.batchPricing.payloads)} priced at the batch price (${Math.round(s.batchPricing.factor * 100)}% of list price, ${s.batchPricing.vendor})`);
  if (s.pricedAtImportTime > 0) {
    out.push(`  ${payloads(s.pricedAtImportTime)} ${s.pricedAtImportTime === 1 ? 'has' : 'have'} no createdAt: priced at the import's time (${ctx.now ?? 'now'}), counted under "no date"`);
  }
  const unpriced = s.estimatedUsd.unpricedPayloads;
  out.push(
    `  total ESTIMATED ~${usd(s.estimatedUsd.complete)}${s.partial.total ? ` + ~${usd(s.estimatedUsd.partialNotFinal)} not final (partial payloads)` : ''}${unpriced ? ` · ${payloads(unpriced)} not priced` : ''} (prices: ${source})`,
  );
  if (opts.chart && s.days.length + (s.undated ? 1 : 0) > 1) out.push(...costChart(s.days, s.undated ?? undefined));
  return out;
}

function modelLine(m: ModelSummary, total: number): string {
  const n = m.complete.payloads + m.partial.payloads;
  const parts: string[] = [];
  if (m.complete.payloads) parts.push(m.estimatedUsd === null ? 'not priced' : `~${usd(m.estimatedUsd)}`);
  if (m.partial.payloads) parts.push(m.estimatedUsdNotFinal === null ? `${int(m.partial.payloads)} partial not priced` : `~${usd(m.estimatedUsdNotFinal)} not final (${int(m.partial.payloads)} partial)`);
  let cost = parts.join(' + ');
  const spend = spendOf(m);
  if (total > 0 && spend > 0) cost += ` (${percent(spend, total)})`;
  if (m.unpricedPayloads > 0 && m.unpricedPayloads < n) cost += ` (${payloads(m.unpricedPayloads)} not priced)`;
  if (!m.known) cost += ' · UNKNOWN MODEL to Opsmeter (lands as "unknown" at $0)';
  return `${m.provider}/${m.model}: ${payloads(n)}, ${int(m.complete.inputTokens + m.partial.inputTokens)} in / ${int(m.complete.outputTokens + m.partial.outputTokens)} out — ${cost}`;
}

const BAR_WIDTH = 30;
/** Above this many days the chart shows months: a backfill wants to see what the months cost. */
const MAX_DAY_BARS = 45;

/**
 * A small bar chart of the estimated cost per UTC day (or month), complete and not final
 * together; the payloads without createdAt as a bar of their own, "no date", last.
 */
export function costChart(days: readonly DayCost[], undated?: Omit<DayCost, 'date'>): string[] {
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
  if (undated) rows.push({ label: 'no date', payloads: undated.payloads, usd: undated.estimatedUsd + undated.estimatedUsdNotFinal });
  const max = Math.max(...rows.map((r) => r.usd));
  const out = [`  estimated cost per ${unit} (UTC):`];
  for (const r of rows) {
    const width = max > 0 ? Math.round((r.usd / max) * BAR_WIDTH) : 0;
    const bar = width === 0 && r.usd > 0 ? '▏' : '█'.repeat(width);
    out.push(`    ${r.label.padEnd(10)} ${bar.padEnd(BAR_WIDTH)} ~${usd(r.usd)} (${payloads(r.payloads)})`);
  }
  return out;
}
