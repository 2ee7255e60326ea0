/**
 * The providers' own reports, recognised by shape and read into totals per UTC day × model (×
 * project / API key / workspace), in opsmeter's meanings of input and cache counts:
 * - OpenAI's organization Usage API, completions (`/v1/organization/usage/completions`):
 *   `input_tokens` already includes cached and cache-write tokens;
 * - OpenAI's Costs API (`/v1/organization/costs`): dollars, per `line_item` ("<model>, input");
 * - Anthropic's Admin API usage report (`/v1/organizations/usage_report/messages`):
 *   `uncached_input_tokens` excludes cache reads and writes, so input is the sum of the three;
 * - Anthropic's cost report (`/v1/organizations/cost_report`): `amount` in cents, as a decimal string.
 * A page, a bucket, an array or JSONL of either: each record is handed to ReportCollector.add.
 * docs/reconcile.md lists the shapes and the alignment of meanings.
 */
import { EXIT, OpsmeterError } from '../errors.js';
import type { Dimension, Figures, Measure, ReportKind, ReportScope, TotalsRow } from './compare.js';

export type Vendor = 'openai' | 'anthropic';

/** The report formats this module reads: vendor, kind, and what a user calls it. */
export const REPORT_FORMATS = {
  'openai-usage': { vendor: 'openai', kind: 'usage', name: 'OpenAI Usage API (completions)' },
  'openai-costs': { vendor: 'openai', kind: 'cost', name: 'OpenAI Costs API' },
  'anthropic-usage': { vendor: 'anthropic', kind: 'usage', name: 'Anthropic usage report (messages)' },
  'anthropic-cost': { vendor: 'anthropic', kind: 'cost', name: 'Anthropic cost report' },
} as const satisfies Record<string, { vendor: Vendor; kind: ReportKind; name: string }>;
export type ReportFormat = keyof typeof REPORT_FORMATS;

/** The measures each format states (requests only in OpenAI's usage; cache writes where the result has them). */
const MEASURES_OF: Record<ReportFormat, readonly Measure[]> = {
  'openai-usage': ['requests', 'input', 'cachedInput', 'cacheWrite', 'output'],
  'openai-costs': ['usd'],
  'anthropic-usage': ['input', 'cachedInput', 'cacheWrite', 'output'],
  'anthropic-cost': ['usd'],
};

/** A report file that cannot be read as a report: exit 2, naming the file (and line). */
export class ReportInputError extends OpsmeterError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
  }
}

const READ_HINT =
  'save each page as the API returns it (curl -o page-1.json …), or one page per line (… | jq -c . >> pages.jsonl); docs/reconcile.md shows the curl lines';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a record looks like, for the errors that name a file given on the wrong side. */
export function describeRecord(v: unknown): 'payload' | 'import-summary' | 'report' | undefined {
  if (!isObj(v)) return undefined;
  if (typeof v.invariant === 'string' && Array.isArray(v.models) && 'read' in v) return 'import-summary';
  if (isPage(v) || isBucket(v) || resultFormat(v) !== undefined) return 'report';
  if (typeof v.provider === 'string' && typeof v.model === 'string' && ('inputTokens' in v || 'outputTokens' in v || 'status' in v)) return 'payload';
  return undefined;
}

const isPage = (v: Obj) => Array.isArray(v.data) && (v.object === 'page' || 'has_more' in v || (v.data as unknown[]).some((b) => isObj(b) && isBucket(b)));
const isBucket = (v: Obj) => (typeof v.start_time === 'number' || typeof v.starting_at === 'string') && (Array.isArray(v.results) || Array.isArray(v.result));

/** The format of one result object, by its own fields (undefined: none of the four). */
function resultFormat(r: Obj): ReportFormat | undefined {
  if (r.object === 'organization.usage.completions.result') return 'openai-usage';
  if (r.object === 'organization.costs.result') return 'openai-costs';
  if (typeof r.object === 'string') return undefined;
  if ('uncached_input_tokens' in r) return 'anthropic-usage';
  if (typeof r.amount === 'string' && 'currency' in r) return 'anthropic-cost';
  if ('num_model_requests' in r && 'input_tokens' in r) return 'openai-usage';
  if (isObj(r.amount) && 'value' in r.amount) return 'openai-costs';
  return undefined;
}

