/**
 * The import's accounting: counts by outcome and reason, token totals and estimated cost
 * per provider/model, per UTC day × provider × model × endpointTag (the breakdown), and with
 * --report per user — aggregates only, so memory does not grow with the row count.
 * Rendered as JSON (--summary-json), as text on stderr, and as the HTML report (report-page.ts).
 */
import type { Catalog } from '../contract/catalog.js';
import { parseZonedDateTime, type Payload } from '../contract/fields.js';
import type { CellCost, CostLedger, DayCost } from '../prices/ledger.js';
import type { DefaultName } from './finish.js';
import { int } from './figures.js';
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
  endpointTag: string | undefined;
  /** As the payload has it (hashed under --hash-user-ids). */
  userId: string | undefined;
  /**
   * The call reached the model: anything but a failed call without token counts (a rate limit,
   * an invalid request), which a provider's usage report does not count as a request.
   */
  reachedModel: boolean;
}

/** The figures of CountedPayload that come from the payload beyond payloadFigures'. */
export function payloadFacts<T extends CountedPayload>(p: Payload, into: T): T {
  into.endpointTag = p.endpointTag;
  into.userId = p.userId ?? undefined;
  into.reachedModel = !(p.status === 'error' && p.inputTokens === undefined && p.outputTokens === undefined);
  return into;
}

