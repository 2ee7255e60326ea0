/**
 * The two sides of a reconciliation, read from files (or stdin), streamed, gzip-transparent:
 * - reports (readReports): the pages of the providers' usage and cost reports (reports.ts),
 *   read first: their buckets say which times each provider's report covers;
 * - payloads (readPayloads): Opsmeter payload files (an import's output, a team's own captured
 *   payloads), summed per UTC day × provider × model × dimensions for each report whose time
 *   range holds the payload's createdAt. Memory holds the sums, never the payloads. Or an
 *   import's --summary-json, whose breakdown holds such sums already, per whole UTC day
 *   (summary.ts): the same collector takes its cells.
 * Anything that is not what its side expects is an input error (exit 2) naming the file and line.
 */
import { realpath } from 'node:fs/promises';
import { withoutDateSuffix, catalogSpelling, type Catalog } from '../contract/catalog.js';
import { parseZonedDateTime } from '../contract/fields.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { payloadFigures, type PayloadFigures } from '../importers/import-summary.js';
import { aggregateByColumns } from '../importers/sniff.js';
import { jsonFormatFromName, openSource, SourceOpenError } from '../importers/source.js';
import { parseCsvRecord } from '../read/csv.js';
import { CostLedger } from '../prices/ledger.js';
import type { PriceBook } from '../prices/library.js';
import { STOP } from '../read/lines.js';
import { expandPaths } from '../read/paths.js';
import { readRecordStream, SourceError, type ReadOptions, type Source } from '../read/records.js';
import type { Dimension, FieldPaths, ReportKind, ReportScope, TotalsRow } from './compare.js';
import { DAY_MS, describeRecord, inRange, ReportCollector, ReportInputError, type DayRange } from './reports.js';
import { breakdownOf, importedCell, type BreakdownCell, type ImportedCell } from './summary.js';

/** Which files a directory contributes, on either side. */
const INPUT_FILES = /\.(json|jsonl|ndjson)(\.gz)?$/i;

export class InputError extends OpsmeterError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
  }
}

/** The files of the paths given (directories, globs, "-"), each named once: a file given twice would count twice. */
export async function expandInputs(payloadPaths: readonly string[], reportPaths: readonly string[]): Promise<{ payloads: Source[]; reports: Source[] }> {
  if (payloadPaths.filter((p) => p === '-').length + reportPaths.filter((p) => p === '-').length > 1) {
    throw new InputError('stdin ("-") can be read once: give it on one side only');
  }
  const expand = async (paths: readonly string[], what: string) => {
    const { sources, emptyMatches } = await expandPaths(paths, { include: INPUT_FILES });
    if (emptyMatches.length > 0) throw new InputError(`no ${what} files (*.json, *.jsonl, *.ndjson, .gz too) in ${emptyMatches.map((p) => `"${p}"`).join(', ')}`);
    return sources;
  };
  const payloads = await expand(payloadPaths, 'payload');
  const reports = await expand(reportPaths, 'report');
  const seen = new Map<string, string>();
  for (const s of [...payloads, ...reports]) {
    if (s.path === '-') continue;
    const real = await realpath(s.path).catch(() => s.path);
    const before = seen.get(real);
    if (before !== undefined) {
      throw new InputError(`${s.name} is given twice${before !== s.name ? ` (also as ${before})` : ''}: its figures would be counted twice`, 'name each file once, on its own side');
    }
    seen.set(real, s.name);
  }
  return { payloads, reports };
}

/**
 * Streams one source's records to `onRecord` (value and line). Opening failures, broken JSON and
 * damaged gzip data are input errors naming the file (and line); so is anything `onRecord` throws.
 */
async function readSource(source: Source, onRecord: (value: unknown, line: number) => void, opts: ReadOptions = {}): Promise<number> {
  let opened;
  try {
    opened = await openSource(source);
  } catch (e) {
    if (e instanceof SourceOpenError) throw new InputError(e.message);
    throw e;
  }
  const refused = notJson(opened.head, source.name);
  if (refused) {
    opened.close();
    throw refused;
  }
  let failure: unknown;
  let records = 0;
  try {
    // Only .jsonl/.ndjson are taken at their word: a .json file holding one page or payload per line is sniffed as JSONL.
    const format = jsonFormatFromName(source.name);
    await readRecordStream(
      opened.chunks,
      format,
      {
        record(r) {
          try {
            records++;
            onRecord(r.value, r.line);
          } catch (e) {
            failure = e;
            return STOP;
          }
        },
        fault(f) {
          failure ??= new InputError(`${source.name}:${f.line}:${f.column}: ${f.message}`, 'reconcile reads JSON, a JSON array or JSONL (.gz too); `opsmeter validate` shows every fault of a payload file');
          return STOP;
        },
      },
      opts,
    );
  } catch (e) {
    if (e instanceof SourceError) throw new InputError(`${source.name}: ${e.message}`);
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'EISDIR' || err?.code === 'EACCES' || err?.code === 'ENOENT') throw new InputError(`${source.name}: ${err.message}`);
    throw e;
  } finally {
    opened.close();
  }
  if (failure !== undefined) throw failure;
  const damage = opened.damage();
  if (damage) throw new InputError(`${source.name}: ${damage}`, 'the gzip file is damaged: fetch or copy it again');
  return records;
}

