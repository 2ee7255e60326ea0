/**
 * The payload linter: checks one parsed record against the contract (fields.ts) and the
 * rule registry (rules.ts). Written as plain checks rather than a zod parse because it
 * runs on every line of million-line files; test/contract/agreement.test.ts proves it
 * accepts exactly what the zod schema accepts.
 */
import type { Catalog } from './catalog.js';
import {
  FIELDS,
  FIELD_NAMES,
  PARTIAL_REASONS,
  parseZonedDateTime,
  type FieldName,
  type FieldSpec,
} from './fields.js';
import { type RulePolicy, rulePolicy, type RuleSettings } from './rule-settings.js';
import { piiKind } from './pii.js';
import { RULES, type RuleInfo } from './rules.js';

export { piiKind } from './pii.js';

export interface Finding {
  rule: RuleInfo;
  /** RFC 6901 pointer inside the record ("" = the record itself). */
  pointer: string;
  message: string;
  hint?: string;
  /** Where to point the reader: the value, its key, or the whole record (value missing). */
  target: 'value' | 'key' | 'record';
}

export interface LintContext {
  catalog: Catalog;
  /** Epoch ms used for createdAt age checks (fixed in tests). */
  now: number;
  /**
   * Report error-severity findings only, skipping the warning-only checks: for gates that
   * drop warnings anyway (the import's per-payload gate). The errors found are exactly
   * those of a full lint (test/contract/lint-errors-only.test.ts).
   */
  errorsOnly?: boolean;
  /**
   * Severity per rule id (`off`, `warning`, `error`), as in opsmeter.config.json; a plain
   * object is compiled once and cached, a RulePolicy is used as is. Findings come back
   * with the configured severity (`finding.rule.severity`); off ones are dropped.
   */
  rules?: RuleSettings | RulePolicy;
}

const DAY_MS = 86_400_000;
const FREE_RAW_RETENTION_DAYS = 14;
/** Clock skew tolerated before a createdAt counts as "in the future". */
const FUTURE_SKEW_MS = 5 * 60_000;
const PARTIAL_REASON_SET: ReadonlySet<string> = new Set(PARTIAL_REASONS);

/** Strings besides userId that reach the dashboard as labels; PII in them is as forbidden. */
const PII_CHECKED_FIELDS = ['tenantId', 'endpointTag', 'featureTag'] as const;

function piiValues(p: Record<string, unknown>, metadata: unknown, out: Finding[]): void {
  for (const field of PII_CHECKED_FIELDS) {
    const v = p[field];
    if (typeof v !== 'string') continue;
    const kind = piiKind(v);
    if (kind) out.push({ rule: RULES.piiValue, pointer: '/' + field, message: `${field} looks like ${kind}; the API forbids PII anywhere in a payload`, hint: RULES.piiValue.hint, target: 'value' });
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return;
  const m = metadata as Record<string, unknown>;
  for (const k in m) {
    const v = m[k];
    if (typeof v !== 'string') continue;
    const kind = piiKind(v);
    if (kind) out.push({ rule: RULES.piiValue, pointer: '/metadata/' + escapePointer(k), message: `metadata.${k} looks like ${kind}; the API forbids PII anywhere in a payload`, hint: RULES.piiValue.hint, target: 'value' });
  }
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++, n++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number') return Number.isFinite(v) ? `the number ${v}` : 'a number too large for JSON (overflows to Infinity)';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function checkCount(name: string, v: unknown, out: Finding[]): void {
  const pointer = '/' + name;
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return;
    let message: string;
    if (!Number.isFinite(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) {
      message = `${name} is ${Number.isFinite(v) ? v : 'beyond the range of a double (e.g. 1e400)'}: larger than the largest safe integer (2^53-1)`;
    } else if (!Number.isInteger(v)) {
      message = `${name} must be a whole number, got ${v}`;
    } else {
      message = `${name} must not be negative, got ${v}`;
    }
    out.push({ rule: RULES.count, pointer, message, target: 'value' });
    return;
  }
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) {
    out.push({
      rule: RULES.type,
      pointer,
      message: `${name} must be a JSON number, got ${describe(v)}`,
      hint: `write ${v.trim()} without quotes`,
      target: 'value',
    });
    return;
  }
  out.push({ rule: RULES.type, pointer, message: `${name} must be a non-negative integer, got ${describe(v)}`, target: 'value' });
}