/** Reused by countPayload: this runs for every payload. */
const COUNTED: CountedPayload = {
  provider: '',
  model: '',
  known: false,
  applied: [],
  createdAt: undefined,
  endpointTag: undefined,
  userId: undefined,
  reachedModel: true,
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

/** Sums of one cell of the breakdown (UTC day × provider × model × endpointTag). */
interface BreakdownSums {
  payloads: number;
  partial: number;
  /** Payloads that reached the model: all but failed calls without token counts. */
  requests: number;
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

const NO_DAY = -1;

/** The first rejected row of a reason's group: the reason with its values, where it was. */
interface RejectExample {
  reason: string;
  file: string;
  line: number;
  /** Every rejected row of the group had this very reason. */
  allSame: boolean;
}

/** Users counted apart (--report only): their tokens, and their estimate in a ledger of their own. */
export interface UserTally {
  /** Priced per user (the group) and price period, not per day: fewer buckets to price. */
  costs: CostLedger | undefined;
  sums: Map<string, TokenSums>;
}

/** At most this many endpointTags are itemised in the breakdown (the rest together): a tag per request would make a cell per row. */
export const MAX_ENDPOINT_TAGS = 1_000;
export const OTHER_ENDPOINTS = '(other endpoints)';

/** At most this many users are itemised (the rest are counted together): memory stays bounded. */
export const MAX_USERS = 50_000;
/** The group of rows without a user id, and of the users past MAX_USERS. */
export const NO_USER = '';
export const OTHER_USERS = '\u0000other users';

export class ImportTally {
  read = 0;
  complete = 0;
  partial = new Map<string, number>();
  skipped = new Map<string, number>();
  rejected = new Map<string, number>();
  /** Per rejected reason group: its first row's reason, with its numbers. */
  rejectExamples = new Map<string, RejectExample>();
  partialTotal = 0;
  skippedTotal = 0;
  rejectedTotal = 0;
  blankLines = 0;
  /** Bytes of the files read to their end, as stored (the progress line). */
  bytesRead = 0;
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
  /** provider → model → its tally and breakdown (nested: no key string is built per payload). */
  private readonly models = new Map<string, Map<string, ModelEntry>>();
  /** The endpointTags counted apart (at most MAX_ENDPOINT_TAGS), and whether others were counted together. */
  private readonly tags = new Set<string>();
  otherEndpointTags = false;
  private lastTag: string | undefined;
  private lastTagAs = '';

  /**
   * `costs`: where payloads are priced (absent: the import prices nothing, and says so).
   * `users`: count and price per user too (for the HTML report).
   */
  constructor(
    readonly costs?: CostLedger,
    readonly users?: UserTally,
  ) {}

  /** The rows counted from now on are of this format (its batch price, if it has one). */
  useFormat(format: string): void {
    this.costs?.useFormat(format);
    this.users?.costs?.useFormat(format);
  }

  countPayload(p: Payload, known: boolean, applied: readonly DefaultName[]): void {
    const c = payloadFacts(p, payloadFigures(p, COUNTED));
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
    let entry = byModel.get(model);
    if (!entry) {
      entry = { tally: { provider, model, known: c.known, complete: zero(), partial: zero() }, days: new Map(), lastDay: Number.NaN, lastTag: '', lastCell: undefined };
      byModel.set(model, entry);
    }
    addTokens(partialReason ? entry.tally.partial : entry.tally.complete, c);
    const tag = this.tagOf(c.endpointTag);
    const cell = breakdownCell(entry, c.createdAt, tag);
    cell.payloads++;
    if (partialReason) cell.partial++;
    if (c.reachedModel) cell.requests++;
    cell.inputTokens += input;
    cell.cachedInputTokens += cacheRead;
    cell.cacheWriteTokens += cacheWrite;
    cell.outputTokens += output;
    cell.reasoningTokens += reasoning;
    this.costs?.add(provider, model, c.loggedModel, c.createdAt, partialReason !== undefined, input, output, cacheRead, cacheWrite, tag);
    if (this.users) this.countUser(c);
  }

  /** The endpointTag a payload is counted under: '' for none, OTHER_ENDPOINTS past MAX_ENDPOINT_TAGS. */
  private tagOf(endpointTag: string | undefined): string {
    if (endpointTag === undefined) return '';
    if (endpointTag === this.lastTag) return this.lastTagAs;
    let tag = endpointTag;
    if (!this.tags.has(tag)) {
      if (this.tags.size < MAX_ENDPOINT_TAGS) this.tags.add(tag);
      else {
        tag = OTHER_ENDPOINTS;
        this.otherEndpointTags = true;
      }
    }
    this.lastTag = endpointTag;
    this.lastTagAs = tag;
    return tag;
  }

  private countUser(c: CountedPayload): void {
    const users = this.users!;
    let user = c.userId ?? NO_USER;
    let sums = users.sums.get(user);
    if (!sums) {
      if (users.sums.size >= MAX_USERS) user = OTHER_USERS;
      sums = users.sums.get(user);
      if (!sums) users.sums.set(user, (sums = zero()));
    }
    addTokens(sums, c);
    users.costs?.add(c.provider, c.model, c.loggedModel, c.createdAt, c.partialReason !== undefined, c.input, c.output, c.cacheRead, c.cacheWrite, user);
  }

  countSkip(reason: string): void {
    this.skippedTotal++;
    bump(this.skipped, reason);
  }

  /** A rejected row: counted by its reason's shape (numbers masked), its first example kept with its numbers. */
  countReject(reason: string, file?: string, line?: number): void {
    this.rejectedTotal++;
    const group = reasonGroup(reason);
    bump(this.rejected, group);
    const example = this.rejectExamples.get(group);
    if (example === undefined) {
      if (this.rejectExamples.size < MAX_REASONS) this.rejectExamples.set(group, { reason, file: file ?? '', line: line ?? 0, allSame: true });
    } else if (example.allSame && example.reason !== reason) example.allSame = false;
  }

  get accounted(): number {
    return this.complete + this.partialTotal + this.skippedTotal + this.rejectedTotal;
  }

  modelTallies(): ModelTally[] {
    return [...this.models.values()].flatMap((byModel) => [...byModel.values()].map((e) => e.tally));
  }

  /** The breakdown's cells, with their epoch day (NO_DAY: no createdAt). */
  *breakdownCells(): Generator<{ day: number; provider: string; model: string; tag: string; sums: BreakdownSums }> {
    for (const [provider, byModel] of this.models) {
      for (const [model, entry] of byModel) {
        for (const [day, byTag] of entry.days) for (const [tag, sums] of byTag) yield { day, provider, model, tag, sums };
      }
    }
  }
}

/** One model's tally, and its breakdown: epoch day (NO_DAY: no createdAt) → endpointTag ('' none) → sums. */
interface ModelEntry {
  tally: ModelTally;
  days: Map<number, Map<string, BreakdownSums>>;
  /** Its last payload's cell: a model's consecutive payloads mostly share day and tag. */
  lastDay: number;
  lastTag: string;
  lastCell: BreakdownSums | undefined;
}

/** The breakdown cell of a model's payload: its UTC day (by epoch day) and endpointTag. */
function breakdownCell(entry: ModelEntry, at: string | number | undefined, tag: string): BreakdownSums {
  const day = at === undefined ? NO_DAY : Math.floor((typeof at === 'number' ? at : parseZonedDateTime(at)) / 86_400_000);
  if (entry.lastCell !== undefined && entry.lastDay === day && entry.lastTag === tag) return entry.lastCell;
  let byTag = entry.days.get(day);
  if (!byTag) entry.days.set(day, (byTag = new Map()));
  let sums = byTag.get(tag);
  if (!sums) {
    sums = { payloads: 0, partial: 0, requests: 0, inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0 };
    byTag.set(tag, sums);
  }
  entry.lastDay = day;
  entry.lastTag = tag;
  entry.lastCell = sums;
  return sums;
}

function addTokens(s: TokenSums, c: PayloadFigures): void {
  s.payloads++;
  s.inputTokens += c.input;
  s.outputTokens += c.output;
  s.cachedInputTokens += c.cacheRead;
  s.cacheWriteTokens += c.cacheWrite;
  s.reasoningTokens += c.reasoning;
}

export interface SummaryContext {
  /** The format read, or 'mixed' when --from auto found several (formats[] says which file got which). */
  format: FormatId | 'mixed';
  chosenBy: 'flag' | 'auto';
  /** Why auto chose it (said once, when it chose: the summary does not repeat it). */
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
  /** --from auto: files left out, each with why (an aggregate export, a format that cannot be told). */
  leftOut?: readonly LeftOutFile[];
  /** --exclude: the globs and the files they left out. */
  excluded?: { globs: readonly string[]; files: readonly string[] };
  /** --since / --until as applied (UTC ISO; until is exclusive). */
  window?: { since: string | null; until: string | null };
}

/** A file --from auto left out of a folder's import, and why. */
export interface LeftOutFile {
  file: string;
  /** `aggregate`: an aggregate-only export; `unknown`: no format, or more than one, claims it. */
  kind: 'aggregate' | 'unknown';
  /** Why, in words that follow the file's name: "is an OpenAI costs export: …", "(JSON) matches none of the known formats". */
  reason: string;
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

/** One cell of the breakdown: UTC day × provider × model × endpointTag (docs/import.md "--summary-json"). */
export interface BreakdownRow extends BreakdownSums {
  /** UTC date of createdAt; null for payloads without createdAt (priced at the import's time). */
  date: string | null;
  provider: string;
  model: string;
  /** null: payloads without one. */
  endpointTag: string | null;
  estimatedUsd: number | null;
  estimatedUsdNotFinal: number | null;
  unpricedPayloads: number;
}

export interface ImportSummary {
  format: FormatId | 'mixed';
  formatChosenBy: 'flag' | 'auto';
  /** Per format: its files and the outcomes of their rows (one entry unless --from auto found several). */
  formats: FormatTally[];
  files: FileTally[];
  /** Files --from auto left out (not read: their rows are not in `read`). */
  leftOut: LeftOutFile[];
  /** --exclude's globs and the files they matched (not read). */
  excluded: { globs: string[]; files: string[] };
  /** --since / --until (UTC ISO, since inclusive, until exclusive), or null. */
  window: { since: string | null; until: string | null } | null;
  read: number;
  complete: number;
  partial: { total: number; byReason: Record<string, number> };
  skipped: { total: number; byReason: Record<string, number> };
  /** `examples`: per reason group, its first row's reason with its numbers, file and line (allSame: every row had that reason). */
  rejected: { total: number; byReason: Record<string, number>; examples: Record<string, RejectExample> };
  invariant: string;
  invariantHolds: boolean;
  blankLines: number;
  tokens: Omit<TokenSums, 'payloads'>;
  /** Biggest estimated spend first (complete + not final), then most payloads. */
  models: ModelSummary[];
  unknownModels: { models: number; payloads: number };
  estimatedUsd: { complete: number; partialNotFinal: number; unpricedPayloads: number; note: string };
  /** Where the estimates come from; null when this run priced nothing. */
  prices: { source: string; dataDate: string; dataDateBasis: string } | null;
  /** Batch lines priced at the vendor's batch price (a share of list price). */
  batchPricing: { payloads: number; factor: number; vendor: string } | null;
  /** Payloads without createdAt, priced at the import's time (and counted under `undated`, not on a day). */
  pricedAtImportTime: number;
  /** Per UTC day of createdAt: payloads and their estimated cost. */
  days: DayCost[];
  /** The payloads without createdAt: their own group, in no day. Null when there were none. */
  undated: Omit<DayCost, 'date'> | null;
  /** Per UTC day × provider × model × endpointTag, by date (undated last), provider, model, endpointTag. */
  breakdown: BreakdownRow[];
  catalog: { source: string; date: string };
  defaultsApplied: { field: DefaultName; value: string; payloads: number }[];
  userIdsHashed: boolean;
  notes: string[];
}

const sortedRecord = (m: Map<string, number>): Record<string, number> =>
  Object.fromEntries([...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));

/** A model's, a day's or a cell's estimate: complete and not final together (null counts as nothing). */
export const spendOf = (c: { estimatedUsd: number | null; estimatedUsdNotFinal: number | null }): number => (c.estimatedUsd ?? 0) + (c.estimatedUsdNotFinal ?? 0);

/** Biggest spend first, then most payloads, then by name: the order of models[] and of every list of spenders. */
export function bySpend<T extends { estimatedUsd: number | null; estimatedUsdNotFinal: number | null; payloads: number; name: string }>(a: T, b: T): number {
  return spendOf(b) - spendOf(a) || b.payloads - a.payloads || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

const dateOfEpochDay = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);

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
    return {
      ...m,
      estimatedUsd: c ? c.estimatedUsd : m.complete.payloads ? null : 0,
      estimatedUsdNotFinal: c ? c.estimatedUsdNotFinal : m.partial.payloads ? null : 0,
      unpricedPayloads: c ? c.unpricedPayloads : payloads,
      pricedAs: c?.pricedAs ?? [],
    };
  });
  const named = (m: ModelSummary) => ({ estimatedUsd: m.estimatedUsd, estimatedUsdNotFinal: m.estimatedUsdNotFinal, payloads: m.complete.payloads + m.partial.payloads, name: `${m.provider}/${m.model}`, m });
  models.splice(0, models.length, ...models.map(named).sort(bySpend).map((x) => x.m));
  const invariantHolds = t.read === t.accounted;
  const batch = t.costs?.batch;
  return {
    format: ctx.format,
    formatChosenBy: ctx.chosenBy,
    formats: t.formats,
    files: t.files,
    leftOut: [...(ctx.leftOut ?? [])],
    excluded: { globs: [...(ctx.excluded?.globs ?? [])], files: [...(ctx.excluded?.files ?? [])] },
    window: ctx.window ?? null,
    read: t.read,
    complete: t.complete,
    partial: { total: t.partialTotal, byReason: sortedRecord(t.partial) },
    skipped: { total: t.skippedTotal, byReason: sortedRecord(t.skipped) },
    rejected: { total: t.rejectedTotal, byReason: sortedRecord(t.rejected), examples: Object.fromEntries(t.rejectExamples) },
    invariant: `read ${t.read} = complete ${t.complete} + partial ${t.partialTotal} + skipped ${t.skippedTotal} + rejected ${t.rejectedTotal}`,
    invariantHolds,
    blankLines: t.blankLines,
    tokens,
    models,
    unknownModels: { models: unknownModels, payloads: unknownPayloads },
    estimatedUsd: {
      complete: settled?.complete ?? 0,
      partialNotFinal: settled?.partialNotFinal ?? 0,
      unpricedPayloads: settled?.unpricedPayloads ?? t.complete + t.partialTotal,
      note: 'estimates at list prices in force at each request\'s createdAt (batch lines at the batch price); not a bill. Partial payloads lack some token counts, so their cost is not final; models the price source does not know are not priced (null), never $0.',
    },
    prices: t.costs ? { source: t.costs.priceSource.source, dataDate: t.costs.priceSource.dataDate, dataDateBasis: t.costs.priceSource.dataDateBasis } : null,
    batchPricing: batch ? { payloads: batch.payloads, factor: batch.factor, vendor: batch.vendor } : null,
    pricedAtImportTime: t.costs?.untimed ?? 0,
    days: settled?.days ?? [],
    undated: settled?.undated ?? null,
    breakdown: breakdownRows(t, settled?.cells),
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
      ...(t.otherEndpointTags ? [`more than ${int(MAX_ENDPOINT_TAGS)} endpointTags: the breakdown counts the rest together as "${OTHER_ENDPOINTS}"`] : []),
    ],
  };
}