/**
 * The error for an input that is not JSON at all (undefined when it starts like JSON, or is
 * empty): a provider's CSV export is named as such, as import names it.
 */
function notJson(head: Buffer, name: string): InputError | undefined {
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const start = text.search(/\S/);
  if (start === -1 || text[start] === '{' || text[start] === '[') return undefined;
  const firstLine = text.slice(start).split(/\r?\n/, 1)[0]!;
  const cells = parseCsvRecord(firstLine);
  const kind = typeof cells === 'string' ? undefined : aggregateByColumns(cells);
  if (kind) {
    return new InputError(`${name} is ${kind.name} as CSV: reconcile reads the API's JSON pages`, 'fetch the report from the API as JSON (docs/reconcile.md shows the curl lines)');
  }
  return new InputError(`${name} is not JSON (it starts with ${JSON.stringify(firstLine.slice(0, 30))}): reconcile reads JSON, a JSON array or JSONL, .gz too`);
}

/** Reads every report file: the parts per provider and kind, and what was read per file. */
export async function readReports(sources: readonly Source[], range: DayRange): Promise<ReportCollector> {
  const collector = new ReportCollector(range);
  for (const source of sources) {
    collector.startFile(source.name);
    // A page's buckets are streamed one by one (its "data" array), as a JSONL line or a whole file.
    await readSource(source, (v, line) => collector.add(v, line), { arrayMember: 'data' });
    collector.endFile();
  }
  return collector;
}

/** The times each provider's reports cover: per day, the buckets' [start, end) in epoch ms. */
export class Coverage {
  private readonly byProvider = new Map<string, Map<ReportKind, Map<number, number[]>>>();
  /** Per "provider/kind/day number": the milliseconds of that day the buckets cover. */
  private readonly covered = new Map<string, number>();

  constructor(parts: Iterable<{ provider: string; kind: ReportKind; intervals: readonly { start: number; end: number }[] }>) {
    for (const p of parts) {
      let kinds = this.byProvider.get(p.provider);
      if (!kinds) this.byProvider.set(p.provider, (kinds = new Map()));
      let days = kinds.get(p.kind);
      if (!days) kinds.set(p.kind, (days = new Map()));
      for (const iv of [...p.intervals].sort((a, b) => a.start - b.start)) {
        const day = Math.floor(iv.start / 86_400_000);
        let list = days.get(day);
        if (!list) days.set(day, (list = []));
        list.push(iv.start, iv.end);
        const key = `${p.provider}/${p.kind}/${day}`;
        this.covered.set(key, (this.covered.get(key) ?? 0) + iv.end - iv.start);
      }
    }
  }

  /** How much of a UTC day (YYYY-MM-DD) the provider's report of this kind covers: all of it, part, or none (undefined). */
  day(provider: string, kind: ReportKind, day: string): 'full' | 'part' | undefined {
    const ms = this.covered.get(`${provider}/${kind}/${Date.parse(`${day}T00:00:00Z`) / DAY_MS}`);
    return ms === undefined ? undefined : ms >= DAY_MS ? 'full' : 'part';
  }

  kinds(provider: string): ReportKind[] {
    return [...(this.byProvider.get(provider)?.keys() ?? [])];
  }

  /**
   * Whether a bucket of the provider's report of this kind holds the instant `ms`: a binary
   * search of the day's buckets (1440 of them at bucket_width 1m), sorted and not overlapping.
   */
  covers(provider: string, kind: ReportKind, ms: number): boolean {
    const list = this.byProvider.get(provider)?.get(kind)?.get(Math.floor(ms / 86_400_000));
    if (!list) return false;
    let lo = 0;
    let hi = list.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ms < list[2 * mid]!) hi = mid - 1;
      else if (ms >= list[2 * mid + 1]!) lo = mid + 1;
      else return true;
    }
    return false;
  }
}