type FieldCheck = (name: string, v: unknown, ctx: LintContext, out: Finding[]) => void;

function stringCheck(spec: Extract<FieldSpec, { kind: 'string' }>): FieldCheck {
  return (name, v, _ctx, out) => {
    if (typeof v === 'string') {
      // Lengths count Unicode code points (as JSON Schema and zod do), not UTF-16 units;
      // a string within the limit in units is within it in code points, so count only then.
      const length = v.length > spec.max ? codePointLength(v) : v.length;
      if (length < spec.min || length > spec.max) {
        out.push({
          rule: RULES.stringLength,
          pointer: '/' + name,
          message: length === 0 ? `${name} must not be empty` : `${name} is ${length} characters long; the limit is ${spec.max}`,
          target: 'value',
        });
      }
    } else if (!(v === null && spec.nullable)) {
      out.push({
        rule: RULES.type,
        pointer: '/' + name,
        message: `${name} must be a string${spec.nullable ? ' or null' : ''}, got ${describe(v)}`,
        hint: typeof v === 'number' ? numberAsStringHint(name, v) : undefined,
        target: 'value',
      });
    }
  };
}

/**
 * Both official SDKs send `error.code` as errorCode, which is a number for some errors
 * (an AbortError's 20): the API's examples are all strings, so it stays an error.
 */
function numberAsStringHint(name: string, v: number): string {
  return name === 'errorCode' ? `send the code as a string, e.g. "${v}" (an SDK passing error.code through sends a number)` : `write "${v}" in quotes`;
}

/**
 * The official SDKs' defaults for attribution fields they were not given ("unknown",
 * "sdk.unknown") and similar stand-ins, compared in lowercase. Only short strings can be one.
 */
const PLACEHOLDERS: ReadonlySet<string> = new Set(['unknown', 'sdk.unknown', 'undefined', 'null', 'none', 'n/a', 'tbd', 'todo', 'placeholder']);
const PLACEHOLDER_MAX = 11;

/** Exact spellings first: the case and padding variants cost a trim and a lowercase, paid only by short strings. */
function isPlaceholder(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > PLACEHOLDER_MAX) return false;
  if (PLACEHOLDERS.has(v)) return true;
  const t = v.trim().toLowerCase();
  return t !== v && PLACEHOLDERS.has(t);
}

function placeholderFinding(name: 'promptVersion' | 'endpointTag' | 'featureTag', v: string): Finding {
  return {
    rule: RULES.placeholderValue,
    pointer: '/' + name,
    message: `${name} is the placeholder ${JSON.stringify(v)}: every row sent without one lands in the same bucket`,
    target: 'value',
  };
}

function enumCheck(spec: Extract<FieldSpec, { kind: 'enum' }>): FieldCheck {
  const values: readonly string[] = spec.values;
  return (name, v, _ctx, out) => {
    if (typeof v === 'string' && values.includes(v)) return;
    const lower = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
    const fix = lower !== undefined && values.includes(lower) ? lower : undefined;
    out.push({
      rule: typeof v === 'string' ? RULES.enumValue : RULES.type,
      pointer: '/' + name,
      message: `${name} must be one of ${values.map((x) => `"${x}"`).join(', ')}, got ${describe(v)}`,
      hint: fix ? `use "${fix}" (exact lowercase)` : undefined,
      target: 'value',
    });
  };
}

