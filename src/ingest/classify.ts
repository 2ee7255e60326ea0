/**
 * The response classification of docs/send.md "What each event ends as", as a pure function: one HTTP
 * exchange (a response, or a network failure / timeout) → one verdict. No I/O, no clock
 * except the `now` passed in (for Retry-After given as an HTTP-date).
 *
 *   2xx, the API's   accepted      body flags (planTier, warnings, budgetWarning, …) kept
 *   2xx, not it      not-api       a body that is not the endpoint's JSON (a portal's HTML,
 *                                  a cut body): retried like a 5xx, never accepted
 *   429              throttled     wait Retry-After (delta-seconds or HTTP-date; 1 s when absent)
 *   402 plan         paused        reason = plan_limit_reached: telemetry paused by the plan limit
 *   402 other        blocked       budget hard stop (the API does not document its reason value)
 *   401, 403         unauthorized
 *   other 4xx/3xx    rejected      the server's message, no retry
 *   5xx, 408,
 *   network,
 *   timeout          failed        retried with backoff; ends as gave-up when retries run out
 *
 * Final outcomes (what each event ends as) add `gave-up` and `not-sent`; see `OUTCOMES`.
 */
import type { Exchange, HttpResponse } from './client.js';

export const OUTCOMES = ['accepted', 'paused', 'blocked', 'unauthorized', 'rejected', 'not-api', 'gave-up', 'not-sent'] as const;
export type SendOutcome = (typeof OUTCOMES)[number];

/** Fields of a success body worth telling the user about (all optional; the API documents them loosely). */
export interface AcceptedInfo {
  ok?: boolean;
  planTier?: string;
  warnings: string[];
  budgetWarning?: boolean;
  budgetExceeded?: boolean;
  reason?: string;
  telemetryPaused?: boolean;
  isPlanLimitReached?: boolean;
  providerCallsContinue?: boolean;
  planLimitRequests?: number;
  freeLimitRemainingRequests?: number;
}

export type RetryAfterForm = 'seconds' | 'http-date' | 'absent' | 'invalid';

export type Verdict =
  | { kind: 'accepted'; status: number; info: AcceptedInfo }
  | { kind: 'throttled'; status: 429; retryAfterMs: number; retryAfterForm: RetryAfterForm }
  | { kind: 'paused'; status: 402; reason: string; message: string; info: AcceptedInfo }
  | { kind: 'blocked'; status: 402; reason?: string; message: string; info: AcceptedInfo }
  | { kind: 'unauthorized'; status: number; message: string }
  | { kind: 'rejected'; status: number; message: string; hint?: string }
  /** A 2xx that is not the endpoint's answer: the message says what came back. */
  | { kind: 'not-api'; status: number; message: string }
  | { kind: 'failed'; status?: number; message: string; notDelivered: boolean };

/**
 * What a 2xx must carry to be the API's own answer (docs/send.md "What counts as delivered"):
 * - `ingest`: the ingest response, a JSON object with `ok` (docs/api-facts.md §3.1);
 * - `object`: a JSON object (the workspace status, §1.4);
 * - `json`: any JSON (the pricing models, whose shape is unknown, §4);
 * - `empty-or-json`: no body, or JSON (the cleanup endpoints, whose body is undocumented, §6).
 * A captive portal's or a proxy's page, or a body cut short, is none of them.
 */
export type AnswerShape = 'ingest' | 'object' | 'json' | 'empty-or-json';

/** Used when Retry-After is absent or unreadable (the docs' own client does the same). */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * Retry-After as delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"),
 * RFC 9110 §10.2.3. A date in the past means "now". Fractional seconds are tolerated.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): { ms: number; form: RetryAfterForm } {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (v === undefined || v === '') return { ms: DEFAULT_RETRY_AFTER_MS, form: 'absent' };
  if (/^\d+(?:\.\d+)?$/.test(v)) {
    const s = Number(v);
    return Number.isFinite(s) ? { ms: Math.round(s * 1000), form: 'seconds' } : { ms: DEFAULT_RETRY_AFTER_MS, form: 'invalid' };
  }
  // Only accept something that looks like a date, so "soon" or "-5" are not read as one.
  if (/[a-z]{3}/i.test(v) && /\d{1,2}:\d{2}/.test(v)) {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return { ms: Math.max(0, t - now), form: 'http-date' };
  }
  return { ms: DEFAULT_RETRY_AFTER_MS, form: 'invalid' };
}

