/**
 * Small readers shared by the JSON adapters. They throw a RecordError naming the exact
 * source path when a value has the wrong shape; `guarded` turns that (and anything
 * unexpected) into a reject, so an adapter's push() never throws.
 *
 * Reject reasons never quote the offending value: they are grouped in the summary (so they
 * must be stable strings) and the value could be prompt text.
 */
import type { PartialReason } from '../../contract/fields.js';
import type { Draft, RecordOutcome, Result, SourceRecord } from '../types.js';

export type Json = Record<string, unknown>;

class RecordError extends Error {}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The kind of a value, for messages: never the value itself. */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'not a finite number';
    if (v < 0) return 'a negative number';
    if (!Number.isInteger(v)) return 'a fraction';
    return Number.isSafeInteger(v) ? 'a number' : 'too large to be exact';
  }
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return 'a boolean';
  return 'an object';
}

/** A short label from the source (an enum-like string) for a message, capped. */
export function label(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s);
}

/**
 * Model of a failed or never-run request whose record names none (batch error lines carry
 * no model at all). The pipeline counts it as an unknown model; the row is partial anyway.
 */
export const UNKNOWN_MODEL = 'unknown';

/** A token count: undefined when absent or null (unknown), else a non-negative safe integer. */
export function count(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw new RecordError(`${path} is ${kindOf(v)}, not a token count`);
}

/** A non-empty string, or undefined for anything else. */
export function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** An object at `path`, or undefined when absent/null; anything else is a shape error. */
export function optionalObject(v: unknown, path: string): Json | undefined {
  if (v === undefined || v === null) return undefined;
  if (isObject(v)) return v;
  throw new RecordError(`${path} is ${kindOf(v)}, not an object`);
}

/** Unix epoch seconds at `path` (undefined when absent/null). */
export function epochSeconds(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  throw new RecordError(`${path} is ${kindOf(v)}, not a unix timestamp`);
}

/** An ISO timestamp string at `path` (undefined when absent/null); the pipeline parses it. */
export function timestamp(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' && v.trim() !== '') return v;
  throw new RecordError(`${path} is ${kindOf(v)}, not a timestamp`);
}

/** Copy without the keys whose value is undefined (keeps drafts and metadata minimal). */
export function compact<T extends object>(o: T): T {
  const out = {} as T;
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

export type MetadataValue = string | number | boolean | null;

/** Flat metadata without the unknown entries; undefined when nothing is left. */
export function meta(o: Record<string, MetadataValue | undefined>): Record<string, MetadataValue> | undefined {
  let out: Record<string, MetadataValue> | undefined;
  for (const k in o) {
    const v = o[k];
    if (v !== undefined) (out ??= {})[k] = v;
  }
  return out;
}

export const reject = (reason: string): RecordOutcome => ({ kind: 'reject', reason });
export const skip = (reason: Extract<RecordOutcome, { kind: 'skip' }>['reason']): RecordOutcome => ({ kind: 'skip', reason });

/** Wrap a converter so a shape error (or a bug) becomes a reject instead of a crash. */
export function guarded(convert: (record: SourceRecord) => RecordOutcome): (record: SourceRecord) => RecordOutcome {
  return (record) => {
    try {
      return convert(record);
    } catch (e) {
      return reject(asReason(e));
    }
  };
}

/**
 * For stateful converters: what `interpret` makes of a record, or — when it throws — the
 * record's one result, a reject naming why (as `guarded` does for stateless ones).
 */
export function interpretOrReject<L>(record: SourceRecord, interpret: (record: SourceRecord) => L): L | Result[] {
  try {
    return interpret(record);
  } catch (e) {
    return [{ record, outcome: reject(asReason(e)) }];
  }
}

export function asReason(e: unknown): string {
  if (e instanceof RecordError) return e.message;
  return `could not interpret the record (${e instanceof Error ? e.message : String(e)})`;
}

/** Token counts one record states; all optional, unknown stays undefined. */
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cachedInputTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}

export type UsageFields = Pick<
  Draft,
  'inputTokens' | 'outputTokens' | 'totalTokens' | 'cachedInputTokens' | 'cacheWriteTokens' | 'reasoningTokens' | 'partialReason'
>;

/**
 * The partial convention (docs/import.md "Partial payloads") in one place: absent usage → partial (`usage_missing`, or the failure's own
 * reason on a failed request); zero usage on a failed request → partial `not_measured` with
 * no counts (a failed call that reports 0 was not measured, it did not cost 0); a missing
 * input or output count → partial (`usage_missing`, or the failure's reason), keeping the
 * counts that are known.
 */
export function settleUsage(usage: Usage | undefined, failure?: PartialReason): UsageFields {
  const input = usage?.inputTokens;
  const output = usage?.outputTokens;
  const total = usage?.totalTokens;
  if (input === undefined && output === undefined && total === undefined) return usageFields(undefined, failure ?? 'usage_missing');
  if (failure && (input ?? 0) === 0 && (output ?? 0) === 0 && (total ?? 0) === 0) return usageFields(undefined, 'not_measured');
  return usageFields(usage, input === undefined || output === undefined ? (failure ?? 'usage_missing') : undefined);
}

/**
 * Always the same keys in the same order, undefined where unknown: most adapters spread this
 * into a draft literal and `compact` it, and one shape keeps that spread and the stores
 * after it monomorphic (several shapes made it the costliest line of a batch adapter). The
 * batch adapters (openai-batch.ts, anthropic-batch.ts) copy these keys into their draft by
 * name instead of spreading them: a key added here must be added there too.
 */
function usageFields(u: Usage | undefined, partialReason: PartialReason | undefined): UsageFields {
  return {
    inputTokens: u?.inputTokens,
    outputTokens: u?.outputTokens,
    totalTokens: u?.totalTokens,
    cachedInputTokens: u?.cachedInputTokens,
    cacheWriteTokens: u?.cacheWriteTokens,
    reasoningTokens: u?.reasoningTokens,
    partialReason,
  };
}
