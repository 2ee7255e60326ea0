/**
 * Finishing an adapter's Draft into a wire Payload — the part every format shares:
 * externalRequestId derivation, catalog mapping, createdAt normalisation, defaults,
 * user-id hashing, breakdowns and the partial mark in metadata, and the final lint gate
 * (a payload with an error-severity finding is never emitted; the row is rejected instead).
 */
import * as crypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';
import { daysFromCivil, daysInMonth } from '../contract/calendar.js';
import type { Catalog } from '../contract/catalog.js';
import { parseZonedDateTime, zonedDateTimeFromEpochMs, type DataMode, type Environment, type Payload } from '../contract/fields.js';
import { lintPayload, type LintContext } from '../contract/lint.js';
import { piiKind } from '../contract/pii.js';
import type { RulePolicy } from '../contract/rule-settings.js';
import type { Draft, FormatId, SkipReason } from './types.js';

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
  /**
   * Rule settings (opsmeter.config.json, --rule): a rule turned off never rejects a row, a
   * warning raised to error does, exactly as validate would judge the payload.
   */
  rules?: RulePolicy;
  /**
   * --since / --until as epoch ms (since inclusive, until exclusive): a payload outside is
   * skipped (before_since, after_until), and one without createdAt too (no_date), since
   * nothing says it is inside. Absent: every payload is kept.
   */
  window?: { since: number | undefined; until: number | undefined };
}

export type DefaultName = 'dataMode' | 'environment' | 'endpointTag' | 'promptVersion';

export type Finished =
  | {
      ok: true;
      payload: Payload;
      /** The model is in the catalog (after mapping). */
      known: boolean;
      /** Which defaults were applied to this payload (shared, frozen). */
      applied: readonly DefaultName[];
    }
  | { ok: false; reason: string; skip?: undefined }
  /** Outside --since / --until: skipped with this reason, not rejected. */
  | { ok: false; reason: string; skip: SkipReason };

// One-shot hashing (Node ≥ 20.12) skips a Hash object per row; the streaming API is the fallback.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256Hex: (s: string) => string = oneShot
  ? (s) => oneShot('sha256', s, 'hex')
  : (s) => createHash('sha256').update(s).digest('hex');

/**
 * `ext_` + first 24 hex of SHA-256 of `<format>:<source id>`; under --hash-user-ids, of
 * HMAC-SHA256 keyed by the salt instead (docs/import.md "What every payload gets"). A source
 * id can be a caller-chosen `custom_id` or `recordId` such as an e-mail address, and a plain
 * hash of it confirms a guess; keyed, the id is as stable across re-imports with the same salt
 * and says nothing without it. Without a salt the ids stay what they always were, so a
 * re-import is recognised as the same requests.
 */
export function externalRequestId(format: string, sourceId: string, salt?: string): string {
  const key = format + ':' + sourceId;
  return 'ext_' + (salt === undefined ? sha256Hex(key) : createHmac('sha256', salt).update(key).digest('hex')).slice(0, 24);
}

/** `u_` + hex HMAC-SHA256(salt, id). */
export function hashUserId(salt: string, id: string): string {
  return 'u_' + createHmac('sha256', salt).update(id).digest('hex');
}

/**
 * Identifiers adapters copy into metadata that are chosen by the caller and so can carry a
 * person's id (a batch `custom_id`, Bedrock `recordId` or Gemini batch `key` of "alice@example.com"). Under
 * --hash-user-ids they are hashed like userId, as is any other copied string that looks like PII (src/contract/pii.ts).
 */
const PERSONAL_METADATA_KEYS: ReadonlySet<string> = new Set(['customId', 'recordId', 'key', 'user', 'endUser', 'email', 'userEmail']);

/**
 * Source fields that can carry a person's id (request `user`, `safety_identifier`, LiteLLM
 * `end_user`, batch `custom_id`, Gemini batch `key`, …): scrubbed from rows copied into the rejects file under
 * --hash-user-ids (see scrubPersonal).
 */
const PERSONAL_SOURCE_KEYS: ReadonlySet<string> = new Set([
  'user', 'end_user', 'enduser', 'user_id', 'userid', 'custom_id', 'customid', 'recordid', 'key', 'safety_identifier', 'email', 'user_email',
  'tenant_id', 'tenantid', 'customer_id', 'requester_ip_address', 'user_api_key_user_id', 'user_api_key_end_user_id', 'user_api_key_user_email',
]);

/**
 * A copy of a source value with every personal identifier hashed (by key, or because the
 * string looks like PII), for the rejects file under --hash-user-ids. Iterative with a depth
 * cap, so a deeply nested record cannot overflow the stack here.
 */
export function scrubPersonal(value: unknown, salt: string, depth = 0): unknown {
  if (typeof value === 'string') return piiKind(value) ? hashUserId(salt, value) : value;
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 64) return '[nested too deeply: left out]';
  if (Array.isArray(value)) return value.map((v) => scrubPersonal(v, salt, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = typeof v === 'string' && PERSONAL_SOURCE_KEYS.has(k.toLowerCase()) ? hashUserId(salt, v) : scrubPersonal(v, salt, depth + 1);
  }
  return out;
}

