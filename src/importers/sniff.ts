/**
 * Recognising inputs from their first bytes: `--from auto` (which adapter fits the first
 * record), and aggregate-only exports, which are refused whatever --from says — one of
 * their rows stands for many requests, so turning it into payloads would invent requests.
 */
import { parseCsvRecord } from '../read/csv.js';
import { containerOpening } from '../read/records.js';
import { modeFromText, type InputMode } from './source.js';
import type { Adapter, SourceRecord } from './types.js';

export interface AggregateKind {
  id: string;
  /** What the file is. */
  name: string;
  /** What to export instead. */
  instead: string;
}

interface AggregateRule extends AggregateKind {
  /** Every one of these columns must be present. */
  all: readonly string[];
  /** …and none of these (columns of per-request exports that could share the others). */
  none?: readonly string[];
}

const WHY = 'each row is a time bucket summing many requests, with no per-request id, status or timestamp, so payloads made from it would invent requests';

/** What to export instead of a provider's aggregate exports. */
const OPENAI_PER_REQUEST = 'per-request data: Batch API output files (--from openai-batch) or your logged Chat Completion / Response objects (--from openai-log)';
const ANTHROPIC_PER_REQUEST = 'per-request data: Message Batches results (--from anthropic-batch), Claude Code transcripts (--from claude-code) or a gateway request log (--from litellm)';

/** Headers of the aggregate exports docs/import.md "Aggregate exports are refused" lists. */
const AGGREGATE_RULES: readonly AggregateRule[] = [
  {
    id: 'openai-usage-csv',
    name: 'an OpenAI usage export (dashboard CSV / Usage API)',
    all: ['start_time', 'end_time', 'num_model_requests', 'input_tokens', 'output_tokens'],
    instead: OPENAI_PER_REQUEST,
  },
  {
    id: 'openai-costs-csv',
    name: 'an OpenAI costs export (dashboard CSV / Costs API)',
    all: ['start_time', 'end_time', 'amount_value', 'amount_currency', 'line_item'],
    instead: OPENAI_PER_REQUEST,
  },
  {
    id: 'openai-legacy-usage',
    name: 'a legacy OpenAI usage export',
    all: ['n_context_tokens_total', 'n_generated_tokens_total'],
    instead: OPENAI_PER_REQUEST,
  },
  {
    id: 'anthropic-console-usage',
    name: 'an Anthropic Console usage export',
    all: ['usage_date_utc', 'usage_input_tokens_no_cache', 'usage_output_tokens'],
    instead: ANTHROPIC_PER_REQUEST,
  },
  {
    id: 'anthropic-console-cost',
    name: 'an Anthropic Console cost export',
    all: ['usage_date_utc', 'cost_usd'],
    instead: ANTHROPIC_PER_REQUEST,
  },
  {
    id: 'openrouter-grouped',
    name: 'an OpenRouter grouped activity export',
    all: ['date', 'model_permaslug', 'requests'],
    none: ['generation_id'],
    instead: 'the per-generation activity CSV (one row per generation_id): Activity → Export → generations, then --from openrouter',
  },
  {
    id: 'litellm-daily-spend',
    name: 'a LiteLLM daily spend table (LiteLLM_Daily*Spend)',
    all: ['date', 'api_requests', 'prompt_tokens', 'completion_tokens'],
    none: ['request_id'],
    instead: 'the per-request spend log: \\copy (SELECT * FROM "LiteLLM_SpendLogs") TO \'spend.csv\' csv header, or GET /spend/logs, then --from litellm',
  },
];

export function aggregateByColumns(columns: readonly string[]): AggregateKind | undefined {
  const set = new Set(columns.map((c) => c.trim()));
  for (const r of AGGREGATE_RULES) {
    if (r.all.every((c) => set.has(c)) && !(r.none ?? []).some((c) => set.has(c))) return r;
  }
  return undefined;
}

/** JSON shapes of the same aggregates (Usage/Cost API pages, or their result objects). */
export function aggregateByRecord(value: unknown): AggregateKind | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const data = Array.isArray(v.data) ? (v.data[0] as Record<string, unknown> | undefined) : undefined;
  if (v.object === 'page' && data?.object === 'bucket') return AGGREGATE_RULES[0];
  if (v.object === 'bucket' && Array.isArray(v.results)) return AGGREGATE_RULES[0];
  if (typeof v.object === 'string' && v.object.startsWith('organization.usage.')) return AGGREGATE_RULES[0];
  if (typeof v.object === 'string' && v.object.startsWith('organization.costs.')) return AGGREGATE_RULES[1];
  if (data && typeof data.starting_at === 'string' && Array.isArray(data.results)) return AGGREGATE_RULES[3];
  return aggregateByColumns(Object.keys(v));
}