/** Why a result is none of the four, when it is recognisably something else. */
function otherResult(r: Obj): string | undefined {
  const m = typeof r.object === 'string' ? /^organization\.usage\.(\w+)\.result$/.exec(r.object) : null;
  if (m) return `OpenAI ${m[1]!.replace(/_/g, ' ')} usage: reconcile compares completions usage (/v1/organization/usage/completions) and costs (/v1/organization/costs)`;
  return undefined;
}

interface Interval {
  start: number;
  end: number;
  file: string;
  line: number;
}

export const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

/** Everything read of one provider's report of one kind, over all its files. */
export class ReportPart {
  readonly files = new Set<string>();
  readonly intervals: Interval[] = [];
  results = 0;
  /** How many results stated each measure (a measure is compared when all did). */
  readonly stated = new Map<Measure, number>();
  readonly rows = new Map<string, TotalsRow>();
  /** Cost results that are no model's tokens (a tool, storage): label → dollars and results. */
  readonly nonToken = new Map<string, { usd: number; results: number }>();
  /** Results outside --since/--until. */
  excludedResults = 0;

  constructor(
    readonly format: ReportFormat,
    readonly provider: Vendor,
    readonly kind: ReportKind,
  ) {}

  addResult(day: string, model: string | null, dims: Partial<Record<Dimension, string | null>>, figures: Figures): void {
    this.results++;
    for (const m of Object.keys(figures) as Measure[]) this.stated.set(m, (this.stated.get(m) ?? 0) + 1);
    const key = JSON.stringify([day, model, dims.project ?? null, dims.apiKey ?? null, dims.workspace ?? null]);
    let row = this.rows.get(key);
    if (!row) this.rows.set(key, (row = { kind: this.kind, provider: this.provider, day, model, ...dims, figures: {} }));
    for (const [m, v] of Object.entries(figures) as [Measure, number][]) row.figures[m] = (row.figures[m] ?? 0) + v;
  }

  /** The measures every result stated (the format's own list when there were no results). */
  measures(): Measure[] {
    return MEASURES_OF[this.format].filter((m) => this.results === 0 || this.stated.get(m) === this.results);
  }

  /** Days covered, and whether whole: the intervals must not overlap (two copies of a page would count twice). */
  scope(): ReportScope {
    const sorted = [...this.intervals].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1]!;
      const b = sorted[i]!;
      if (b.start < a.end) {
        const where = (x: Interval) => `${x.file}:${x.line}`;
        throw new ReportInputError(
          `two ${REPORT_FORMATS[this.format].name} pages overlap: the bucket at ${where(b)} (${new Date(b.start).toISOString()}) lies inside the one at ${where(a)}: the same usage would be counted twice`,
          'give each page once (a page saved twice, or the same period fetched twice with other group_by or bucket_width, overlaps)',
        );
      }
    }
    const covered = new Map<string, number>();
    for (const iv of sorted) covered.set(dayOf(iv.start), (covered.get(dayOf(iv.start)) ?? 0) + (iv.end - iv.start));
    return { kind: this.kind, provider: this.provider, measures: this.measures(), days: [...covered].map(([day, ms]) => ({ day, full: ms >= DAY_MS })) };
  }
}

/** Days kept (YYYY-MM-DD, inclusive); undefined: no bound. */
export interface DayRange {
  since?: string;
  until?: string;
}

export const inRange = (day: string, range: DayRange) => (range.since === undefined || day >= range.since) && (range.until === undefined || day <= range.until);

/** Reads report records file by file into one ReportPart per provider and kind. */
export class ReportCollector {
  readonly parts = new Map<ReportFormat, ReportPart>();
  /** Per file: its format, pages/buckets read, and what was noted about it. */
  readonly files: { file: string; format: ReportFormat | undefined; buckets: number; results: number; note?: string }[] = [];
  private file = '';
  private format: ReportFormat | undefined;
  private vendor: Vendor | undefined;
  /** Empty buckets of this file read before its first result said which report it is. */
  private pending: Interval[] = [];
  private buckets = 0;
  private results = 0;

  constructor(private readonly range: DayRange = {}) {}

