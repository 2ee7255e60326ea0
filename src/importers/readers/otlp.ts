/**
 * OTLP JSON traces (docs/import-formats.md `otel`): the protobuf JSON mapping the OpenTelemetry
 * Collector's file exporter writes (one `ExportTraceServiceRequest` — `{"resourceSpans": …}` —
 * per line) and OTLP/HTTP exporters send (one document). Shared by the otel adapter and the
 * generic mapper's `[key=NAME]` lookups.
 *
 * A document holds resources, each with instrumentation scopes, each with spans: one span is
 * one record of the import, carrying its resource and scope with it (SpanInContext), so the
 * span's outcome depends on nothing else (the adapter is independent).
 *
 * Value encodings as writers produce them: `intValue` is a decimal string (the JSON mapping of
 * int64) or a number (some writers); nanosecond timestamps likewise; span kind and status code
 * are numbers or enum names (`SPAN_KIND_CLIENT`, `STATUS_CODE_ERROR`, as Python's json_format
 * writes them). Older exports name scopes `instrumentationLibrarySpans`/`instrumentationLibrary`.
 */
import { isObject, type Json } from './source-fields.js';

/** One span with the resource and scope it was exported under (the record the otel adapter converts). */
export class SpanInContext {
  constructor(
    readonly resource: Json | undefined,
    readonly scope: Json | undefined,
    readonly span: Json,
  ) {}
}

/**
 * The spans of an OTLP traces document (`{resourceSpans: […]}`) or of one of its ResourceSpans,
 * each with its JSON pointer; undefined when the value is neither. A container with no spans
 * gives none.
 */
export function spanParts(value: unknown): { value: SpanInContext; pointer: string }[] | undefined {
  if (!isObject(value)) return undefined;
  if (Array.isArray(value.resourceSpans)) {
    const out: { value: SpanInContext; pointer: string }[] = [];
    value.resourceSpans.forEach((rs, i) => {
      if (isObject(rs)) addResourceSpans(rs, `/resourceSpans/${i}`, out);
    });
    return out;
  }
  if (scopeList(value) !== undefined && !('traceId' in value)) {
    const out: { value: SpanInContext; pointer: string }[] = [];
    addResourceSpans(value, '', out);
    return out;
  }
  return undefined;
}

function scopeList(rs: Json): { key: string; list: unknown[] } | undefined {
  if (Array.isArray(rs.scopeSpans)) return { key: 'scopeSpans', list: rs.scopeSpans };
  if (Array.isArray(rs.instrumentationLibrarySpans)) return { key: 'instrumentationLibrarySpans', list: rs.instrumentationLibrarySpans };
  return undefined;
}

function addResourceSpans(rs: Json, at: string, out: { value: SpanInContext; pointer: string }[]): void {
  const resource = isObject(rs.resource) ? rs.resource : undefined;
  const scopes = scopeList(rs);
  if (!scopes) return;
  scopes.list.forEach((ss, j) => {
    if (!isObject(ss) || !Array.isArray(ss.spans)) return;
    const scope = isObject(ss.scope) ? ss.scope : isObject(ss.instrumentationLibrary) ? ss.instrumentationLibrary : undefined;
    ss.spans.forEach((span, k) => {
      // A span that is not an object is still a record of its own: the adapter rejects it.
      out.push({ value: new SpanInContext(resource, scope, isObject(span) ? span : { notASpan: span }), pointer: `${at}/${scopes.key}/${j}/spans/${k}` });
    });
  });
}

/** Is this a span as OTLP JSON writes it (outside a document, e.g. one per line)? */
export function isOtlpSpan(v: unknown): v is Json {
  return isObject(v) && typeof v.spanId === 'string' && typeof v.traceId === 'string' && (Array.isArray(v.attributes) || v.attributes === undefined) && 'name' in v;
}

/** The value an OTLP `AnyValue` holds (`{stringValue}`, `{intValue}`, …), arrays and key/value lists decoded. */
export function anyValue(v: unknown): unknown {
  if (!isObject(v)) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return v.intValue;
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('bytesValue' in v) return v.bytesValue;
  if (isObject(v.arrayValue)) return Array.isArray(v.arrayValue.values) ? v.arrayValue.values.map(anyValue) : [];
  if (isObject(v.kvlistValue)) {
    const o: Record<string, unknown> = {};
    if (Array.isArray(v.kvlistValue.values)) for (const kv of v.kvlistValue.values) if (isObject(kv) && typeof kv.key === 'string') o[kv.key] = anyValue(kv.value);
    return o;
  }
  return undefined;
}

/** An attributes list (`[{key, value: AnyValue}]`) as a map of decoded values; the last of a repeated key wins, as in the SDKs. */
export function attributeMap(list: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!Array.isArray(list)) return out;
  for (const kv of list) if (isObject(kv) && typeof kv.key === 'string') out.set(kv.key, anyValue(kv.value));
  return out;
}

/** The decoded value of attribute `key` in a `[{key, value}]` list (the generic mapper's `[key=NAME]`). */
export function attributeValue(list: unknown, key: string): unknown {
  if (!Array.isArray(list)) return undefined;
  let found: unknown;
  for (const kv of list) if (isObject(kv) && kv.key === key) found = isObject(kv.value) && isAnyValue(kv.value) ? anyValue(kv.value) : kv.value;
  return found;
}

const ANY_VALUE_KEYS = new Set(['stringValue', 'intValue', 'doubleValue', 'boolValue', 'bytesValue', 'arrayValue', 'kvlistValue']);

function isAnyValue(v: Json): boolean {
  const keys = Object.keys(v);
  return keys.length === 1 && ANY_VALUE_KEYS.has(keys[0]!);
}

/** A nanosecond timestamp (decimal string or number) as epoch milliseconds; undefined when absent, 0 or not a timestamp. */
export function nanosToMillis(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? Math.floor(v / 1e6) : undefined;
  if (typeof v !== 'string' || !/^\d{1,25}$/.test(v) || /^0+$/.test(v)) return undefined;
  // Nanoseconds since 1970 need 19 digits: more than a double holds exactly, so cut the string.
  return v.length > 6 ? Number(v.slice(0, -6)) : 0;
}

/** A span's duration in milliseconds (rounded) from its start and end nanoseconds; undefined unless both are timestamps and end ≥ start. */
export function durationMillis(start: unknown, end: unknown): number | undefined {
  if (nanosToMillis(start) === undefined || nanosToMillis(end) === undefined) return undefined;
  // Whole nanoseconds as the strings state them: the difference is exact, then rounded once.
  const ns = typeof start === 'string' && typeof end === 'string' ? Number(BigInt(end) - BigInt(start)) : Number(end) - Number(start);
  return ns >= 0 ? Math.round(ns / 1e6) : undefined;
}

/** The status code as a number (0 unset, 1 ok, 2 error), from a number or an enum name. */
export function statusCode(status: unknown): number {
  if (!isObject(status)) return 0;
  const c = status.code;
  if (typeof c === 'number') return c;
  if (c === 'STATUS_CODE_ERROR') return 2;
  if (c === 'STATUS_CODE_OK') return 1;
  return 0;
}