function parseJson(text: string): unknown {
  const t = text.trim();
  if (t === '' || (t[0] !== '{' && t[0] !== '[')) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function acceptedInfo(body: unknown): AcceptedInfo {
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const warnings = Array.isArray(b.warnings) ? b.warnings.map((w) => (typeof w === 'string' ? w : JSON.stringify(w))) : [];
  const info: AcceptedInfo = { warnings };
  const set = <K extends keyof AcceptedInfo>(k: K, v: AcceptedInfo[K] | undefined) => {
    if (v !== undefined) info[k] = v;
  };
  set('ok', bool(b.ok));
  set('planTier', str(b.planTier));
  set('budgetWarning', bool(b.budgetWarning));
  set('budgetExceeded', bool(b.budgetExceeded));
  set('reason', str(b.reason));
  set('telemetryPaused', bool(b.telemetryPaused));
  set('isPlanLimitReached', bool(b.isPlanLimitReached));
  set('providerCallsContinue', bool(b.providerCallsContinue));
  set('planLimitRequests', num(b.planLimitRequests));
  set('freeLimitRemainingRequests', num(b.freeLimitRemainingRequests));
  return info;
}

const MAX_MESSAGE_CHARS = 500;
const MAX_LISTED_ERRORS = 5;

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_MESSAGE_CHARS ? one.slice(0, MAX_MESSAGE_CHARS) + '…' : one;
}

function listErrors(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED_ERRORS).join('; ');
  return items.length > MAX_LISTED_ERRORS ? `${shown}; and ${items.length - MAX_LISTED_ERRORS} more` : shown;
}

/**
 * The server's own words for an error response. Understands the emulator's
 * `{ok:false, errors:[{pointer, message}]}`, ASP.NET-style `{title, errors:{Field:[msg]}}`,
 * `{message}`, `{error}`, `{error:{message}}`, `{detail}`, and falls back to the raw text.
 */
export function serverMessage(bodyText: string, status: number): string {
  const body = parseJson(bodyText) as Record<string, unknown> | unknown[] | undefined;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const errors = body.errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const items = errors.map((e) => {
        if (typeof e === 'string') return e;
        const o = (e ?? {}) as Record<string, unknown>;
        const where = str(o.pointer) ?? str(o.field) ?? str(o.path) ?? (o.pointer === '' ? '(payload)' : undefined);
        const what = str(o.message) ?? str(o.detail) ?? JSON.stringify(e);
        return where ? `${where}: ${what}` : what;
      });
      return clip(listErrors(items));
    }
    if (errors && typeof errors === 'object') {
      const items: string[] = [];
      for (const [field, msgs] of Object.entries(errors as Record<string, unknown>)) {
        for (const m of Array.isArray(msgs) ? msgs : [msgs]) items.push(`${field}: ${typeof m === 'string' ? m : JSON.stringify(m)}`);
      }
      if (items.length > 0) return clip(listErrors(items));
    }
    const err = body.error as unknown;
    const nested = err && typeof err === 'object' ? str((err as Record<string, unknown>).message) : undefined;
    const m = str(body.message) ?? str(err) ?? nested ?? str(body.detail) ?? str(body.title) ?? str(body.reason);
    if (m) return clip(m);
  }
  const raw = bodyText.trim();
  if (raw === '') return `HTTP ${status} with an empty body`;
  if (raw.startsWith('<')) return `HTTP ${status} (an HTML page, not an API response)`;
  return clip(raw);
}

function rejectionHint(status: number): string | undefined {
  if (status === 404 || status === 405) return 'check --base-url / OPSMETER_API_BASE_URL: this path is not an Opsmeter ingest endpoint there';
  if (status === 409) return 'a conflict on ingest usually means this externalRequestId is already stored';
  if (status === 413) return 'the payload is too large for the server';
  if (status >= 300 && status < 400) return 'the server redirected; use the final URL as --base-url';
  return undefined;
}

/** A success body as far as the verdict needs it: its flags, and whether it has the shape asked for. */
interface SuccessBody {
  info: AcceptedInfo;
  /** undefined: no JSON at all; else the JSON value's kind. */
  json: 'object' | 'other' | undefined;
  hasOk: boolean;
}