/**
 * One rule per field, derived from the field table. `check` reports every finding for a
 * value; `isClean` is the hot path's shortcut that answers "check would report nothing"
 * without a call per field (it falls back to `check` whenever it is not sure).
 */
interface FieldRule {
  kind: FieldSpec['kind'];
  required: boolean;
  /** string fields: length bounds (UTF-16 units here; check counts code points when it matters) */
  min: number;
  max: number;
  nullable: boolean;
  /** enum fields */
  values: readonly string[];
  check: FieldCheck;
}

const FIELD_RULES: Record<string, FieldRule | undefined> = Object.create(null);
for (const name of FIELD_NAMES) {
  const spec: FieldSpec = FIELDS[name];
  FIELD_RULES[name] = {
    kind: spec.kind,
    required: spec.required === true,
    min: spec.kind === 'string' ? spec.min : 0,
    max: spec.kind === 'string' ? spec.max : 0,
    nullable: spec.kind === 'string' && spec.nullable,
    values: spec.kind === 'enum' ? spec.values : [],
    check:
      spec.kind === 'string'
        ? stringCheck(spec)
        : spec.kind === 'enum'
          ? enumCheck(spec)
          : spec.kind === 'count'
            ? (n, v, _c, out) => checkCount(n, v, out)
            : spec.kind === 'datetime'
              ? (_n, v, c, out) => checkCreatedAt(v, c, c.errorsOnly === true, out)
              : (_n, v, _c, out) => checkMetadata(v, out),
  };
}
const REQUIRED: readonly FieldName[] = FIELD_NAMES.filter((n) => FIELDS[n].required === true);

/**
 * True only when `rule.check` would report nothing for `v`; false means "run the check"
 * (always for dates and metadata, which have no cheaper test than the check itself).
 */
export function isClean(rule: FieldRule, v: unknown): boolean {
  switch (rule.kind) {
    case 'string':
      // Within [min, max] UTF-16 units, check measures in units too (code points only past max).
      return typeof v === 'string' ? v.length >= rule.min && v.length <= rule.max : v === null && rule.nullable;
    case 'enum':
      return typeof v === 'string' && rule.values.includes(v);
    case 'count':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    default:
      return false;
  }
}

/** The rule for a field name (undefined for unknown fields); exported for tests of isClean. */
export function fieldRule(name: string): FieldRule | undefined {
  return FIELD_RULES[name];
}

/**
 * The keys of the last record linted, by position, with their rules: records in a file
 * usually share one key order, and comparing a key with the one at the same position is
 * cheaper than a table lookup. Only a cache: a mismatch simply looks the key up.
 */
const SEEN_KEYS = 32;
const seenKeys: string[] = Array.from({ length: SEEN_KEYS }, () => '');
const seenRules: (FieldRule | undefined)[] = Array.from({ length: SEEN_KEYS }, () => undefined);

/**
 * Lint one parsed record. Returns [] for a clean payload (the common, fast case). Without
 * `ctx.rules` this is one extra call; with them, the settings are applied to the findings
 * (errors-only lint then still runs the warning checks when a warning is raised to error).
 */
export function lintPayload(value: unknown, ctx: LintContext): Finding[] {
  const rules = ctx.rules;
  if (rules === undefined) return lintAll(value, ctx, ctx.errorsOnly === true);
  const policy = rulePolicy(rules);
  const errorsOnly = ctx.errorsOnly === true;
  const out = lintAll(value, ctx, errorsOnly && !policy.raisesWarning);
  return out.length === 0 ? out : policy.apply(out, errorsOnly);
}

