/**
 * The generic formats: any CSV (`--from csv`) or JSONL (`--from jsonl`) whose columns or
 * JSON paths the user names with `--map payloadField=source` (repeatable).
 *
 * `source` is a CSV column, a JSON path (`usage.prompt_tokens`, `$.usage.prompt_tokens`,
 * `choices[0].finish_reason`; in CSV the first segment is a column holding JSON), or a
 * literal in single quotes (`provider='openai'`). `[key=NAME]` looks an attribute up in a list
 * of `{key, value}` pairs, as OTLP writes them (`attributes[key=gen_ai.usage.input_tokens]`).
 */
import { EXIT, OpsmeterError } from '../../errors.js';
import { BadValue, count, guarded, jsonCell, parsePath, str, walk, type PathSegment } from '../readers/cells.js';
import { stateless, type Adapter, type AdapterContext, type Draft } from '../types.js';

/** Draft fields --map can fill. */
const MAPPABLE = [
  'externalRequestId',
  'provider',
  'model',
  'inputTokens',
  'outputTokens',
  'totalTokens',
  'cachedInputTokens',
  'cacheWriteTokens',
  'reasoningTokens',
  'latencyMs',
  'status',
  'errorCode',
  'createdAt',
  'userId',
  'tenantId',
  'endpointTag',
  'promptVersion',
  'environment',
  'dataMode',
] as const;
export type Mappable = (typeof MAPPABLE)[number];
const REQUIRED_MAPPINGS: readonly Mappable[] = ['provider', 'model', 'inputTokens', 'outputTokens'];
const COUNTS = new Set<Mappable>(['inputTokens', 'outputTokens', 'totalTokens', 'cachedInputTokens', 'cacheWriteTokens', 'reasoningTokens', 'latencyMs']);

/** A --map entry that cannot be used (exit 2). */
export class MapError extends OpsmeterError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** Parse `--map` entries; throws MapError naming the problem. */
export function parseMap(entries: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq <= 0 || eq === e.length - 1) throw new MapError(`--map ${JSON.stringify(e)}: expected payloadField=sourceColumnOrJsonPath`);
    const field = e.slice(0, eq).trim();
    if (!(MAPPABLE as readonly string[]).includes(field)) {
      throw new MapError(`--map ${JSON.stringify(e)}: "${field}" is not a payload field --map can fill (one of ${MAPPABLE.join(', ')})`);
    }
    if (field in map) throw new MapError(`--map ${field} is given twice`);
    map[field] = e.slice(eq + 1).trim();
  }
  return map;
}

export function missingMappings(map: Record<string, string>): Mappable[] {
  return REQUIRED_MAPPINGS.filter((f) => !(f in map));
}

type Getter = (v: Record<string, unknown>) => unknown;

function isLiteral(source: string): boolean {
  return source.length >= 2 && source.startsWith("'") && source.endsWith("'");
}

/** For CSV: the column a source names (exact, else the longest column that prefixes a path). */
function csvColumn(columns: readonly string[], source: string): { column: string; path: PathSegment[] } | undefined {
  if (columns.includes(source)) return { column: source, path: [] };
  source = source.replace(/^\$\.?/, '');
  if (columns.includes(source)) return { column: source, path: [] };
  let best: string | undefined;
  for (const c of columns) {
    if ((source.startsWith(c + '.') || source.startsWith(c + '[')) && (!best || c.length > best.length)) best = c;
  }
  return best === undefined ? undefined : { column: best, path: parsePath(source.slice(best.length)) };
}

function getter(source: string, csv: boolean): Getter {
  if (isLiteral(source)) {
    const lit = source.slice(1, -1);
    return () => lit;
  }
  if (csv) {
    // Resolved per record from the row's keys (the header), since getters are built before it is known.
    let resolved: { column: string; path: PathSegment[] } | undefined | null = null;
    return (v) => {
      if (resolved === null) resolved = csvColumn(Object.keys(v), source);
      if (!resolved) return undefined;
      const cell = v[resolved.column];
      return resolved.path.length === 0 ? cell : walk(jsonCell(cell, resolved.column), resolved.path);
    };
  }
  const path = parsePath(source);
  return (v) => walk(v, path);
}