  startFile(file: string): void {
    this.file = file;
    this.format = undefined;
    this.vendor = undefined;
    this.pending = [];
    this.buckets = 0;
    this.results = 0;
  }

  /** Ends the file: its empty buckets without any result go to the report its name suggests. */
  endFile(): void {
    let note: string | undefined;
    if (this.buckets === 0) {
      throw new ReportInputError(`${this.file} holds no time buckets: it is not a page of a provider's usage or cost report`, READ_HINT);
    }
    if (this.format === undefined) {
      const cost = /cost/i.test(this.file.split(/[\\/]/).pop() ?? '');
      this.format = this.vendor === 'anthropic' ? (cost ? 'anthropic-cost' : 'anthropic-usage') : cost ? 'openai-costs' : 'openai-usage';
      note = `${this.file}: every bucket is empty (no usage at all); read as ${REPORT_FORMATS[this.format].name} pages by its file name`;
      this.settlePending();
    }
    this.files.push({ file: this.file, format: this.format, buckets: this.buckets, results: this.results, ...(note ? { note } : {}) });
  }

  private part(format: ReportFormat): ReportPart {
    let p = this.parts.get(format);
    if (!p) this.parts.set(format, (p = new ReportPart(format, REPORT_FORMATS[format].vendor, REPORT_FORMATS[format].kind)));
    p.files.add(this.file);
    return p;
  }

  private settlePending(): void {
    const p = this.part(this.format!);
    p.intervals.push(...this.pending);
    this.pending = [];
  }

  private fail(line: number, message: string, hint: string = READ_HINT): never {
    throw new ReportInputError(`${this.file}:${line}: ${message}`, hint);
  }

  /** One record of a report file: a page (its buckets), or a bucket. */
  add(v: unknown, line: number): void {
    if (isObj(v) && isPage(v)) {
      for (const b of v.data as unknown[]) this.bucket(b, line);
      return;
    }
    if (isObj(v) && isBucket(v)) {
      this.bucket(v, line);
      return;
    }
    this.fail(line, notAReport(v));
  }

  private bucket(b: unknown, line: number): void {
    if (!isObj(b)) this.fail(line, `a page's "data" holds ${JSON.stringify(b)?.slice(0, 40)}, not a time bucket`);
    let vendor: Vendor;
    let start: number;
    let end: number;
    if (typeof b.start_time === 'number') {
      vendor = 'openai';
      start = unixSeconds(b.start_time, 'start_time', (m) => this.fail(line, m));
      end = unixSeconds(b.end_time, 'end_time', (m) => this.fail(line, m));
    } else if (typeof b.starting_at === 'string') {
      vendor = 'anthropic';
      start = rfc3339(b.starting_at, 'starting_at', (m) => this.fail(line, m));
      end = rfc3339(b.ending_at, 'ending_at', (m) => this.fail(line, m));
    } else this.fail(line, 'a time bucket needs start_time and end_time (OpenAI) or starting_at and ending_at (Anthropic)');
    const results = Array.isArray(b.results) ? b.results : b.result;
    if (!Array.isArray(results)) this.fail(line, 'a time bucket needs a "results" array');
    if (this.vendor !== undefined && vendor !== this.vendor) this.fail(line, 'the file mixes OpenAI and Anthropic pages: keep each report in its own file');
    this.vendor = vendor;
    if (end <= start) this.fail(line, `the bucket ends (${new Date(end).toISOString()}) before it starts (${new Date(start).toISOString()})`);
    if (dayOf(start) !== dayOf(end - 1)) {
      this.fail(line, `the bucket ${new Date(start).toISOString()} – ${new Date(end).toISOString()} spans more than one UTC day: reconcile compares per UTC day`, 'fetch the report with bucket_width 1d, 1h or 1m (buckets the API snaps to UTC days)');
    }
    this.buckets++;
    const day = dayOf(start);
    // A bucket outside --since/--until is still checked (and tells which report the file is), not counted.
    const excluded = !inRange(day, this.range);
    const interval = { start, end, file: this.file, line };
    if (results.length === 0) {
      if (excluded) return;
      if (this.format) this.part(this.format).intervals.push(interval);
      else this.pending.push(interval);
      return;
    }
    for (const r of results) this.result(r, day, line, vendor, excluded);
    if (!excluded) this.part(this.format!).intervals.push(interval);
  }

