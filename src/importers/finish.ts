/**
 * Finishing an adapter's Draft into a wire Payload — the part every format shares:
 * externalRequestId derivation, catalog mapping, createdAt normalisation, defaults,
 * user-id hashing, breakdowns and the partial mark in metadata, and the final lint gate
 * (a payload with an error-severity finding is never emitted; the row is rejected instead).
 */
import { createHash, createHmac } from 'node:crypto';
import type { Catalog } from '../contract/catalog.js';
import type { DataMode, Environment, Payload } from '../contract/fields.js';
import { lintPayload } from '../contract/lint.js';
import type { Draft, FormatId } from './types.js';

export interface Defaults {
  dataMode: DataMode;
  environment: Environment;
  endpointTag?: string;
  promptVersion?: string;
}

export interface FinishOptions {
  format: FormatId;
  catalog: Catalog;
  defaults: Defaults;
  /** --hash-user-ids SALT */
  hashSalt?: string;
  /** Epoch ms for lint's createdAt age checks (warnings only; never changes the output). */
  now: number;
}

export type DefaultName = 'dataMode' | 'environment' | 'endpointTag' | 'promptVersion';

export type Finished =
  | {
      ok: true;
      payload: Payload;
      /** The model is in the catalog (after mapping). */
      known: boolean;
      /** Which defaults were applied to this payload. */
      applied: DefaultName[];
    }
  | { ok: false; reason: string };

/** `ext_` + first 24 hex of SHA-256 of `<format>:<source id>` (PRODUCT.md §3). */
export function externalRequestId(format: string, sourceId: string): string {
  return 'ext_' + createHash('sha256').update(format + ':' + sourceId).digest('hex').slice(0, 24);
}

/** `u_` + hex HMAC-SHA256(salt, id). */
export function hashUserId(salt: string, id: string): string {
  return 'u_' + createHmac('sha256', salt).update(id).digest('hex');
}

const ISO_LIKE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
const NUMERIC = /^\d+(?:\.\d+)?$/;

/**
 * Normalise a source timestamp to UTC ISO-8601 with milliseconds. Strings without a zone
 * are UTC (LiteLLM's Postgres `timestamp(3)`, OpenRouter's `created_at`, Langfuse all are);
 * numbers — and numeric strings — are epoch seconds below 1e11, milliseconds below 1e14,
 * microseconds below 1e17, else nanoseconds. Returns undefined when it is not a date-time.
 */
export function normalizeTimestamp(v: string | number): string | undefined {
  let ms: number;
  if (typeof v === 'number' || NUMERIC.test(v)) {
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n) || n < 0) return undefined;
    ms = n < 1e11 ? n * 1000 : n < 1e14 ? n : n < 1e17 ? n / 1000 : n / 1e6;
    ms = Math.round(ms);
  } else {
    const m = ISO_LIKE.exec(v.trim());
    if (!m) return undefined;
    const [, date, hm, sec, frac, zone] = m;
    let z = 'Z';
    if (zone && !/^(z|utc|gmt)$/i.test(zone)) {
      const digits = zone.replace(':', '');
      z = digits.slice(0, 3) + ':' + (digits.slice(3) || '00');
    }
    const iso = `${date}T${hm ?? '00:00'}:${sec ?? '00'}.${((frac ?? '') + '000').slice(0, 3)}${z}`;
    ms = Date.parse(iso);
    if (Number.isNaN(ms)) return undefined;
    // Date.parse rolls 2026-02-30 over to March; a calendar date that does not exist is not a date.
    if (new Date(Date.parse(`${date}T00:00:00Z`)).toISOString().slice(0, 10) !== date) return undefined;
  }
  const d = new Date(ms);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1970 || d.getUTCFullYear() > 9999) return undefined;
  return d.toISOString();
}