/** The tally's cells with the ledger's estimate of each, in order: by date (undated last), provider, model, endpointTag. */
function breakdownRows(t: ImportTally, cells: readonly CellCost[] | undefined): BreakdownRow[] {
  const costs = new Map<string, CellCost>();
  for (const c of cells ?? []) costs.set(`${c.date}\u0000${c.provider}\u0000${c.model}\u0000${c.group}`, c);
  const rows: BreakdownRow[] = [];
  for (const { day, provider, model, tag, sums } of t.breakdownCells()) {
    const date = day === NO_DAY ? null : dateOfEpochDay(day);
    const cost = costs.get(`${date}\u0000${provider}\u0000${model}\u0000${tag}`);
    const complete = sums.payloads - sums.partial;
    rows.push({
      date,
      provider,
      model,
      endpointTag: tag === '' ? null : tag,
      ...sums,
      estimatedUsd: cost ? cost.estimatedUsd : complete ? null : 0,
      estimatedUsdNotFinal: cost ? cost.estimatedUsdNotFinal : sums.partial ? null : 0,
      unpricedPayloads: cost ? cost.unpricedPayloads : sums.payloads,
    });
  }
  const key = (r: BreakdownRow) => [r.date ?? '\uffff', r.provider, r.model, r.endpointTag ?? ''];
  return rows.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    return 0;
  });
}