  private result(r: unknown, day: string, line: number, vendor: Vendor, excluded: boolean): void {
    if (!isObj(r)) this.fail(line, `a bucket's results hold ${JSON.stringify(r)?.slice(0, 40)}, not a result object`);
    const format = resultFormat(r);
    if (format === undefined || REPORT_FORMATS[format].vendor !== vendor) {
      this.fail(line, otherResult(r) ?? `a result with fields ${Object.keys(r).slice(0, 6).join(', ')} is none of the reports reconcile reads`);
    }
    if (this.format !== undefined && format !== this.format) {
      this.fail(line, `the file holds both ${REPORT_FORMATS[this.format].name} and ${REPORT_FORMATS[format].name} pages: keep each report in its own file`);
    }
    if (this.format === undefined) {
      this.format = format;
      this.settlePending();
    }
    this.results++;
    const fail = (m: string): never => this.fail(line, m);
    const p = this.part(format);
    const read = READERS[format](r, fail);
    if (excluded) {
      p.excludedResults++;
      return;
    }
    if (read.nonToken !== undefined) {
      const n = p.nonToken.get(read.nonToken) ?? { usd: 0, results: 0 };
      n.usd += read.figures.usd ?? 0;
      n.results++;
      p.nonToken.set(read.nonToken, n);
      p.results++; // counted as a result that stated dollars, but not compared per model
      p.stated.set('usd', (p.stated.get('usd') ?? 0) + 1);
      return;
    }
    p.addResult(day, read.model, read.dims, read.figures);
  }
}

/** What the error says about a record that is no report page or bucket. */
function notAReport(v: unknown): string {
  // OpenAI's {"error": {...}} and Anthropic's {"type": "error", "error": {...}}. A refused key is
  // echoed masked ("sk-admin-*****abcd"); even that is not repeated.
  if (isObj(v) && isObj(v.error)) {
    const e = v.error;
    const said = [e.type, e.message].filter((x) => typeof x === 'string').join(': ');
    return `this is an API error response, not a report page: ${said.replace(/\bsk-[\w*-]+/g, 'sk-…')}`;
  }
  const kind = describeRecord(v);
  if (kind === 'payload') return 'this holds Opsmeter payloads, not a provider report: give payload files before --against, reports after it';
  if (kind === 'import-summary') return "this is an import summary (--summary-json), not a provider report: give it before --against";
  return `not a page or time bucket of a provider report (${isObj(v) ? `an object with ${Object.keys(v).slice(0, 6).join(', ') || 'no fields'}` : Array.isArray(v) ? 'an array' : JSON.stringify(v)?.slice(0, 40)})`;
}

function unixSeconds(v: unknown, field: string, fail: (m: string) => never): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return fail(`"${field}" must be Unix seconds, got ${JSON.stringify(v)}`);
  return v * 1000;
}

function rfc3339(v: unknown, field: string, fail: (m: string) => never): number {
  const ms = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(v) ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms)) return fail(`"${field}" must be an RFC 3339 date-time, got ${JSON.stringify(v)}`);
  return ms;
}