export function finishDraft(draft: Draft, opts: FinishOptions): Finished {
  const { catalog, defaults } = opts;
  if (typeof draft.sourceId !== 'string' || draft.sourceId === '') return { ok: false, reason: 'no request id to derive externalRequestId from' };
  const provider = typeof draft.provider === 'string' ? (catalog.resolveProvider(draft.provider) ?? draft.provider) : draft.provider;
  let model = draft.model;
  if (typeof provider === 'string' && typeof model === 'string' && model !== '') {
    model = catalog.resolveModel(provider, model)?.model ?? model;
  }
  const applied: DefaultName[] = [];
  // Built field by field in one fixed order, so the JSON output is byte-stable.
  const p = {
    externalRequestId: externalRequestId(opts.format, draft.sourceId),
    provider,
    model,
  } as Payload;
  const promptVersion = draft.promptVersion ?? defaults.promptVersion;
  if (draft.promptVersion === undefined && promptVersion !== undefined) applied.push('promptVersion');
  if (promptVersion !== undefined) p.promptVersion = promptVersion;
  const endpointTag = draft.endpointTag ?? defaults.endpointTag;
  if (draft.endpointTag === undefined && endpointTag !== undefined) applied.push('endpointTag');
  if (endpointTag !== undefined) p.endpointTag = endpointTag;
  if (draft.inputTokens !== undefined) p.inputTokens = draft.inputTokens;
  if (draft.outputTokens !== undefined) p.outputTokens = draft.outputTokens;
  const total =
    draft.totalTokens ??
    (draft.inputTokens !== undefined && draft.outputTokens !== undefined ? draft.inputTokens + draft.outputTokens : undefined);
  if (total !== undefined) p.totalTokens = total;
  if (draft.latencyMs !== undefined) p.latencyMs = draft.latencyMs;
  p.status = draft.status;
  if (draft.errorCode !== undefined) p.errorCode = draft.errorCode;
  if (draft.userId !== undefined) p.userId = opts.hashSalt !== undefined ? hashUserId(opts.hashSalt, draft.userId) : draft.userId;
  if (draft.tenantId !== undefined) p.tenantId = opts.hashSalt !== undefined ? hashUserId(opts.hashSalt, draft.tenantId) : draft.tenantId;
  if (draft.dataMode === undefined) applied.push('dataMode');
  p.dataMode = (draft.dataMode ?? defaults.dataMode) as DataMode;
  if (draft.environment === undefined) applied.push('environment');
  p.environment = (draft.environment ?? defaults.environment) as Environment;
  if (draft.createdAt !== undefined) {
    const at = normalizeTimestamp(draft.createdAt);
    if (at === undefined) return { ok: false, reason: `timestamp ${JSON.stringify(draft.createdAt)} is not a date-time` };
    p.createdAt = at;
  }
  const metadata: Record<string, string | number | boolean | null> = { source: opts.format };
  if (draft.metadata) Object.assign(metadata, draft.metadata);
  if (draft.cachedInputTokens !== undefined) metadata.cachedInputTokens = draft.cachedInputTokens;
  if (draft.cacheWriteTokens !== undefined) metadata.cacheWriteTokens = draft.cacheWriteTokens;
  if (draft.reasoningTokens !== undefined) metadata.reasoningTokens = draft.reasoningTokens;
  if (model !== draft.model) metadata.loggedModel = draft.model;
  metadata.source = opts.format;
  if (draft.partialReason !== undefined) {
    metadata.usageStatus = 'partial';
    metadata.partialReason = draft.partialReason;
  } else {
    delete metadata.usageStatus;
    delete metadata.partialReason;
  }
  p.metadata = metadata;

  const errors = lintPayload(p, { catalog, now: opts.now }).filter((f) => f.rule.severity === 'error');
  if (errors.length > 0) {
    const f = errors[0]!;
    return { ok: false, reason: `${f.message} [${f.rule.id}]${f.hint ? ` — ${f.hint}` : ''}` };
  }
  return { ok: true, payload: p, known: catalog.get(p.provider, p.model) !== undefined, applied };
}
