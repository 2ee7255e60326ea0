/**
 * The ingest payload's fields, declared once. The zod schema (schema.ts), the fast
 * linter (lint.ts), the JSON Schema (`opsmeter schema`) and the README's field table
 * are all derived from this table, so they cannot drift apart.
 */
import { daysFromCivil, daysInMonth, isoFromEpochMs } from './calendar.js';

export const DATA_MODES = ['real', 'test', 'demo'] as const;
export const ENVIRONMENTS = ['prod', 'staging', 'dev'] as const;
export const STATUSES = ['success', 'error'] as const;
export type DataMode = (typeof DATA_MODES)[number];
export type Environment = (typeof ENVIRONMENTS)[number];
export type Status = (typeof STATUSES)[number];

const ID_MAX_LENGTH = 256;

export type FieldSpec =
  | { kind: 'string'; required: boolean; nullable: boolean; min: number; max: number; doc: string }
  | { kind: 'enum'; required: boolean; values: readonly string[]; doc: string }
  | { kind: 'count'; required: 'unless-partial' | false; doc: string }
  | { kind: 'datetime'; required: false; doc: string }
  | { kind: 'metadata'; required: false; doc: string };

const id = (doc: string, nullable = false): FieldSpec => ({
  kind: 'string',
  required: false,
  nullable,
  min: 1,
  max: ID_MAX_LENGTH,
  doc,
});

export const FIELDS = {
  externalRequestId: id('Idempotency key: one per LLM call, reused on every retry.'),
  provider: { kind: 'string', required: true, nullable: false, min: 1, max: ID_MAX_LENGTH, doc: 'Catalog provider id, e.g. "openai".' },
  model: { kind: 'string', required: true, nullable: false, min: 1, max: ID_MAX_LENGTH, doc: 'Catalog model id, e.g. "gpt-4o-mini".' },
  promptVersion: id('Deploy label of the prompt, e.g. "summarizer_v3".'),
  endpointTag: id('Product feature, e.g. "checkout.ai_summary".'),
  inputTokens: { kind: 'count', required: 'unless-partial', doc: 'All input tokens, cache reads and writes included.' },
  outputTokens: { kind: 'count', required: 'unless-partial', doc: 'All output tokens, reasoning included.' },
  totalTokens: { kind: 'count', required: false, doc: 'inputTokens + outputTokens.' },
  latencyMs: { kind: 'count', required: false, doc: 'Wall-clock latency of the provider call in ms.' },
  status: { kind: 'enum', required: true, values: STATUSES, doc: '"success" or "error".' },
  errorCode: id('Provider or client error code; null on success.', true),
  userId: id('Hashed user identifier; never PII.', true),
  tenantId: id('Tenant identifier (hash it if it identifies a customer).'),
  featureTag: id('Optional feature label.'),
  dataMode: { kind: 'enum', required: false, values: DATA_MODES, doc: '"real" (default), "test" or "demo".' },
  environment: { kind: 'enum', required: false, values: ENVIRONMENTS, doc: '"prod" (default), "staging" or "dev".' },
  createdAt: { kind: 'datetime', required: false, doc: 'ISO-8601 date-time with a zone, e.g. 2026-03-01T12:00:00Z.' },
  metadata: { kind: 'metadata', required: false, doc: 'Flat object of string/number/boolean/null values.' },
} as const satisfies Record<string, FieldSpec>;

export type FieldName = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

/** The payload as sent on the wire. */
export interface Payload {
  externalRequestId?: string;
  provider: string;
  model: string;
  promptVersion?: string;
  endpointTag?: string;
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  latencyMs?: number;
  status: Status;
  errorCode?: string | null;
  userId?: string | null;
  tenantId?: string;
  featureTag?: string;
  dataMode?: DataMode;
  environment?: Environment;
  createdAt?: string;
  metadata?: Record<string, string | number | boolean | null>;
}

/**
 * Partial telemetry (opsmeter's convention; the API defines no field for it):
 * metadata.usageStatus = "partial" and metadata.partialReason = one of these codes.
 * Unknown token counts are omitted, never sent as 0.
 */
export const PARTIAL_REASONS = ['usage_missing', 'request_failed', 'batch_expired', 'batch_canceled', 'not_measured'] as const;
export type PartialReason = (typeof PARTIAL_REASONS)[number];

/**
 * ISO-8601 date-time with an explicit zone (Z or ±hh:mm). The JSON Schema carries this
 * pattern; parseZonedDateTime below also checks the calendar (no February 30th).
 */
export const DATETIME_WITH_ZONE =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * Epoch ms of an ISO-8601 date-time that matches DATETIME_WITH_ZONE and is a real instant,
 * else NaN. Hand-rolled because it runs on every record: a regex plus Date.parse cost
 * several times more. It allocates nothing (no fraction substring, no Date.UTC call), and
 * counts years 0000-0099 as written (Date.UTC would read them as 1900-1999).
 */
export function parseZonedDateTime(s: string): number {
  if (s === lastText) return lastValue;
  const t = parseUncached(s);
  lastText = s;
  lastValue = t;
  return t;
}

/**
 * The last date-time parsed or formatted, and its epoch ms. An import row's createdAt is
 * formatted from epoch ms (zonedDateTimeFromEpochMs), read back by the lint gate and again
 * for the row's cost: one remembered pair answers both. A miss costs one string compare.
 */
let lastText = '';
let lastValue = Number.NaN;

/** Epoch ms (an integer, years 1970-9999) → its `YYYY-MM-DDTHH:MM:SS.mmmZ`, remembered as parsed. */
export function zonedDateTimeFromEpochMs(t: number): string {
  const s = isoFromEpochMs(t);
  lastText = s;
  lastValue = t;
  return s;
}

function parseUncached(s: string): number {
  const n = s.length;
  if (n < 17 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58) return NaN;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  let i = 16;
  let second = 0;
  let ms = 0;
  if (s.charCodeAt(i) === 58) {
    second = digits(s, i + 1, 2);
    i += 3;
    if (s.charCodeAt(i) === 46) {
      // 1-9 fraction digits; the first three are the milliseconds (truncated, as Date.parse does).
      let j = i + 1;
      for (; j < n; j++) {
        const c = s.charCodeAt(j) - 48;
        if (!(c >= 0 && c <= 9)) break;
        if (j - i <= 3) ms += c * (j - i === 1 ? 100 : j - i === 2 ? 10 : 1);
      }
      if (j - i - 1 < 1 || j - i - 1 > 9) return NaN;
      i = j;
    }
  }
  let offsetMin = 0;
  const z = s.charCodeAt(i);
  if (z === 90 && i === n - 1) {
    // Z
  } else if ((z === 43 || z === 45) && (n - i === 6 || n - i === 5)) {
    const oh = digits(s, i + 1, 2);
    const om = n - i === 6 ? (s.charCodeAt(i + 3) === 58 ? digits(s, i + 4, 2) : NaN) : digits(s, i + 3, 2);
    if (!(oh <= 23 && om <= 59)) return NaN;
    offsetMin = (z === 43 ? 1 : -1) * (oh * 60 + om);
  } else return NaN;
  if (!(month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59)) return NaN;
  if (day > daysInMonth(year, month)) return NaN;
  return (daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetMin * 60) * 1000 + ms;
}

/** The number written by `len` ASCII digits at `at`, or NaN. */
function digits(s: string, at: number, len: number): number {
  let v = 0;
  for (let k = at; k < at + len; k++) {
    const c = s.charCodeAt(k) - 48;
    if (!(c >= 0 && c <= 9)) return NaN;
    v = v * 10 + c;
  }
  return v;
}