function lintAll(value: unknown, ctx: LintContext, errorsOnly: boolean): Finding[] {
  const out: Finding[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    out.push({
      rule: RULES.notObject,
      pointer: '',
      message: `a payload must be a JSON object, got ${describe(value)}`,
      target: 'record',
    });
    return out;
  }
  const p = value as Record<string, unknown>;

  // The record's own keys drive the loop (for-in over a JSON.parse object is fast; keyed
  // lookups of 18 names are not), and it counts the required fields it meets on the way.
  let required = 0;
  let at = 0;
  for (const k in p) {
    let rule: FieldRule | undefined;
    if (at < SEEN_KEYS && seenKeys[at] === k) rule = seenRules[at];
    else {
      rule = FIELD_RULES[k];
      if (at < SEEN_KEYS) {
        seenKeys[at] = k;
        seenRules[at] = rule;
      }
    }
    at++;
    if (rule === undefined) {
      out.push({
        rule: RULES.unknownField,
        pointer: '/' + escapePointer(k),
        message: `unknown field "${k}": the API does not document it`,
        hint: caseHint(k),
        target: 'key',
      });
      continue;
    }
    const v = p[k];
    if (v === undefined) continue;
    if (rule.required) required++;
    if (isClean(rule, v)) continue;
    if (rule.kind === 'datetime') checkCreatedAt(v, ctx, errorsOnly, out); // runs on every record: a direct call
    else rule.check(k, v, ctx, out);
  }
  if (required !== REQUIRED.length) {
    for (const name of REQUIRED) {
      if (p[name] === undefined) out.push({ rule: RULES.required, pointer: '/' + name, message: `${name} is required`, target: 'record' });
    }
  }

  const metadata = p.metadata;
  const partial =
    typeof metadata === 'object' && metadata !== null && (metadata as Record<string, unknown>).usageStatus === 'partial';

  // Usage: required unless marked partial (opsmeter's convention, see fields.ts).
  if (typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)) {
    const m = metadata as Record<string, unknown>;
    if (m.usageStatus !== undefined && m.usageStatus !== 'partial' && m.usageStatus !== 'complete') {
      out.push({
        rule: RULES.partialMark,
        pointer: '/metadata/usageStatus',
        message: `metadata.usageStatus must be "partial" or "complete", got ${describe(m.usageStatus)}`,
        target: 'value',
      });
    }
  }
  if (partial) {
    const reason = (metadata as Record<string, unknown>).partialReason;
    if (typeof reason !== 'string' || !PARTIAL_REASON_SET.has(reason)) {
      out.push({
        rule: RULES.partialMark,
        pointer: reason === undefined ? '/metadata/usageStatus' : '/metadata/partialReason',
        message:
          reason === undefined
            ? 'metadata.usageStatus is "partial" but metadata.partialReason is missing'
            : `metadata.partialReason must be one of ${PARTIAL_REASONS.join(', ')}, got ${describe(reason)}`,
        hint: `one of ${PARTIAL_REASONS.join(', ')}`,
        target: 'value',
      });
    }
  } else {
    if (p.inputTokens === undefined) usageMissing('inputTokens', out);
    if (p.outputTokens === undefined) usageMissing('outputTokens', out);
  }

  // PII in userId.
  if (typeof p.userId === 'string') {
    const kind = piiKind(p.userId);
    if (kind) {
      out.push({
        rule: RULES.piiUserId,
        pointer: '/userId',
        message: `userId looks like ${kind}; the API forbids PII`,
        hint: 'hash identifiers before sending (opsmeter import --hash-user-ids SALT does this)',
        target: 'value',
      });
    }
  }

  // Unknown-field warnings are rare: dropping them here keeps errorsOnly out of the key loop.
  if (errorsOnly) return out.length === 0 ? out : out.filter((f) => f.rule.severity === 'error');

  // Warnings.
  piiValues(p, metadata, out);
  if (p.externalRequestId === undefined) {
    out.push({
      rule: RULES.missingExternalRequestId,
      pointer: '/externalRequestId',
      message: 'no externalRequestId: a retried request will be counted twice',
      hint: 'generate one id per LLM call and reuse it on every retry',
      target: 'record',
    });
  }
  const { inputTokens: i, outputTokens: o, totalTokens: t } = p;
  if (typeof t === 'number' && typeof i === 'number' && typeof o === 'number' && t !== i + o) {
    out.push({
      rule: RULES.totalMismatch,
      pointer: '/totalTokens',
      message: `totalTokens is ${t} but inputTokens + outputTokens is ${i + o}`,
      target: 'value',
    });
  }
  checkCatalog(p, ctx, out);
  const { promptVersion: pv, endpointTag: et, featureTag: ft } = p;
  if (pv === undefined) {
    out.push({ rule: RULES.missingPromptVersion, pointer: '/promptVersion', message: 'no promptVersion', hint: 'e.g. "summarizer_v3"; new deploy = new version', target: 'record' });
  } else if (isPlaceholder(pv)) out.push(placeholderFinding('promptVersion', pv));
  if (et === undefined) {
    out.push({ rule: RULES.missingEndpointTag, pointer: '/endpointTag', message: 'no endpointTag', hint: 'name the product feature, e.g. "checkout.ai_summary"', target: 'record' });
  } else if (isPlaceholder(et)) out.push(placeholderFinding('endpointTag', et));
  if (ft !== undefined && isPlaceholder(ft)) out.push(placeholderFinding('featureTag', ft));
  if (!partial && p.latencyMs === undefined) {
    out.push({ rule: RULES.missingLatency, pointer: '/latencyMs', message: 'no latencyMs on a complete payload', target: 'record' });
  }
  // The Node SDK sends 0/0 as a success when the provider returned no usage.
  if (!partial && i === 0 && o === 0 && p.status === 'success') {
    out.push({
      rule: RULES.zeroUsage,
      pointer: '/inputTokens',
      message: 'status is "success" but inputTokens and outputTokens are both 0: usage that was not returned looks like a free call',
      target: 'value',
    });
  }
  const hasErrorCode = p.errorCode !== undefined && p.errorCode !== null;
  if (p.status === 'success' && hasErrorCode) {
    out.push({ rule: RULES.errorCodeOnSuccess, pointer: '/errorCode', message: 'errorCode is set but status is "success"', target: 'value' });
  } else if (p.status === 'error' && !hasErrorCode) {
    out.push({ rule: RULES.errorCodeMissing, pointer: '/errorCode', message: 'status is "error" but errorCode is missing', hint: 'e.g. "provider_timeout"', target: 'record' });
  }
  checkModeEnvironment(p, out);
  return out;
}