const ISO_LIKE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
const NUMERIC = /^\d+(?:\.\d+)?$/;

/**
 * Normalise a source timestamp to UTC ISO-8601 with milliseconds. Strings without a zone
 * are UTC (LiteLLM's Postgres `timestamp(3)`, OpenRouter's `created_at`, Langfuse all are);
 * numbers — and numeric strings — are epoch seconds below 1e11, milliseconds below 1e14,
 * microseconds below 1e17, else nanoseconds. Returns undefined when it is not a date-time.
 */
const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const two = (s: string, i: number) => digit(s, i) * 10 + digit(s, i + 1);

/**
 * The common shapes, parsed by hand on the hot path: `YYYY-MM-DD[T ]HH:MM:SS[.fff…][Z]`
 * (zoneless = UTC). Undefined for anything else, which the general parser then handles.
 */
function fastUtc(s: string): string | undefined {
  const n = s.length;
  if (n < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined;
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 32) return undefined;
  let end = n;
  if (s.charCodeAt(n - 1) === 90) end--; // Z
  let ms = 0;
  if (end > 19) {
    if (s.charCodeAt(19) !== 46 || end === 20) return undefined;
    for (let i = 20; i < end; i++) {
      const d = digit(s, i);
      if (d < 0 || d > 9) return undefined;
      if (i < 23) ms += d * (i === 20 ? 100 : i === 21 ? 10 : 1);
    }
  }
  for (let i = 0; i < 19; i++) {
    if (i === 4 || i === 7 || i === 10 || i === 13 || i === 16) continue;
    const d = digit(s, i);
    if (d < 0 || d > 9) return undefined;
  }
  const y = digit(s, 0) * 1000 + digit(s, 1) * 100 + two(s, 2);
  const mo = two(s, 5);
  const d = two(s, 8);
  const h = two(s, 11);
  const mi = two(s, 14);
  const sec = two(s, 17);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59 || y < 1970) return undefined;
  // Zoneless or Z: the fields are already UTC.
  return zonedDateTimeFromEpochMs((daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec) * 1000 + ms);
}

export function normalizeTimestamp(v: string | number): string | undefined {
  if (typeof v === 'string') {
    const fast = fastUtc(v);
    if (fast !== undefined) return fast;
  }
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
    const day = Number(date!.slice(8, 10));
    if (day > 28 && day > daysInMonth(Number(date!.slice(0, 4)), Number(date!.slice(5, 7)))) return undefined;
  }
  // 1970-01-01 … 9999-12-31
  if (!Number.isFinite(ms) || ms < 0 || ms > 253_402_300_799_999) return undefined;
  return zonedDateTimeFromEpochMs(ms);
}

/** A logged (provider, model) mapped through the catalog rules, and whether the result is a catalog entry. */
interface Resolved {
  provider: string;
  model: string;
  known: boolean;
}

/**
 * Resolutions per catalog, logged provider and logged model: a file holds few distinct
 * pairs, and resolving (lower-casing, regex rules) once per row is measurable. Bounded, so
 * a file of a million distinct model names costs lookups, not memory.
 */
const resolvedByCatalog = new WeakMap<Catalog, Map<string, Map<string, Resolved>>>();
const RESOLVED_LIMIT = 10_000;
let resolvedCount = 0;

function resolveUncached(catalog: Catalog, loggedProvider: string, loggedModel: string): Resolved {
  const provider = catalog.resolveProvider(loggedProvider) ?? loggedProvider;
  const model = loggedModel !== '' ? (catalog.resolveModel(provider, loggedModel)?.model ?? loggedModel) : loggedModel;
  return { provider, model, known: catalog.get(provider, model) !== undefined };
}

function resolve(catalog: Catalog, loggedProvider: string, loggedModel: string): Resolved {
  let byProvider = resolvedByCatalog.get(catalog);
  if (!byProvider) resolvedByCatalog.set(catalog, (byProvider = new Map()));
  let byModel = byProvider.get(loggedProvider);
  let r = byModel?.get(loggedModel);
  if (r !== undefined) return r;
  r = resolveUncached(catalog, loggedProvider, loggedModel);
  if (resolvedCount < RESOLVED_LIMIT) {
    if (!byModel) byProvider.set(loggedProvider, (byModel = new Map()));
    byModel.set(loggedModel, r);
    resolvedCount++;
  }
  return r;
}

/** Which defaults a payload took, as shared frozen arrays (one per combination, in field order). */
const APPLIED: readonly (readonly DefaultName[])[] = Array.from({ length: 16 }, (_, mask) =>
  Object.freeze((['promptVersion', 'endpointTag', 'dataMode', 'environment'] as const).filter((_, bit) => (mask & (1 << bit)) !== 0)),
);