/**
 * Success bodies are mostly byte-identical from one request to the next; remembering the
 * last one saves a JSON.parse per event. (The result is read-only to callers.)
 */
let lastSuccessText: string | undefined;
let lastSuccess: SuccessBody | undefined;
function successBody(text: string): SuccessBody {
  if (text !== lastSuccessText || lastSuccess === undefined) {
    const t = text.trim();
    let value: unknown;
    let parsed = false;
    if (t !== '') {
      try {
        value = JSON.parse(t);
        parsed = true;
      } catch {
        parsed = false;
      }
    }
    const isObject = parsed && typeof value === 'object' && value !== null && !Array.isArray(value);
    lastSuccess = {
      info: acceptedInfo(isObject ? value : undefined),
      json: parsed ? (isObject ? 'object' : 'other') : undefined,
      hasOk: isObject && Object.hasOwn(value as object, 'ok'),
    };
    lastSuccessText = text;
  }
  return lastSuccess;
}

/** Whether a success body has the shape the endpoint answers with. */
function isTheApisAnswer(body: SuccessBody, text: string, shape: AnswerShape): boolean {
  switch (shape) {
    case 'ingest':
      return body.hasOk;
    case 'object':
      return body.json === 'object';
    case 'json':
      return body.json !== undefined;
    case 'empty-or-json':
      return body.json !== undefined || text.trim() === '';
  }
}

const FIRST_CHARS = 80;
/** What a body lacks to be the API's answer, per shape. */
const LACKS: Record<AnswerShape, string> = {
  ingest: 'not a JSON object with "ok"',
  object: 'not a JSON object',
  json: 'not JSON',
  'empty-or-json': 'neither empty nor JSON',
};

/** What came back instead of the API's answer: status, content type, what it lacks and the first characters (escaped, so a page's control characters cannot reach a terminal). */
export function describeForeignAnswer(x: HttpResponse, shape: AnswerShape): string {
  const type = x.headers['content-type'];
  const contentType = (Array.isArray(type) ? type[0] : type) ?? 'no content type';
  const start = x.body.trimStart();
  const shown = start === '' ? 'an empty body' : `${JSON.stringify(start.slice(0, FIRST_CHARS))}${start.length > FIRST_CHARS ? '…' : ''}`;
  return `not the Opsmeter API — a proxy or portal? HTTP ${x.status} (${contentType}), ${LACKS[shape]}: ${shown}`;
}

/**
 * Classify one exchange. `now` is the current epoch ms (for HTTP-date Retry-After); `shape` is
 * what a 2xx from this endpoint must carry to count as the API's answer.
 */
export function classify(x: Exchange, now: number, shape: AnswerShape): Verdict {
  if (x.kind === 'network') return { kind: 'failed', message: x.message, notDelivered: x.notDelivered };
  const { status } = x;
  if (status >= 200 && status < 300) {
    const body = successBody(x.body);
    if (!isTheApisAnswer(body, x.body, shape)) return { kind: 'not-api', status, message: describeForeignAnswer(x, shape) };
    return { kind: 'accepted', status, info: body.info };
  }
  if (status === 429) {
    const ra = parseRetryAfter(x.headers['retry-after'], now);
    return { kind: 'throttled', status: 429, retryAfterMs: ra.ms, retryAfterForm: ra.form };
  }
  if (status === 402) {
    const body = parseJson(x.body);
    const info = acceptedInfo(body);
    const message = serverMessage(x.body, status);
    if (info.reason === 'plan_limit_reached') return { kind: 'paused', status: 402, reason: info.reason, message, info };
    return info.reason !== undefined
      ? { kind: 'blocked', status: 402, reason: info.reason, message, info }
      : { kind: 'blocked', status: 402, message, info };
  }
  if (status === 401 || status === 403) return { kind: 'unauthorized', status, message: serverMessage(x.body, status) };
  // 408 Request Timeout is the server saying "try again"; like a 5xx, nothing was stored.
  if (status >= 500 || status === 408) return { kind: 'failed', status, message: `HTTP ${status}: ${serverMessage(x.body, status)}`, notDelivered: status === 408 };
  const hint = rejectionHint(status);
  const message = serverMessage(x.body, status);
  return hint ? { kind: 'rejected', status, message, hint } : { kind: 'rejected', status, message };
}
