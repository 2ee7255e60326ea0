/**
 * The emulator's fault decision (docs/emulate.md, "Ingest: what happens to a request, in
 * order"): given the emulator's state (state.ts: fault settings, ledger, rate limiter, seeded
 * PRNG) and one request, the answer — status, headers, JSON body — and whether a row is stored.
 * No sockets and no files: the HTTP shell (server.ts) reads the body, checks the key, writes
 * the store and sends what is decided here, so every answer can be tested in process.
 *
 * An ingest request is decided in two steps, because the first is taken before its body is read:
 *   admit: rate limit (429) → fail rate (503);
 *   judge: body size (413) → UTF-8 / JSON / duplicate keys / payload (400) → duplicate id (200
 *          + warning, not counted; a conflict when its usage or model differ) → a store that
 *          cannot be written (500) → plan limit / hard budget (402) → accepted (200; the row
 *          is counted now and the shell writes it before the 200).
 * Every body that is read is linted (check-body.ts); the findings ride on the reply to the log.
 * The position finder (read/locate.ts) must be loaded first: startEmulator does it.
 */
import type { Payload } from '../contract/fields.js';
import type { Finding } from '../contract/lint.js';
import { RULES, type RuleInfo } from '../contract/rules.js';
import { checkBody, type PayloadError, type RequestFinding } from './check-body.js';
import { CLEANUP_SCOPES, MAX_BODY_BYTES, type CleanupScope } from './constants.js';
import type { FaultSettings } from './faults.js';
import type { DataMode, PolicyStop, Posture } from './ledger.js';
import type { EmulatorState, ReplyKind } from './state.js';
import { usd } from './usd.js';

/** One HTTP answer: every body is JSON. */
export interface Reply {
  status: number;
  outcome: ReplyKind;
  /** The JSON text. */
  body: string;
  headers?: Record<string, string>;
  /** The row's id, for the request log. */
  externalRequestId?: string;
  /** The body's lint findings (team severities), for the request log. */
  findings?: RequestFinding[];
  /** A duplicate id whose usage or model differ from the stored row's. */
  conflict?: true;
}

export interface Decision {
  reply: Reply;
  /** An accepted row, already counted: the shell writes it to its store before sending the reply. */
  store?: Payload;
  /** A duplicate: its original may still be on its way to the store, so the reply waits for the store. */
  afterStoreFlush?: true;
  /** Rows of this dataMode were deleted: the shell rewrites its store without them before replying. */
  rewriteWithout?: DataMode;
}

export interface IngestRequest {
  /** The body as read; 'too-large' once it passed MAX_BODY_BYTES. */
  body: Buffer | 'too-large';
  /** POST /v1/ingest/demo: an empty body makes a demo row, a payload is stored as one. */
  demo: boolean;
  /** Wall clock (ms) for the lint's date checks and a generated demo row. */
  now: number;
  /** A store write that failed, if any: new rows are then refused rather than lost. */
  storeFailure?: Error;
}

const DUPLICATE_WARNING = 'duplicate externalRequestId: not counted';

export function jsonReply(status: number, outcome: ReplyKind, body: object, headers?: Record<string, string>, externalRequestId?: string): Reply {
  return { status, outcome, body: JSON.stringify(body), headers, externalRequestId };
}

const refused = (status: number, outcome: ReplyKind, error: string, headers?: Record<string, string>): Decision => ({ reply: jsonReply(status, outcome, { ok: false, error }, headers) });

/** The checks taken before the body is read: rate limit, then fail rate. Undefined: read the body and judge it. */
export function admit(state: EmulatorState, now: number): Decision | undefined {
  const faults = state.faults;
  const bucket = state.rateLimiter();
  if (bucket) {
    const d = bucket.take();
    if (!d.allowed) {
      const { headers, seconds } = retryAfter(faults, d.waitMs, now);
      return refused(429, 'throttled', `Telemetry throttled: more than ${faults.rateLimit} requests/s; retry after ${seconds}s.`, headers);
    }
  }
  if (faults.failRate > 0 && state.failDraw() < faults.failRate) return refused(503, 'failed', 'service unavailable (simulated by --fail-rate)');
  return undefined;
}

/** The checks of an admitted request's body, and the row counted when it is accepted. */
export function judge(state: EmulatorState, req: IngestRequest): Decision {
  if (req.body === 'too-large') return refused(413, 'rejected', `request body is larger than ${MAX_BODY_BYTES} bytes; send one payload per request`);
  const read = checkBody(req.body, { catalog: state.catalog, rules: state.rules, now: req.now, demo: req.demo, demoRow: state.demoRow });
  if (!read.ok) return withFindings(rejected(read.errors), read.findings, read.externalRequestId);
  const { payload, serverWarnings, findings } = read;
  const { ledger, faults } = state;
  const id = payload.externalRequestId;
  const repeat = ledger.repeatOf(payload);
  if (repeat) {
    const d = withFindings({ reply: jsonReply(200, 'duplicate', ingestBody(ledger.posture(faults), [DUPLICATE_WARNING, ...serverWarnings]), undefined, id), afterStoreFlush: true }, findings, id);
    if (repeat === 'conflict') {
      d.reply.conflict = true;
      // Answered as the API answers any duplicate; the team sees it as the rule validate reports across files.
      const rule = state.rules ? state.rules.effective(RULES.duplicateExternalRequestId) : RULES.duplicateExternalRequestId;
      if (rule) d.reply.findings = [...findings, ...read.locate([conflictFinding(rule, id!)])];
    }
    return d;
  }
  // Accepting a row the store cannot hold would lose it: refuse instead (a 5xx is retried).
  if (req.storeFailure) return withFindings(storeFailed(req.storeFailure), findings, id);
  const stop = ledger.stopReason(faults);
  if (stop) return withFindings({ reply: jsonReply(402, stop === 'plan_limit_reached' ? 'paused' : 'blocked', stopBody(stop, ledger.posture(faults), ledger.spendUsd, faults), undefined, id) }, findings, id);
  // Counted now, so the next request sees it; the answer reports the posture right after it.
  ledger.add(payload);
  return withFindings({ reply: jsonReply(200, 'accepted', ingestBody(ledger.posture(faults), serverWarnings), undefined, id), store: payload }, findings, id);
}