/** Payloads counted apart from the comparison, with the days they span. */
export interface Tally {
  payloads: number;
  from?: string;
  to?: string;
}

const tally = (map: Map<string, Tally>, key: string, day: string, payloads = 1) => {
  let t = map.get(key);
  if (!t) map.set(key, (t = { payloads: 0 }));
  t.payloads += payloads;
  if (t.from === undefined || day < t.from) t.from = day;
  if (t.to === undefined || day > t.to) t.to = day;
};

export interface PayloadReadOptions {
  catalog: Catalog;
  fields: FieldPaths;
  range: DayRange;
  coverage: Coverage;
  /** The price data, when a cost report is compared (the import's estimate per payload). */
  prices?: PriceBook;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const TOKEN_FIELDS = ['inputTokens', 'outputTokens'] as const;

/** Payloads summed per report kind × provider × UTC day × model × dimensions. */
export class PayloadCollector {
  payloads = 0;
  readonly files: { file: string; payloads: number }[] = [];
  /** Payloads without createdAt: no day to compare them on. */
  untimed = 0;
  /** Payloads outside --since/--until. */
  excluded = 0;
  /** Per provider without any report. */
  readonly noReport = new Map<string, Tally>();
  /** Per "provider/kind": payloads outside the times the report covers. */
  readonly outside = new Map<string, Tally>();
  /** Import summaries read (their breakdown is the imported side; never mixed with payload files). */
  summaries = 0;
  /** Per "provider/kind", summaries only: payloads on a day the report covers in part (a summary's day cannot be cut). */
  readonly partDays = new Map<string, Tally>();
  private readonly cells = new Map<string, TotalsRow>();
  /** Cost estimates: one ledger per provider × model × dimensions (it sums per day); `model` is the row's. */
  private readonly ledgers = new Map<string, { ledger: CostLedger; provider: string; model: string; dims: Partial<Record<Dimension, string | null>> }>();
  private readonly figures: PayloadFigures = { partialReason: undefined, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0, loggedModel: undefined };
  private readonly providers = new Map<string, string>();
  private file = '';
  private filePayloads = 0;
  private settled = false;
  private lastDayNumber = Number.NaN;
  private lastDay = '';

  /** Where each dimension is read (a payload field or metadata.KEY), resolved once. */
  private readonly readers: Record<Dimension, (v: Obj) => unknown>;

  constructor(private readonly opts: PayloadReadOptions) {
    const reader = (path: string): ((v: Obj) => unknown) => {
      if (!path.startsWith('metadata.')) return (v) => v[path];
      const key = path.slice('metadata.'.length);
      return (v) => (isObj(v.metadata) ? v.metadata[key] : undefined);
    };
    this.readers = { project: reader(opts.fields.project), apiKey: reader(opts.fields.apiKey), workspace: reader(opts.fields.workspace) };
  }

  startFile(file: string): void {
    this.file = file;
    this.filePayloads = 0;
  }

  endFile(): void {
    this.files.push({ file: this.file, payloads: this.filePayloads });
  }

  private fail(line: number, message: string, hint?: string): never {
    throw new InputError(`${this.file}:${line}: ${message}`, hint);
  }

  /** The UTC date of an instant; consecutive payloads mostly share one. */
  private dayOf(ms: number): string {
    const n = Math.floor(ms / 86_400_000);
    if (n !== this.lastDayNumber) {
      this.lastDayNumber = n;
      this.lastDay = new Date(n * 86_400_000).toISOString().slice(0, 10);
    }
    return this.lastDay;
  }

  private provider(name: string): string {
    let p = this.providers.get(name);
    if (p === undefined) this.providers.set(name, (p = this.opts.catalog.resolveProvider(name) ?? name.trim().toLowerCase()));
    return p;
  }