export function aggregateMessage(file: string, kind: AggregateKind): string {
  return `${file} is ${kind.name}: ${WHY}. Export ${kind.instead}`;
}

export interface Peeked {
  mode: InputMode;
  /** CSV header. */
  columns?: string[];
  /** The first record (CSV: header → cell map of the first data row), when the head holds one. */
  first?: SourceRecord;
  /** The first records the head holds whole (up to PEEK_RECORDS; CSV: the first row only). */
  records: SourceRecord[];
}

/** How many records `--from auto` looks at: streams open with records of no telling shape. */
const PEEK_RECORDS = 20;

/** The header and first record from the first bytes of a source. */
export function peekRecords(head: string, file: string, mode: InputMode = modeFromText(head)): Peeked {
  const text = head.replace(/^\uFEFF/, '');
  if (mode === 'csv') {
    const records = firstCsvRecords(text, 2);
    const columns = records[0]?.cells;
    const row = records[1];
    if (!columns) return { mode, records: [] };
    if (!row) return { mode, columns, records: [] };
    const value: Record<string, string> = {};
    for (const [i, c] of columns.entries()) value[c] = row.cells[i] ?? '';
    const first = { value, file, line: row.line };
    return { mode, columns, first, records: [first] };
  }
  const records = firstJsonValues(text).map((v) => ({ value: v.value, file, line: v.line }));
  return { mode, first: records[0], records };
}

/** The first JSON value, then (JSONL) the whole lines after it, up to PEEK_RECORDS. */
function firstJsonValues(text: string): { value: unknown; line: number }[] {
  const first = firstJsonValue(text);
  if (!first) return [];
  const out = [first];
  const t = text.trimStart();
  if (t.startsWith('[')) {
    try {
      const all = JSON.parse(t) as unknown[];
      for (let i = 1; i < all.length && out.length < PEEK_RECORDS; i++) out.push({ value: all[i], line: first.line });
    } catch {
      // a cut array: its first element is enough
    }
    return out;
  }
  const lines = text.split('\n');
  // The last element may be cut off by the peek limit; only whole lines are used.
  for (let i = first.line; i < lines.length - 1 && out.length < PEEK_RECORDS; i++) {
    const l = lines[i]!.trim();
    if (l === '') continue;
    try {
      out.push({ value: JSON.parse(l), line: i + 1 });
    } catch {
      break; // not JSONL (one object over several lines): the first value is all there is
    }
  }
  return out;
}

function firstCsvRecords(text: string, count: number): { cells: string[]; line: number }[] {
  const out: { cells: string[]; line: number }[] = [];
  // Line ends as the line reader sees them (src/read/lines.ts): LF, CRLF or a lone CR.
  const lines = text.split(/\r\n?|\n/);
  let i = 0;
  while (out.length < count && i < lines.length - 1) {
    // The last element may be cut off by the peek limit; only whole lines are used.
    const start = i;
    let rec = lines[i]!;
    i++;
    if (rec === '') continue;
    while ((rec.split('"').length - 1) % 2 === 1 && i < lines.length - 1) rec += '\n' + lines[i++]!;
    const cells = parseCsvRecord(rec);
    if (typeof cells === 'string') return out;
    out.push({ cells, line: start + 1 });
  }
  return out;
}

function firstJsonValue(text: string): { value: unknown; line: number } | undefined {
  const lead = text.length - text.trimStart().length;
  const t = text.slice(lead);
  const lineAt = (offset: number) => text.slice(0, offset).split(/\r\n?|\n/).length;
  if (t.startsWith('[')) {
    try {
      const all = JSON.parse(t) as unknown[];
      return all.length > 0 ? { value: all[0], line: lineAt(lead + 1) } : undefined;
    } catch {
      // The head cut the array short: take its first element on its own.
      const start = t.slice(1).search(/\S/) + 1;
      const end = valueEnd(t, start);
      if (start <= 0 || end === undefined) return undefined;
      try {
        return { value: JSON.parse(t.slice(start, end)), line: lineAt(lead + start) };
      } catch {
        return undefined;
      }
    }
  }
  const nl = t.search(/[\r\n]/);
  try {
    return { value: JSON.parse(nl === -1 ? t : t.slice(0, nl)), line: lineAt(lead) };
  } catch {
    try {
      return { value: JSON.parse(t), line: lineAt(lead) }; // one object over several lines
    } catch {
      const cut = cutContainerHead(t);
      return cut ? { value: cut, line: lineAt(lead) } : undefined;
    }
  }
}

