/**
 * The import's accounting: counts by outcome and reason, token totals and estimated cost
 * per provider/model — aggregates only, so memory stays flat whatever the row count.
 * Rendered as JSON (--summary-json) and as text on stderr.
 */
import type { Catalog } from '../contract/catalog.js';
import type { Payload } from '../contract/fields.js';
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

export interface FileTally {
  file: string;
  mode: 'csv' | 'json';
  gzip: boolean;
  rows: number;
  blankLines: number;
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
  applied: Record<DefaultName, number> = { dataMode: 0, environment: 0, endpointTag: 0, promptVersion: 0 };
  /** provider → model → tally (nested: no key string is built per payload). */
  private readonly models = new Map<string, Map<string, ModelTally>>();

  countPayload(p: Payload, known: boolean, applied: readonly DefaultName[]): void {
    const m = p.metadata as Record<string, unknown>;
    const partialReason = m.usageStatus === 'partial' ? String(m.partialReason) : undefined;
    if (partialReason) {
      this.partialTotal++;
      bump(this.partial, partialReason);
    } else this.complete++;
    for (let i = 0; i < applied.length; i++) this.applied[applied[i]!]++;
    let byModel = this.models.get(p.provider);
    if (!byModel) this.models.set(p.provider, (byModel = new Map()));
    let t = byModel.get(p.model);
    if (!t) byModel.set(p.model, (t = { provider: p.provider, model: p.model, known, complete: zero(), partial: zero() }));
    const s = partialReason ? t.partial : t.complete;
    s.payloads++;
    s.inputTokens += p.inputTokens ?? 0;
    s.outputTokens += p.outputTokens ?? 0;
    if (typeof m.cachedInputTokens === 'number') s.cachedInputTokens += m.cachedInputTokens;
    if (typeof m.cacheWriteTokens === 'number') s.cacheWriteTokens += m.cacheWriteTokens;
    if (typeof m.reasoningTokens === 'number') s.reasoningTokens += m.reasoningTokens;
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
  format: FormatId;
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
}

export interface ModelSummary extends ModelTally {
  /** USD for complete payloads; null when the model or its price is unknown. */
  estimatedUsd: number | null;
  /** USD for partial payloads' known tokens; never final. */
  estimatedUsdNotFinal: number | null;
}

export interface ImportSummary {
  format: FormatId;
  formatChosenBy: 'flag' | 'auto';
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
  estimatedUsd: { complete: number; partialNotFinal: number; note: string };
  catalog: { source: string; date: string };
  defaultsApplied: { field: DefaultName; value: string; payloads: number }[];
  userIdsHashed: boolean;
  notes: string[];
}

const sortedRecord = (m: Map<string, number>): Record<string, number> =>
  Object.fromEntries([...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));

export function buildSummary(t: ImportTally, ctx: SummaryContext): ImportSummary {
  const tokens = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
  let complete = 0;
  let partialNotFinal = 0;
  let unknownModels = 0;
  let unknownPayloads = 0;
  const models: ModelSummary[] = t.modelTallies().map((m) => {
    for (const s of [m.complete, m.partial]) {
      tokens.inputTokens += s.inputTokens;
      tokens.outputTokens += s.outputTokens;
      tokens.cachedInputTokens += s.cachedInputTokens;
      tokens.cacheWriteTokens += s.cacheWriteTokens;
      tokens.reasoningTokens += s.reasoningTokens;
    }
    const cost = (s: TokenSums) =>
      s.payloads === 0
        ? 0
        : (ctx.catalog.estimateUsd(m.provider, m.model, {
            inputTokens: s.inputTokens,
            outputTokens: s.outputTokens,
            cacheReadTokens: s.cachedInputTokens,
            cacheWriteTokens: s.cacheWriteTokens,
          }) ?? null);
    const estimatedUsd = cost(m.complete);
    const estimatedUsdNotFinal = cost(m.partial);
    if (estimatedUsd !== null) complete += estimatedUsd;
    if (estimatedUsdNotFinal !== null) partialNotFinal += estimatedUsdNotFinal;
    if (!m.known) {
      unknownModels++;
      unknownPayloads += m.complete.payloads + m.partial.payloads;
    }
    return { ...m, estimatedUsd, estimatedUsdNotFinal };
  });
  const invariantHolds = t.read === t.accounted;
  return {
    format: ctx.format,
    formatChosenBy: ctx.chosenBy,
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
      complete: round6(complete),
      partialNotFinal: round6(partialNotFinal),
      note: 'estimates from catalog list prices; not a bill. Partial payloads lack some token counts, so their cost is not final; unknown models are not priced.',
    },
    catalog: { source: ctx.catalog.source, date: ctx.catalog.date },
    defaultsApplied: (Object.keys(t.applied) as DefaultName[])
      .filter((k) => t.applied[k] > 0)
      .map((k) => ({ field: k, value: ctx.defaults[k] ?? '', payloads: t.applied[k] })),
    userIdsHashed: ctx.userIdsHashed,
    notes: [
      ...(ctx.notes ?? []),
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
const usd = (n: number) => (n < 0.01 && n > 0 ? '$' + n.toFixed(6) : '$' + n.toFixed(2));

function reasons(r: Record<string, number>): string {
  return Object.entries(r)
    .map(([k, v]) => `${k} ${int(v)}`)
    .join(' · ');
}

/** The stderr summary (docs/import.md "The summary"). */
export function summaryText(s: ImportSummary, ctx: SummaryContext, maxModels = 25): string {
  const out: string[] = [];
  const chosen = s.formatChosenBy === 'auto' ? ` (chosen by --from auto${ctx.autoReason ? `: ${ctx.autoReason}` : ''})` : '';
  out.push(`opsmeter import: format ${s.format}${chosen}`);
  out.push(`  files ${int(s.files.length)} · rows read ${int(s.read)}${s.blankLines ? ` · blank lines ignored ${int(s.blankLines)}` : ''}`);
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
    out.push(`  ESTIMATED cost by provider/model (catalog: ${s.catalog.source}, ${s.catalog.date}; list prices, not a bill):`);
    for (const m of s.models.slice(0, maxModels)) {
      const n = m.complete.payloads + m.partial.payloads;
      let cost: string;
      if (!m.known) cost = 'UNKNOWN MODEL — not priced (lands as "unknown" at $0)';
      else if (m.estimatedUsd === null && m.estimatedUsdNotFinal === null) cost = 'no price in the catalog';
      else {
        cost = m.complete.payloads ? `~${usd(m.estimatedUsd ?? 0)}` : '';
        if (m.partial.payloads) cost += `${cost ? ' + ' : ''}~${usd(m.estimatedUsdNotFinal ?? 0)} not final (${int(m.partial.payloads)} partial)`;
      }
      out.push(`    ${m.provider}/${m.model}: ${int(n)} payloads, ${int(m.complete.inputTokens + m.partial.inputTokens)} in / ${int(m.complete.outputTokens + m.partial.outputTokens)} out — ${cost}`);
    }
    if (s.models.length > maxModels) out.push(`    … ${s.models.length - maxModels} more in --summary-json`);
    out.push(
      `  total ESTIMATED ~${usd(s.estimatedUsd.complete)}${s.partial.total ? ` + ~${usd(s.estimatedUsd.partialNotFinal)} not final (partial payloads)` : ''} (catalog ${s.catalog.date})`,
    );
  }
  if (s.unknownModels.payloads > 0) {
    out.push(
      `  ⚠ UNKNOWN MODELS: ${int(s.unknownModels.payloads)} payloads across ${int(s.unknownModels.models)} model(s) are not in the catalog: the server would price them at $0 (see \`opsmeter catalog\`)`,
    );
  }
  out.push(
    `  defaults applied: ${
      s.defaultsApplied.length ? s.defaultsApplied.map((d) => `${d.field}=${d.value} (${int(d.payloads)} payloads)`).join(', ') : 'none'
    }`,
  );
  for (const n of s.notes) out.push(`  ${n}`);
  out.push(`  user ids: ${s.userIdsHashed ? 'hashed (HMAC-SHA256, --hash-user-ids)' : 'as in the source (not hashed)'}`);
  out.push(`  payloads → ${ctx.output}${ctx.rejectsFile ? ` · rejects → ${ctx.rejectsFile}` : ''}`);
  return out.join('\n') + '\n';
}
