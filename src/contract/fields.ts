/**
 * The ingest payload's fields, declared once. The zod schema (schema.ts), the fast
 * linter (lint.ts), the JSON Schema (`opsmeter schema`) and the README's field table
 * are all derived from this table, so they cannot drift apart.
 */

export const DATA_MODES = ['real', 'test', 'demo'] as const;
export const ENVIRONMENTS = ['prod', 'staging', 'dev'] as const;
export const STATUSES = ['success', 'error'] as const;
export type DataMode = (typeof DATA_MODES)[number];
export type Environment = (typeof ENVIRONMENTS)[number];
export type Status = (typeof STATUSES)[number];

export const ID_MAX_LENGTH = 256;

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
export const KNOWN_FIELDS: ReadonlySet<string> = new Set(FIELD_NAMES);

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
export const USAGE_STATUSES = ['complete', 'partial'] as const;
export type PartialReason = (typeof PARTIAL_REASONS)[number];

export function isPartial(p: { metadata?: unknown }): boolean {
  const m = p.metadata as Record<string, unknown> | undefined;
  return typeof m === 'object' && m !== null && m.usageStatus === 'partial';
}

/** ISO-8601 date-time with an explicit zone (Z or ±hh:mm). */
export const DATETIME_WITH_ZONE =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