/** The applied defaults as a number (bit per default), and back: how they cross between threads. */
export const appliedMask = (applied: readonly DefaultName[]): number => APPLIED.indexOf(applied);
export const appliedFromMask = (mask: number): readonly DefaultName[] => APPLIED[mask]!;

/** The lint gate's context for one set of options, made once (the last options seen: a run has one set). */
let gateFor: FinishOptions | undefined;
let gate: LintContext | undefined;
function gateContext(opts: FinishOptions): LintContext {
  if (opts !== gateFor || gate === undefined) {
    gateFor = opts;
    gate = { catalog: opts.catalog, now: opts.now, errorsOnly: true, ...(opts.rules && { rules: opts.rules }) };
  }
  return gate;
}

/** Why a payload's createdAt is outside the window, or undefined when it is inside (checked before the lint gate: a skipped row costs no lint). */
function outsideWindow(createdAt: string | undefined, window: NonNullable<FinishOptions['window']>): SkipReason | undefined {
  if (createdAt === undefined) return 'no_date';
  // Formatted from epoch ms just above: the parse is remembered (fields.ts).
  const ms = parseZonedDateTime(createdAt);
  if (window.since !== undefined && ms < window.since) return 'before_since';
  if (window.until !== undefined && ms >= window.until) return 'after_until';
  return undefined;
}

export function finishDraft(draft: Draft, opts: FinishOptions): Finished {
  const { catalog, defaults } = opts;
  if (typeof draft.sourceId !== 'string' || draft.sourceId === '') return { ok: false, reason: 'no request id to derive externalRequestId from' };
  let provider = draft.provider;
  let model = draft.model;
  let known = false;
  if (typeof provider === 'string') {
    if (typeof model === 'string') {
      const r = resolve(catalog, provider, model);
      provider = r.provider;
      model = r.model;
      known = r.known;
    } else provider = catalog.resolveProvider(provider) ?? provider;
  }
  let applied = 0;
  // Built field by field in one fixed order, so the JSON output is byte-stable.
  const p = {
    externalRequestId: externalRequestId(opts.format, draft.sourceId, opts.hashSalt),
    provider,
    model,
  } as Payload;
  const promptVersion = draft.promptVersion ?? defaults.promptVersion;
  if (draft.promptVersion === undefined && promptVersion !== undefined) applied |= 1;
  if (promptVersion !== undefined) p.promptVersion = promptVersion;
  const endpointTag = draft.endpointTag ?? defaults.endpointTag;
  if (draft.endpointTag === undefined && endpointTag !== undefined) applied |= 2;
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
  if (draft.dataMode === undefined) applied |= 4;
  p.dataMode = (draft.dataMode ?? defaults.dataMode) as DataMode;
  if (draft.environment === undefined) applied |= 8;
  p.environment = (draft.environment ?? defaults.environment) as Environment;
  if (draft.createdAt !== undefined) {
    const at = normalizeTimestamp(draft.createdAt);
    if (at === undefined) return { ok: false, reason: `timestamp ${JSON.stringify(draft.createdAt)} is not a date-time` };
    p.createdAt = at;
  }
  if (opts.window !== undefined) {
    const skip = outsideWindow(p.createdAt, opts.window);
    if (skip !== undefined) return { ok: false, reason: skip, skip };
  }
  const metadata: Record<string, string | number | boolean | null> = { source: opts.format };
  const extra = draft.metadata;
  // As Object.assign would (own enumerable keys, in order, by assignment), without the call.
  if (extra) {
    const salt = opts.hashSalt;
    for (const k in extra) {
      const v = extra[k];
      if (v === undefined) continue;
      metadata[k] = salt !== undefined && typeof v === 'string' && (PERSONAL_METADATA_KEYS.has(k) || piiKind(v) !== undefined) ? hashUserId(salt, v) : v;
    }
  }
  if (draft.cachedInputTokens !== undefined) metadata.cachedInputTokens = draft.cachedInputTokens;
  if (draft.cacheWriteTokens !== undefined) metadata.cacheWriteTokens = draft.cacheWriteTokens;
  if (draft.reasoningTokens !== undefined) metadata.reasoningTokens = draft.reasoningTokens;
  if (model !== draft.model) metadata.loggedModel = draft.model;
  metadata.source = opts.format;
  if (draft.partialReason !== undefined) {
    metadata.usageStatus = 'partial';
    metadata.partialReason = draft.partialReason;
  } else if (extra && ('usageStatus' in metadata || 'partialReason' in metadata)) {
    // Only the draft's own metadata can hold them; a delete would make the object slow.
    delete metadata.usageStatus;
    delete metadata.partialReason;
  }
  p.metadata = metadata;

  // The gate: warnings are not a reason to drop a row, so only the error checks run.
  const errors = lintPayload(p, gateContext(opts));
  if (errors.length > 0) {
    const f = errors[0]!;
    return { ok: false, reason: `${f.message} [${f.rule.id}]${f.hint ? ` — ${f.hint}` : ''}` };
  }
  return { ok: true, payload: p, known, applied: APPLIED[applied]! };
}