  add(v: unknown, line: number): void {
    if (!isObj(v) || typeof v.provider !== 'string' || typeof v.model !== 'string') {
      if (!isObj(v) || describeRecord(v) !== 'import-summary') this.fail(line, notAPayload(v));
      this.addSummary(v, line);
      return;
    }
    if (this.summaries > 0) this.fail(line, MIXED, MIXED_HINT);
    for (const f of TOKEN_FIELDS) {
      const n = v[f];
      if (n !== undefined && !(typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) {
        this.fail(line, `${f} must be a token count (a whole number ≥ 0), got ${JSON.stringify(n)}`, '`opsmeter validate` checks payload files against the contract');
      }
    }
    this.payloads++;
    this.filePayloads++;
    const created = v.createdAt;
    if (created === undefined || created === null) {
      this.untimed++;
      return;
    }
    const ms = typeof created === 'string' ? parseZonedDateTime(created) : Number.NaN;
    if (!Number.isFinite(ms)) this.fail(line, `createdAt must be an ISO-8601 date-time with a zone, got ${JSON.stringify(created)}`, '`opsmeter validate` checks payload files against the contract');
    const day = this.dayOf(ms);
    if (!inRange(day, this.opts.range)) {
      this.excluded++;
      return;
    }
    const provider = this.provider(v.provider);
    const kinds = this.opts.coverage.kinds(provider);
    if (kinds.length === 0) {
      tally(this.noReport, provider, day);
      return;
    }
    const f = payloadFigures((isObj(v.metadata) ? v : { ...v, metadata: {} }) as never, this.figures);
    const dims = this.dimensions(v);
    const model = reportedModel(v, v.model);
    for (const kind of kinds) {
      if (!this.opts.coverage.covers(provider, kind, ms)) {
        tally(this.outside, `${provider}/${kind}`, day);
        continue;
      }
      const row = this.cell(kind, provider, day, model, dims);
      row.payloads!++;
      if (f.partialReason !== undefined) row.partial!++;
      if (kind === 'usage') {
        const g = row.figures;
        // A failed call without usage (a rate limit, an invalid request) never reached the model.
        if (!(v.status === 'error' && v.inputTokens === undefined && v.outputTokens === undefined)) g.requests! += 1;
        g.input! += f.input;
        g.cachedInput! += f.cacheRead;
        g.cacheWrite! += f.cacheWrite;
        g.output! += f.output;
      } else this.price(row, provider, v.model, model, dims, ms, v, f);
    }
  }

  /** An import's --summary-json: its breakdown's cells. */
  private addSummary(v: Obj, line: number): void {
    if (this.payloads > 0 && this.summaries === 0) this.fail(line, MIXED, MIXED_HINT);
    const b = breakdownOf(v);
    if ('error' in b) this.fail(line, b.error, b.hint);
    this.addBreakdown(b.cells);
  }

  /** An import's breakdown: a summary file's, or the running import's own (import --against). */
  addBreakdown(cells: readonly BreakdownCell[]): void {
    this.summaries++;
    for (const c of cells) this.addCell(importedCell(c));
  }

  /**
   * One cell of an import's breakdown (a summary file's, or the running import's own): its
   * payloads go where a payload of that day would, but only on days a report covers whole,
   * since a day's sums cannot be cut at a bucket's edge. No dimension: the breakdown has none.
   */
  private addCell(c: ImportedCell): void {
    this.payloads += c.payloads;
    this.filePayloads += c.payloads;
    if (c.date === null) {
      this.untimed += c.payloads;
      return;
    }
    if (!inRange(c.date, this.opts.range)) {
      this.excluded += c.payloads;
      return;
    }
    const provider = this.provider(c.provider);
    const kinds = this.opts.coverage.kinds(provider);
    if (kinds.length === 0) {
      tally(this.noReport, provider, c.date, c.payloads);
      return;
    }
    // Claude Code's fast mode, imported as "<model>-fast" (the breakdown has no metadata.speed): Anthropic names no model so.
    const model = provider === 'anthropic' && c.model.endsWith('-fast') ? c.model.slice(0, -'-fast'.length) : c.model;
    for (const kind of kinds) {
      const covered = this.opts.coverage.day(provider, kind, c.date);
      if (covered !== 'full') {
        tally(covered === 'part' ? this.partDays : this.outside, `${provider}/${kind}`, c.date, c.payloads);
        continue;
      }
      const row = this.cell(kind, provider, c.date, model, {});
      row.payloads! += c.payloads;
      row.partial! += c.partial;
      const g = row.figures;
      if (kind === 'usage') for (const [m, n] of Object.entries(c.usage) as [keyof typeof c.usage, number][]) g[m]! += n;
      else {
        g.usd! += c.usd;
        row.unpriced! += c.unpriced;
      }
    }
  }

  private dimensions(v: Obj): Partial<Record<Dimension, string | null>> {
    const value = (read: (v: Obj) => unknown) => {
      const x = read(v);
      return typeof x === 'string' ? x : typeof x === 'number' ? String(x) : null;
    };
    return { project: value(this.readers.project), apiKey: value(this.readers.apiKey), workspace: value(this.readers.workspace) };
  }

  private cell(kind: ReportKind, provider: string, day: string, model: string, dims: Partial<Record<Dimension, string | null>>): TotalsRow {
    // Joined with NUL (no provider, model or group id holds one), absent groups as \u0001.
    const key = `${kind}\u0000${provider}\u0000${day}\u0000${model}\u0000${dims.project ?? '\u0001'}\u0000${dims.apiKey ?? '\u0001'}\u0000${dims.workspace ?? '\u0001'}`;
    let row = this.cells.get(key);
    if (!row) {
      const figures = kind === 'usage' ? { requests: 0, input: 0, cachedInput: 0, cacheWrite: 0, output: 0 } : { usd: 0 };
      this.cells.set(key, (row = { kind, provider, day, model, ...dims, figures, payloads: 0, partial: 0, unpriced: 0 }));
    }
    return row;
  }

  /** The payload's estimate goes to its model's ledger (priced at its createdAt, its format's batch price); the unpriced are counted. */
  private price(row: TotalsRow, provider: string, model: string, rowModel: string, dims: Partial<Record<Dimension, string | null>>, ms: number, v: Obj, f: PayloadFigures): void {
    const book = this.opts.prices;
    if (!book) return;
    if (book.resolve(provider, model, f.loggedModel) === null || f.cacheRead + f.cacheWrite > f.input) row.unpriced!++;
    const key = JSON.stringify([provider, model, rowModel, dims.project, dims.apiKey, dims.workspace]);
    let l = this.ledgers.get(key);
    if (!l) this.ledgers.set(key, (l = { ledger: new CostLedger(book, '', 0), provider, model: rowModel, dims }));
    const source = isObj(v.metadata) && typeof v.metadata.source === 'string' ? v.metadata.source : '';
    l.ledger.useFormat(source);
    l.ledger.add(provider, model, f.loggedModel, ms, f.partialReason !== undefined, f.input, f.output, f.cacheRead, f.cacheWrite);
  }

  /** The sums, each cost cell with its estimate (complete and partial payloads' known tokens). */
  rows(): TotalsRow[] {
    if (this.settled) return [...this.cells.values()];
    this.settled = true;
    for (const l of this.ledgers.values()) {
      for (const d of l.ledger.settle().days) {
        const row = this.cell('cost', l.provider, d.date, l.model, l.dims);
        row.figures.usd = (row.figures.usd ?? 0) + d.estimatedUsd + d.estimatedUsdNotFinal;
      }
    }
    return [...this.cells.values()];
  }
}

/**
 * The model a provider's report names a payload's call under. Claude Code's fast-mode calls are
 * imported as "<model>-fast" (metadata.speed "fast", priced apart); Anthropic reports them under
 * the model itself.
 */
function reportedModel(v: Obj, model: string): string {
  return isObj(v.metadata) && v.metadata.speed === 'fast' && model.endsWith('-fast') ? model.slice(0, -'-fast'.length) : model;
}

const MIXED = 'payload files and import summaries (--summary-json) cannot be reconciled together';
const MIXED_HINT = "give the payload files, or the summaries of the imports (a summary already sums its import's payloads)";

function notAPayload(v: unknown): string {
  const kind = describeRecord(v);
  if (kind === 'report') return 'this is a provider report, not a payload: give report pages after --against';
  return 'not an Opsmeter payload: a payload is an object with "provider" and "model" (and token counts)';
}

/** Reads every payload file into the collector; no payload at all is an input error. */
export async function readPayloads(sources: readonly Source[], opts: PayloadReadOptions): Promise<PayloadCollector> {
  const collector = new PayloadCollector(opts);
  for (const source of sources) {
    collector.startFile(source.name);
    await readSource(source, (v, line) => collector.add(v, line));
    collector.endFile();
  }
  if (collector.payloads === 0) {
    throw new InputError(`no payloads in ${sources.map((s) => s.name).join(', ')}`, 'give the payload files an import wrote (opsmeter import … -o payloads.jsonl) before --against');
  }
  return collector;
}

/** The model family both sides are matched on: the catalog id (or the name in its spelling) without a dated suffix. */
export function modelFamily(catalog: Catalog): (provider: string, model: string) => string {
  const cache = new Map<string, string>();
  return (provider, model) => {
    const key = `${provider}\u0000${model}`;
    let f = cache.get(key);
    if (f === undefined) {
      const id = catalog.resolveModel(provider, model)?.model ?? catalogSpelling(provider, provider === 'openrouter' ? model : model.slice(model.lastIndexOf('/') + 1));
      cache.set(key, (f = withoutDateSuffix(id)));
    }
    return f;
  };
}

export type { ReportScope, DayRange, FieldPaths };
export { ReportInputError };
