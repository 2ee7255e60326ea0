/**
 * Reading values out of source records, the same way for CSV cells (always strings) and
 * JSON values (typed): counts, strings, booleans, JSON embedded in a cell, dotted paths.
 * A value that is present but unusable throws BadValue; `guarded` turns that into the
 * record's reject outcome, so an adapter body reads straight through.
 */
import type { AdapterContext, RecordOutcome, SourceRecord } from '../types.js';
import { attributeValue } from './otlp.js';

export class BadValue extends Error {}

const INTEGRAL = /^\s*\d+(?:\.0*)?\s*$/;

/** Blank, null and NULL spellings mean "absent" — never 0. */
function absent(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && (v.trim() === '' || v === 'NULL' || v === 'null' || v === '\\N'));
}

/** A token count / duration: a non-negative whole number (`10.0` accepted), or undefined when absent. */
export function count(v: unknown, name: string): number | undefined {
  if (absent(v)) return undefined;
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return v;
    throw new BadValue(`${name} is ${v}, not a non-negative whole number`);
  }
  if (typeof v === 'string' && INTEGRAL.test(v)) {
    const n = Math.trunc(Number(v));
    if (Number.isSafeInteger(n)) return n;
  }
  throw new BadValue(`${name} is ${JSON.stringify(v)}, not a non-negative whole number`);
}

/** A non-empty string (numbers are stringified), or undefined. */
export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** A finite number (e.g. a cost), or undefined; not a count, so fractions are fine. */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** true/false in the spellings exports use (true, TRUE, True, t, 1 …), or undefined. */
export function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === 't' || s === '1' || s === 'yes') return true;
  if (s === 'false' || s === 'f' || s === '0' || s === 'no') return false;
  return undefined;
}

/** A JSON object/array in a CSV cell (or already parsed, from JSON input); undefined when absent. */
export function jsonCell(v: unknown, name: string): unknown {
  if (absent(v)) return undefined;
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (t[0] !== '{' && t[0] !== '[') throw new BadValue(`${name} cell is not JSON`);
  try {
    return JSON.parse(t);
  } catch (e) {
    throw new BadValue(`${name} cell is not valid JSON: ${(e as Error).message}`);
  }
}

export function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A path segment: a member name, an array index, or `[key=NAME]` (the value of the `{key, value}` pair named NAME). */
export type PathSegment = string | number | { key: string };

/**
 * `usage.prompt_tokens`, `$.usage.prompt_tokens`, `choices[0].finish_reason`,
 * `attributes[key=gen_ai.usage.input_tokens]` → path segments. A key may hold dots.
 */
export function parsePath(path: string): PathSegment[] {
  const p = path.replace(/^\$\.?/, '');
  const out: PathSegment[] = [];
  for (const m of p.matchAll(/\[key=([^\]]+)\]|([^.[\]]+)|\[(\d+)\]/g)) out.push(m[1] !== undefined ? { key: m[1] } : m[3] !== undefined ? Number(m[3]) : m[2]!);
  return out;
}

/**
 * The value at `path`. `[key=NAME]` looks NAME up in a list of `{key, value}` pairs (OTLP
 * attributes: docs/import-formats.md `csv` / `jsonl`), an OTLP AnyValue (`{intValue: "12"}`)
 * unwrapped to what it holds.
 */
export function walk(v: unknown, path: readonly PathSegment[]): unknown {
  let cur = v;
  for (const seg of path) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = typeof seg === 'object' ? attributeValue(cur, seg.key) : (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** Wrap an adapter body: BadValue → reject; a record that is not an object → reject. */
export function guarded(
  convert: (v: Record<string, unknown>, record: SourceRecord, ctx: AdapterContext) => RecordOutcome,
): (record: SourceRecord, ctx: AdapterContext) => RecordOutcome {
  return (record, ctx) => {
    const v = obj(record.value);
    if (!v) return { kind: 'reject', reason: `expected a JSON object, got ${Array.isArray(record.value) ? 'an array' : typeof record.value}` };
    try {
      return convert(v, record, ctx);
    } catch (e) {
      if (e instanceof BadValue) return { kind: 'reject', reason: e.message };
      throw e;
    }
  };
}

/** Columns a CSV header must have; the message names what is missing. */
export function missingColumns(columns: readonly string[], required: readonly string[], what: string): string | undefined {
  const have = new Set(columns);
  const missing = required.filter((c) => !have.has(c));
  return missing.length ? `not ${what}: the header lacks ${missing.join(', ')}` : undefined;
}