function withFindings(d: Decision, findings: RequestFinding[], externalRequestId: string | undefined): Decision {
  d.reply.findings = findings;
  if (externalRequestId !== undefined) d.reply.externalRequestId = externalRequestId;
  return d;
}

function conflictFinding(rule: RuleInfo, id: string): Finding {
  return {
    rule,
    pointer: '/externalRequestId',
    message: `externalRequestId "${id}" was stored before with a different usage or model; this payload is answered as a duplicate and not counted`,
    hint: 'give each LLM call its own id; reuse an id only to retry the same call, with the same model and usage',
    target: 'value',
  };
}

/** An accepted row whose store write failed: counted out again, and refused. */
export function unstored(state: EmulatorState, row: Payload, error: Error): Decision {
  state.ledger.remove(row);
  return storeFailed(error);
}

const storeFailed = (error: Error): Decision => refused(500, 'failed', `emulator cannot write its store: ${error.message}`);

/**
 * DELETE test-data / demo-data: the rows of one dataMode are forgotten (the shell rewrites its
 * store without them). One dashboard user, the workspace's owner, sent every row: "mine" and
 * "workspace" match the same rows.
 */
export function deleteRows(state: EmulatorState, mode: DataMode, query: string): Decision {
  const scope = new URLSearchParams(query).get('scope') ?? 'mine';
  if (!(CLEANUP_SCOPES as readonly string[]).includes(scope)) return refused(400, 'rejected', `scope must be ${CLEANUP_SCOPES.join(' or ')}, got "${scope}"`);
  const deleted = state.ledger.deleteMode(mode);
  state.stats.deleted += deleted;
  return { reply: jsonReply(200, 'deleted', { ok: true, dataMode: mode, scope: scope as CleanupScope, deleted }), rewriteWithout: mode };
}

function rejected(errors: PayloadError[]): Decision {
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  const summary = first.rule === 'json/syntax' ? first.message : `invalid payload: ${first.pointer ? first.pointer + ': ' : ''}${first.message}${more}`;
  return { reply: jsonReply(400, 'rejected', { ok: false, error: summary, errors }) };
}

function retryAfter(faults: FaultSettings, waitMs: number, now: number): { headers: Record<string, string>; seconds: number } {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  if (faults.retryAfterMode === 'none') return { headers: {}, seconds };
  if (faults.retryAfterMode === 'http-date') {
    // An HTTP-date has whole seconds: round up so a client never retries early.
    const at = Math.ceil((now + seconds * 1000) / 1000) * 1000;
    return { headers: { 'retry-after': new Date(at).toUTCString() }, seconds };
  }
  return { headers: { 'retry-after': String(seconds) }, seconds };
}

function ingestBody(posture: Posture, warnings: string[]): object {
  return {
    ok: true,
    planTier: posture.planTier,
    warnings,
    budgetWarning: posture.budgetWarning,
    budgetExceeded: posture.budgetExceeded,
    planLimitRequests: posture.planLimitRequests,
    freeLimitRemainingRequests: posture.freeLimitRemainingRequests,
    reason: null,
    telemetryPaused: posture.telemetryPaused,
    isPlanLimitReached: posture.isPlanLimitReached,
    providerCallsContinue: true,
  };
}

function stopBody(reason: PolicyStop, posture: Posture, spendUsd: number, faults: FaultSettings): object {
  const error =
    reason === 'plan_limit_reached'
      ? `Telemetry paused: plan limit of ${posture.planLimitRequests} requests reached on the ${posture.planTier} plan. LLM calls keep running; raise the plan to resume telemetry.`
      : `Budget hard stop: estimated spend ${usd(spendUsd, faults.budgetUsd)} is past the budget of ${usd(faults.budgetUsd ?? 0)}; ingest is refused until the budget is raised. LLM calls keep running.`;
  return {
    ok: false,
    error,
    reason,
    // Only the plan limit pauses telemetry; a budget stop is the workspace's spend policy.
    telemetryPaused: reason === 'plan_limit_reached',
    providerCallsContinue: true,
    isPlanLimitReached: posture.isPlanLimitReached,
    planTier: posture.planTier,
    planLimitRequests: posture.planLimitRequests,
    freeLimitRemainingRequests: posture.freeLimitRemainingRequests,
    budgetWarning: posture.budgetWarning,
    budgetExceeded: posture.budgetExceeded,
    warnings: [],
  };
}