/** One user's payloads, tokens and estimate (the HTML report's users; never in --summary-json). */
export interface UserSpend extends TokenSums {
  /** As the payloads have it (hashed under --hash-user-ids); NO_USER for payloads without one, OTHER_USERS past MAX_USERS. */
  user: string;
  estimatedUsd: number;
  estimatedUsdNotFinal: number;
  unpricedPayloads: number;
}

/** The users the tally counted (ImportTally's `users`), biggest spender first; undefined when it counted none. */
export function userSpend(t: ImportTally): UserSpend[] | undefined {
  if (!t.users) return undefined;
  const rows = new Map<string, UserSpend>();
  for (const [user, sums] of t.users.sums) rows.set(user, { user, ...sums, estimatedUsd: 0, estimatedUsdNotFinal: 0, unpricedPayloads: t.users.costs ? 0 : sums.payloads });
  for (const c of t.users.costs?.settle().cells ?? []) {
    const u = rows.get(c.group);
    if (!u) continue;
    u.estimatedUsd += c.estimatedUsd ?? 0;
    u.estimatedUsdNotFinal += c.estimatedUsdNotFinal ?? 0;
    u.unpricedPayloads += c.unpricedPayloads;
  }
  return [...rows.values()].map((u) => ({ ...u, name: u.user })).sort(bySpend).map(({ name: _, ...u }) => u);
}