function usageMissing(name: 'inputTokens' | 'outputTokens', out: Finding[]): void {
  out.push({
    rule: RULES.usageMissing,
    pointer: '/' + name,
    message: `${name} is missing and the payload is not marked partial`,
    hint: 'send the measured count, or mark the payload partial: metadata.usageStatus="partial" and metadata.partialReason="usage_missing"',
    target: 'record',
  });
}

function caseHint(k: string): string | undefined {
  const lower = k.toLowerCase().replace(/[_-]/g, '');
  for (const f of FIELD_NAMES) if (f.toLowerCase() === lower) return `did you mean "${f}"?`;
  return undefined;
}

function checkCreatedAt(v: unknown, ctx: LintContext, errorsOnly: boolean, out: Finding[]): void {
  if (typeof v !== 'string') {
    out.push({ rule: RULES.type, pointer: '/createdAt', message: `createdAt must be an ISO-8601 string, got ${describe(v)}`, target: 'value' });
    return;
  }
  const t = parseZonedDateTime(v);
  if (Number.isNaN(t)) {
    const zoneless = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v);
    out.push({
      rule: RULES.createdAt,
      pointer: '/createdAt',
      message: zoneless ? `createdAt ${JSON.stringify(v)} has no time zone` : `createdAt ${JSON.stringify(v)} is not an ISO-8601 date-time`,
      hint: zoneless ? `if it is UTC, write ${JSON.stringify(v.replace(' ', 'T') + 'Z')}` : 'e.g. "2026-03-01T12:00:00Z"',
      target: 'value',
    });
    return;
  }
  if (errorsOnly) return;
  if (t > ctx.now + FUTURE_SKEW_MS) {
    out.push({ rule: RULES.createdAtFuture, pointer: '/createdAt', message: `createdAt ${v} lies in the future`, target: 'value' });
  } else if (t < ctx.now - FREE_RAW_RETENTION_DAYS * DAY_MS) {
    out.push({
      rule: RULES.createdAtOld,
      pointer: '/createdAt',
      message: `createdAt ${v} is more than ${FREE_RAW_RETENTION_DAYS} days old`,
      hint: 'on the Free plan raw rows older than 14 days are purged (Starter 30, Pro 90, Team 180)',
      target: 'value',
    });
  }
}