/**
 * Objects that hold their records in an array member and may be larger than the head: a
 * CloudWatch Logs Insights export (`results`), an OTLP traces document (`resourceSpans`, whose
 * opening alone says what it is: one resource can hold more spans than the head), a Gemini CLI
 * session of the JSON layout (`messages`). Each opening is matched as the reader streams it.
 */
const CONTAINERS: readonly { member: string; opening: RegExp; openingTells: boolean }[] = [
  { member: 'results', opening: containerOpening('results'), openingTells: false },
  { member: 'resourceSpans', opening: containerOpening('resourceSpans'), openingTells: true },
  { member: 'messages', opening: containerOpening('messages'), openingTells: false },
];

/**
 * The whole elements at the start of an object the head cut short, when the object opens with
 * one of CONTAINERS' arrays: `{<member>: elements}`, what the sniff needs of it. Undefined for
 * anything else.
 */
function cutContainerHead(t: string): Record<string, unknown[]> | undefined {
  for (const c of CONTAINERS) {
    const m = c.opening.exec(t);
    if (!m) continue;
    const rows: unknown[] = [];
    let at = m[0].length;
    while (rows.length < PEEK_RECORDS) {
      const start = at + t.slice(at).search(/\S/);
      if (start < at || (t[start] !== '[' && t[start] !== '{')) break;
      const end = valueEnd(t, start);
      if (end === undefined) break;
      try {
        rows.push(JSON.parse(t.slice(start, end)));
      } catch {
        break;
      }
      const next = t.slice(end).search(/\S/);
      if (next === -1 || t[end + next] !== ',') break;
      at = end + next + 1;
    }
    return rows.length > 0 || c.openingTells ? { [c.member]: rows } : undefined;
  }
  return undefined;
}

/** End offset of the object/array starting at `start` (string-aware), if it is complete. */
function valueEnd(t: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = start; i < t.length; i++) {
    const c = t[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

/**
 * Inputs that are recognisable but hold no results: named, so `--from auto` can say what
 * to import instead of "matches none of the known formats".
 */
export function notImportable(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const has = (k: string) => k in v;
  if (typeof v.custom_id === 'string' && has('method') && has('url') && has('body') && !has('response')) {
    return 'an OpenAI Batch input file (custom_id/method/url/body: the requests, no results): import the batch output and error files (--from openai-batch)';
  }
  if (typeof v.custom_id === 'string' && has('params') && !has('result')) {
    return 'an Anthropic Message Batches request file (custom_id/params: no results): import the batch results (--from anthropic-batch)';
  }
  if (typeof v.key === 'string' && has('request') && !has('response') && !has('error')) {
    return 'a Gemini API batch input file (key/request: no results): import the batch output file (--from gemini)';
  }
  if (typeof v.recordId === 'string' && has('modelInput') && !has('modelOutput') && !has('error')) {
    return 'a Bedrock batch inference input file (recordId/modelInput: no results): import the job\'s .jsonl.out output';
  }
  if (typeof v.totalRecordCount === 'number' && has('processedRecordCount') && !has('recordId')) {
    return 'a Bedrock batch inference job manifest (manifest.json.out: job totals, no requests): import the job\'s .jsonl.out output files (--from bedrock)';
  }
  if (Array.isArray(v.results) && has('statistics') && has('status')) {
    return 'a CloudWatch Logs Insights query result ({statistics, status, results}) whose first rows hold no Bedrock invocation record in @message: opsmeter reads Logs Insights exports of Bedrock invocation logs (--from bedrock; query `fields @message`)';
  }
  return undefined;
}

/** Adapters whose sniff() accepts the first record. Generic adapters have no sniff. */
export function sniffCandidates(first: SourceRecord, mode: InputMode, adapters: readonly Adapter[]): Adapter[] {
  return adapters.filter((a) => {
    if (!a.sniff) return false;
    if (a.input !== 'json-or-csv' && a.input !== mode) return false;
    try {
      return a.sniff(first);
    } catch {
      return false;
    }
  });
}