/** A non-negative whole number (`10.0` too: some exports write counts as floats). */
function count(r: Obj, field: string, fail: (m: string) => never): number {
  const v = r[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return fail(`"${field}" must be a token or request count (a whole number ≥ 0), got ${JSON.stringify(v)}`);
  return v;
}

const optionalCount = (r: Obj, field: string, fail: (m: string) => never) => (r[field] === undefined || r[field] === null ? undefined : count(r, field, fail));

function groupKey(r: Obj, field: string, fail: (m: string) => never): string | null {
  const v = r[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') return fail(`"${field}" must be a string or null, got ${JSON.stringify(v)}`);
  return v;
}

interface ReadResult {
  model: string | null;
  dims: Partial<Record<Dimension, string | null>>;
  figures: Figures;
  /** Set for a cost that is no model's tokens: its label. */
  nonToken?: string;
}

/**
 * `line_item` of OpenAI's Costs API grouped by line item: "<model>, <part>" (input, output,
 * cached input…), sometimes behind a product ("evals | gpt-4o-mini-2024-07-18, input"); a
 * line item without ", <part>" is no model's tokens ("assistants api | file search").
 */
export function lineItemModel(item: string): string | undefined {
  const m = /^(?:.+? \| )?(.+), [^,|]+$/.exec(item);
  return m ? m[1]!.trim() : undefined;
}

const READERS: Record<ReportFormat, (r: Obj, fail: (m: string) => never) => ReadResult> = {
  'openai-usage'(r, fail) {
    const figures: Figures = {
      requests: count(r, 'num_model_requests', fail),
      // input_tokens includes cached and cache-write tokens: opsmeter's meaning already.
      input: count(r, 'input_tokens', fail),
      output: count(r, 'output_tokens', fail),
    };
    const cached = optionalCount(r, 'input_cached_tokens', fail);
    if (cached !== undefined) figures.cachedInput = cached;
    const writes = optionalCount(r, 'input_cache_write_tokens', fail);
    if (writes !== undefined) figures.cacheWrite = writes;
    return { model: groupKey(r, 'model', fail), dims: { project: groupKey(r, 'project_id', fail), apiKey: groupKey(r, 'api_key_id', fail) }, figures };
  },
  'openai-costs'(r, fail) {
    const amount = r.amount;
    if (!isObj(amount)) return fail('"amount" must be an object {value, currency}');
    const value = typeof amount.value === 'string' && /^-?\d+(\.\d+)?$/.test(amount.value) ? Number(amount.value) : amount.value;
    if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`"amount.value" must be a number, got ${JSON.stringify(amount.value)}`);
    currency(amount.currency, fail);
    const dims = { project: groupKey(r, 'project_id', fail), apiKey: groupKey(r, 'api_key_id', fail) };
    const item = groupKey(r, 'line_item', fail);
    if (item === null) return { model: null, dims, figures: { usd: value } };
    const model = lineItemModel(item);
    return model === undefined ? { model: null, dims, figures: { usd: value }, nonToken: item } : { model, dims, figures: { usd: value } };
  },
  'anthropic-usage'(r, fail) {
    const uncached = count(r, 'uncached_input_tokens', fail);
    const reads = count(r, 'cache_read_input_tokens', fail);
    // cache_creation splits the writes by cache lifetime; an absent one wrote nothing.
    const creation = r.cache_creation;
    if (creation !== undefined && creation !== null && !isObj(creation)) return fail('"cache_creation" must be an object');
    const writes = isObj(creation) ? (optionalCount(creation, 'ephemeral_5m_input_tokens', fail) ?? 0) + (optionalCount(creation, 'ephemeral_1h_input_tokens', fail) ?? 0) : 0;
    return {
      model: groupKey(r, 'model', fail),
      dims: { apiKey: groupKey(r, 'api_key_id', fail), workspace: groupKey(r, 'workspace_id', fail) },
      // uncached_input_tokens excludes cache reads and writes; opsmeter's input includes both.
      figures: { input: uncached + reads + writes, cachedInput: reads, cacheWrite: writes, output: count(r, 'output_tokens', fail) },
    };
  },
  'anthropic-cost'(r, fail) {
    const amount = r.amount;
    if (typeof amount !== 'string' || !/^-?\d+(\.\d+)?$/.test(amount)) return fail(`"amount" must be a decimal string (cents), got ${JSON.stringify(amount)}`);
    currency(r.currency, fail);
    // The amount is in the currency's lowest unit: "123.45" USD is $1.23.
    const usd = Number(amount) / 100;
    const dims = { workspace: groupKey(r, 'workspace_id', fail) };
    const costType = groupKey(r, 'cost_type', fail);
    if (costType !== null && costType !== 'tokens') return { model: null, dims, figures: { usd }, nonToken: groupKey(r, 'description', fail) ?? costType };
    return { model: groupKey(r, 'model', fail), dims, figures: { usd } };
  },
};

function currency(v: unknown, fail: (m: string) => never): void {
  if (typeof v !== 'string' || v.toLowerCase() !== 'usd') fail(`the amount is in ${JSON.stringify(v)}: reconcile compares US dollars (the import's estimates)`);
}