function checkMetadata(v: unknown, out: Finding[]): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    out.push({ rule: RULES.metadata, pointer: '/metadata', message: `metadata must be an object, got ${describe(v)}`, target: 'value' });
    return;
  }
  for (const k in v as Record<string, unknown>) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== null && typeof x === 'object') {
      out.push({
        rule: RULES.metadata,
        pointer: '/metadata/' + escapePointer(k),
        message: `metadata.${k} is ${describe(x)}; metadata values must be string, number, boolean or null`,
        hint: 'flatten it, or JSON-encode it into a string',
        target: 'value',
      });
    } else if (typeof x === 'number' && !Number.isFinite(x)) {
      out.push({ rule: RULES.metadata, pointer: '/metadata/' + escapePointer(k), message: `metadata.${k} is ${describe(x)}`, target: 'value' });
    }
  }
}

function checkCatalog(p: Record<string, unknown>, ctx: LintContext, out: Finding[]): void {
  const { provider, model } = p;
  if (typeof provider !== 'string' || provider === '') return;
  const cat = ctx.catalog;
  // The common case first: a known pair answers with one lookup.
  if (typeof model === 'string' && model !== '' && cat.get(provider, model)) return;
  if (!cat.hasProvider(provider)) {
    const s = cat.suggestProvider(provider);
    out.push({
      rule: RULES.unknownProvider,
      pointer: '/provider',
      message: `provider "${provider}" is not in the catalog (${cat.source}, ${cat.date}); the row would be priced at $0`,
      hint: s ? `did you mean "${s}"?` : undefined,
      target: 'value',
    });
    return;
  }
  if (typeof model !== 'string' || model === '') return;
  const s = cat.suggestModel(provider, model);
  out.push({
    rule: RULES.unknownModel,
    pointer: '/model',
    message: `model "${model}" is not in the catalog for provider "${provider}" (${cat.source}, ${cat.date}); the row would be priced at $0`,
    hint: s ? `did you mean "${s}"?` : undefined,
    target: 'value',
  });
}

function checkModeEnvironment(p: Record<string, unknown>, out: Finding[]): void {
  const mode = p.dataMode ?? 'real';
  const env = p.environment ?? 'prod';
  if (mode === 'real' && (env === 'dev' || env === 'staging')) {
    out.push({
      rule: RULES.modeEnvironmentMix,
      pointer: p.environment === undefined ? '/dataMode' : '/environment',
      message: `dataMode "real" with environment "${env}": real usage from a non-production environment`,
      hint: 'QA traffic should be dataMode "test"',
      target: 'value',
    });
  } else if ((mode === 'test' || mode === 'demo') && env === 'prod') {
    out.push({
      rule: RULES.modeEnvironmentMix,
      pointer: p.environment === undefined ? '/dataMode' : '/environment',
      message: `dataMode "${String(mode)}" with environment "prod"${p.environment === undefined ? ' (the default)' : ''}: test data mixed into production`,
      hint: mode === 'demo' ? 'demo rows belong in environment "dev"' : 'test rows belong in environment "staging" or "dev"',
      target: 'value',
    });
  }
}

export type { FieldName };