const SUCCESS = new Set(['success', 'succeeded', 'ok', 'completed', 'true']);
const ERROR = new Set(['error', 'failure', 'failed', 'false', 'cancelled', 'canceled']);

function create(csv: boolean) {
  return (ctx: AdapterContext) => {
    const getters = new Map<Mappable, Getter>();
    for (const [field, source] of Object.entries(ctx.map)) getters.set(field as Mappable, getter(source, csv));
    const get = (f: Mappable, v: Record<string, unknown>) => getters.get(f)?.(v);
    const label = (f: Mappable) => `${f} (${ctx.map[f]})`;
    return stateless(
      guarded((v, record) => {
        const provider = str(get('provider', v));
        const model = str(get('model', v));
        if (!provider) return { kind: 'reject', reason: `no provider: ${label('provider')} is empty` };
        if (!model) return { kind: 'reject', reason: `no model: ${label('model')} is empty` };
        const id = str(get('externalRequestId', v));
        const draft: Draft = {
          // Without an id mapping, the row's own content is the id: re-runs stay idempotent.
          sourceId: id ?? 'row:' + (record.raw ?? JSON.stringify(record.value)),
          provider,
          model,
          status: 'success',
        };
        const counts: Partial<Record<Mappable, number>> = {};
        for (const f of COUNTS) {
          if (!getters.has(f)) continue;
          const n = count(get(f, v), label(f));
          if (n !== undefined) counts[f] = n;
        }
        const errorCode = str(get('errorCode', v));
        const rawStatus = get('status', v);
        if (getters.has('status') && rawStatus !== undefined && rawStatus !== null && rawStatus !== '') {
          const s = String(rawStatus).trim().toLowerCase();
          if (/^\d{3}$/.test(s)) draft.status = s.startsWith('2') ? 'success' : 'error';
          else if (SUCCESS.has(s)) draft.status = 'success';
          else if (ERROR.has(s)) draft.status = 'error';
          else throw new BadValue(`${label('status')} is ${JSON.stringify(rawStatus)}: expected success/error, an HTTP status code, or true/false`);
          if (draft.status === 'error') draft.errorCode = errorCode ?? s;
        } else if (errorCode) {
          draft.status = 'error';
          draft.errorCode = errorCode;
        }
        Object.assign(draft, counts);
        if (counts.inputTokens === undefined || counts.outputTokens === undefined) {
          draft.partialReason = draft.status === 'error' ? 'request_failed' : 'usage_missing';
        }
        const createdAt = get('createdAt', v);
        if (typeof createdAt === 'number' || (typeof createdAt === 'string' && createdAt !== '')) draft.createdAt = createdAt;
        for (const f of ['userId', 'tenantId', 'endpointTag', 'promptVersion'] as const) {
          const s = str(get(f, v));
          if (s) draft[f] = s;
        }
        for (const f of ['environment', 'dataMode'] as const) {
          const s = str(get(f, v));
          if (s) draft[f] = s.trim().toLowerCase();
        }
        return { kind: 'payload', draft };
      }),
    )(ctx);
  };
}

/** CSV header check: every mapped column must exist. */
function checkHeader(columns: readonly string[], ctx: AdapterContext): string | undefined {
  const missing = Object.entries(ctx.map).filter(([, s]) => !isLiteral(s) && !csvColumn(columns, s));
  if (missing.length === 0) return undefined;
  return `--map names columns the header does not have: ${missing.map(([f, s]) => `${f}=${s}`).join(', ')} (header: ${columns.join(', ')})`;
}

export function genericAdapter(id: 'csv' | 'jsonl'): Adapter {
  const csv = id === 'csv';
  return {
    id,
    description: csv
      ? 'any CSV with one row per request, columns named with --map payloadField=column'
      : 'any JSONL with one object per request, fields named with --map payloadField=json.path',
    input: csv ? 'csv' : 'json',
    independent: true,
    fileFilter: csv ? /\.csv(\.gz)?$/i : /\.(jsonl|ndjson|json)(\.gz)?$/i,
    create: create(csv),
    checkHeader: csv ? checkHeader : undefined,
  };
}
