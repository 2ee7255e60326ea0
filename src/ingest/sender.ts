/**
 * The sender: takes payloads from any (async) iterable and sends each one, with bounded
 * concurrency, an optional request-rate cap, local validation first, retries (same
 * externalRequestId every time), and a stop on 402 / 401 / 403, when the server has not
 * answered for the give-up time (pacer.ts), or on request (a signal, a journal that failed).
 * An event is accepted only when the API's own JSON said so (classify.ts, shape `ingest`).
 *
 * Entry point for other commands (`import --send` streams into this):
 *
 *   const sender = new Sender({ client, catalog, concurrency, ... }, hooks);
 *   const report = await sender.run(items);   // items: AsyncIterable<SendItem> | Iterable<SendItem>
 *
 * Items are pulled lazily, one per free worker, so memory stays flat however many there
 * are. Every item pulled ends in exactly one outcome (OUTCOMES in classify.ts), reported
 * through `hooks.onResult` — except items whose externalRequestId the journal already
 * holds as accepted, which are skipped (`hooks.onSkip`). After a 402 or 401/403 stop,
 * the rest of the input is still read and counted as not-sent, so every input is
 * accounted for; after `stop('interrupted')` nothing more is read.
 *
 * Most callers want `runSendSession` (cli/send-session.ts), which adds the client, journal,
 * SIGINT handling, progress line and summary around this; its --dry-run is this sender with
 * a `dryRun` sink instead of a client, so a dry run checks exactly what a send would.
 */
import type { Catalog } from '../contract/catalog.js';
import { lintPayload } from '../contract/lint.js';
import type { RulePolicy } from '../contract/rule-settings.js';
import type { ApiClient, Exchange } from './client.js';
import { systemClock, type Clock } from './clock.js';
import type { AcceptedInfo, SendOutcome, Verdict } from './classify.js';
import { Pacer } from './pacer.js';
import { DEFAULT_POLICY, withRetries, type RetryPolicy } from './retry.js';
import type { StopSignal } from '../errors.js';

export const INGEST_PATH = '/v1/ingest/llm-request';
export const DEMO_INGEST_PATH = '/v1/ingest/demo';

/** One thing to send: a parsed payload, or a record that could not be read (readError). */
export interface SendItem {
  value: unknown;
  /** Where it came from, for messages: "events.jsonl:12", "generated #3". */
  where?: string;
  /** Set when the source record could not be parsed (the value is then ignored). */
  readError?: string;
  /** With readError: the whole file held no payloads (empty, blank lines, `[]`). */
  noPayloads?: boolean;
}

export type NotSentReason = 'invalid' | 'real-data' | 'stopped';
/**
 * Why the sender stopped issuing requests: a 402, a refused key, the server given up on
 * (no answer of the API's for the give-up time: pacer.ts), a signal, or the caller's journal
 * that could not be written.
 */
export type SendStopReason = 'paused' | 'blocked' | 'unauthorized' | 'unreachable' | 'interrupted' | 'journal-failed';

/** Why a stop happened, in words, when no answer of the API's says it. */
export interface StopDetail {
  message: string;
  /** With 'unreachable': every failure was a connection that could not be made. */
  unreachable?: boolean;
}

export interface EventResult {
  externalRequestId?: string;
  where?: string;
  outcome: SendOutcome;
  /** HTTP status of the last response, if there was one. */
  status?: number;
  attempts: number;
  message?: string;
  hint?: string;
  notSentReason?: NotSentReason;
}

export interface AttemptInfo {
  externalRequestId?: string;
  attempt: number;
  body: string;
  exchange: Exchange;
  verdict: Verdict;
}

export interface SenderHooks {
  onResult?(r: EventResult): void;
  onSkip?(externalRequestId: string, where: string | undefined): void;
  onAttempt?(a: AttemptInfo): void;
  /** A new throttle window began (a 429 asked everyone to wait). */
  onThrottle?(waitMs: number): void;
  /** The first stop (402, 401/403 or interrupted). */
  onStop?(reason: SendStopReason, verdict: Verdict | undefined): void;
}

export interface SenderOptions {
  /** The API client events are posted with (required unless dryRun is given). */
  client?: ApiClient;
  /**
   * --dry-run: each event that passes the same local checks (journal skip, contract,
   * real-data guard) is handed here, in input order, instead of being sent. One worker, no
   * requests; the report counts exactly as a real run's up to the sending.
   */
  dryRun?: (value: unknown) => void | Promise<void>;
  catalog: Catalog;
  /** Workers sending at the same time (--concurrency). */
  concurrency: number;
  /** Max requests per second across all workers, retries included; undefined/0 = no cap. */
  rate?: number;
  policy?: RetryPolicy;
  /** Send dataMode "real" (or absent, which the server reads as real). */
  allowReal?: boolean;
  /** Endpoint path (INGEST_PATH or DEMO_INGEST_PATH). */
  path?: string;
  /** externalRequestIds already accepted in an earlier run (from the journal). */
  alreadyAccepted?: ReadonlySet<string>;
  /** Rule settings for the local check (opsmeter.config.json, --rule). */
  rules?: RulePolicy;
  random?: () => number;
  /** Time and timers for throttle windows, rate slots and retry waits (tests inject a virtual one). */
  clock?: Clock;
  /** Give up on the server after this long without an answer of the API's while requests fail (--give-up-after; default GIVE_UP_AFTER_MS). */
  giveUpAfterMs?: number;
}

/** Limit on examples kept for the summary (counts stay exact). */
const SAMPLE_LIMIT = 20;

export interface SendReport {
  /** Items pulled from the input (skipped ones included). */
  read: number;
  outcomes: Record<SendOutcome, number>;
  notSent: Record<NotSentReason, number>;
  /** Skipped because the journal holds them as accepted. */
  skipped: number;
  /** Requests made, retries included. */
  requests: number;
  retries: number;
  throttledResponses: number;
  /** Events that met at least one 429. */
  throttledEvents: number;
  failedResponses: number;
  /** 2xx answers that were not the API's (a portal's page, a cut body). */
  notApiResponses: number;
  eventsWithLintWarnings: number;
  eventsWithoutId: number;
  accepted: AcceptedSummary;
  stop?: { reason: SendStopReason; status?: number; message?: string; serverReason?: string; info?: AcceptedInfo; unreachable?: boolean };
  /** First few examples per problem outcome, for the summary. */
  samples: { rejected: EventResult[]; invalid: EventResult[]; gaveUp: EventResult[]; notApi: EventResult[]; refusedReal: EventResult[] };
  /** True when an interruption left part of the input unread. */
  inputLeftUnread: boolean;
  /** stop('interrupted') was called (SIGINT), whatever stopped the run first. */
  interrupted: boolean;
  /** The signal behind the interruption, when the caller said (SIGINT exits 130, SIGTERM 143, SIGHUP 129). */
  interruptedBy?: StopSignal;
  elapsedMs: number;
}

export interface AcceptedSummary {
  planTier?: string;
  /** Distinct warning texts from success bodies → how often. */
  warnings: Map<string, number>;
  warningCount: number;
  budgetWarning: number;
  budgetExceeded: number;
  telemetryPaused: number;
  planLimitReached: number;
  providerCallsContinue?: boolean;
  okFalse: number;
  reasons: Map<string, number>;
  freeLimitRemainingRequests?: number;
  planLimitRequests?: number;
}

function emptyReport(): SendReport {
  return {
    read: 0,
    outcomes: { accepted: 0, paused: 0, blocked: 0, unauthorized: 0, rejected: 0, 'not-api': 0, 'gave-up': 0, 'not-sent': 0 },
    notSent: { invalid: 0, 'real-data': 0, stopped: 0 },
    skipped: 0,
    requests: 0,
    retries: 0,
    throttledResponses: 0,
    throttledEvents: 0,
    failedResponses: 0,
    notApiResponses: 0,
    eventsWithLintWarnings: 0,
    eventsWithoutId: 0,
    accepted: { warnings: new Map(), warningCount: 0, budgetWarning: 0, budgetExceeded: 0, telemetryPaused: 0, planLimitReached: 0, okFalse: 0, reasons: new Map() },
    samples: { rejected: [], invalid: [], gaveUp: [], notApi: [], refusedReal: [] },
    inputLeftUnread: false,
    interrupted: false,
    elapsedMs: 0,
  };
}

export class Sender {
  private readonly report = emptyReport();
  private readonly policy: RetryPolicy;
  private readonly path: string;
  private readonly random: () => number;
  private readonly clock: Clock;
  /** Holds (429, outage), the pace and the give-up window, shared by every worker. */
  private readonly pacer: Pacer;
  private stopReason: SendStopReason | undefined;
  private interrupted = false;
  /** Reads waiting for input, woken by stop('interrupted'): input that never comes must not hold the run. */
  private readonly readers = new Set<() => void>();
  /** Requests on the wire right now, and events waiting to retry (for the progress line). */
  inFlight = 0;
  waiting = 0;

  constructor(
    private readonly opts: SenderOptions,
    private readonly hooks: SenderHooks = {},
  ) {
    if (!(opts.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
    if ((opts.client === undefined) === (opts.dryRun === undefined)) throw new TypeError('give the sender a client or a dryRun sink, not both');
    this.policy = opts.policy ?? DEFAULT_POLICY;
    this.path = opts.path ?? INGEST_PATH;
    this.random = opts.random ?? Math.random;
    this.clock = opts.clock ?? systemClock;
    this.pacer = new Pacer({ clock: this.clock, random: this.random, rate: opts.rate, giveUpAfterMs: opts.giveUpAfterMs, onThrottle: (ms) => hooks.onThrottle?.(ms) });
  }

  /** Live counters (read-only view) for progress lines. */
  get progress(): Readonly<SendReport> {
    return this.report;
  }

  get stopped(): SendStopReason | undefined {
    return this.stopReason;
  }

  /**
   * Stop issuing requests. In-flight requests finish and count; events waiting to retry
   * end as not-sent. 'interrupted' also stops reading the input; so does 'journal-failed'
   * (outcomes that cannot be recorded must not pile up). `detail` says why, for 'unreachable'
   * (the pacer's give-up) and 'journal-failed'.
   */
  stop(reason: SendStopReason, verdict?: Verdict, signal?: StopSignal, detail?: StopDetail): void {
    if (reason === 'interrupted' || reason === 'journal-failed') {
      if (reason === 'interrupted') {
        if (signal && !this.report.interruptedBy) this.report.interruptedBy = signal;
        this.report.interrupted = true;
      }
      this.interrupted = true;
      for (const wake of [...this.readers]) wake();
    }
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    if (verdict && (verdict.kind === 'paused' || verdict.kind === 'blocked' || verdict.kind === 'unauthorized')) {
      this.report.stop = {
        reason,
        status: verdict.status,
        message: verdict.message,
        serverReason: verdict.kind === 'unauthorized' ? undefined : verdict.reason,
        info: verdict.kind === 'unauthorized' ? undefined : verdict.info,
      };
    } else if (detail !== undefined) {
      this.report.stop = { reason, ...detail };
    } else {
      this.report.stop = { reason };
    }
    this.pacer.stop();
    this.hooks.onStop?.(reason, verdict);
  }

  async run(items: AsyncIterable<SendItem> | Iterable<SendItem>): Promise<SendReport> {
    const started = performance.now();
    const it: AsyncIterator<SendItem> | Iterator<SendItem> =
      Symbol.asyncIterator in items ? (items as AsyncIterable<SendItem>)[Symbol.asyncIterator]() : (items as Iterable<SendItem>)[Symbol.iterator]();
    let exhausted = false;
    const isAsync = Symbol.asyncIterator in items;
    let abandoned = false;
    const next = async (): Promise<SendItem | undefined> => {
      if (exhausted || this.interrupted) return undefined;
      const pending = it.next();
      if (isAsync) (pending as Promise<unknown>).catch(() => {}); // an abandoned read may still fail later
      const n = isAsync ? await this.unlessInterrupted(pending as Promise<IteratorResult<SendItem>>) : await pending;
      if (n === undefined) {
        abandoned = true; // interrupted while waiting for input; that read is dropped
        return undefined;
      }
      if (n.done) {
        exhausted = true;
        return undefined;
      }
      this.report.read++;
      return n.value;
    };
    const worker = async () => {
      while (this.stopReason === undefined) {
        const item = await next();
        if (item === undefined) return;
        await this.handle(item);
      }
    };
    try {
      // A dry run prints in input order: one worker.
      await Promise.all(Array.from({ length: this.opts.dryRun ? 1 : this.opts.concurrency }, worker));
      // Stopped by the API: account for the rest of the input as not-sent.
      while (!exhausted && !this.interrupted) {
        const item = await next();
        if (item === undefined) break;
        this.finishUnsent(item, 'stopped', 'not sent: sending stopped');
      }
    } finally {
      if (!exhausted) {
        this.report.inputLeftUnread = true;
        // A generator still busy with the abandoned read would only honour return() after it.
        const closing = it.return?.();
        if (!abandoned) await closing;
        else Promise.resolve(closing).catch(() => {});
      }
      this.pacer.stop();
    }
    this.report.elapsedMs = performance.now() - started;
    return this.report;
  }

  /**
   * The read's result, or undefined once interrupted. Not Promise.race with one long-lived
   * promise: that leaves a reaction on it per read, which kept every item read until the run
   * ended (memory growing with the input). This waker is dropped as soon as the read settles.
   */
  private unlessInterrupted<T>(read: Promise<T>): Promise<T | undefined> {
    if (this.interrupted) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      const wake = () => resolve(undefined);
      this.readers.add(wake);
      read.then(
        (v) => {
          this.readers.delete(wake);
          resolve(v);
        },
        (e: unknown) => {
          this.readers.delete(wake);
          reject(e);
        },
      );
    });
  }

  private finishUnsent(item: SendItem, reason: NotSentReason, message: string, id = idOf(item.value)): void {
    const r: EventResult = { externalRequestId: id, where: item.where, outcome: 'not-sent', attempts: 0, message, notSentReason: reason };
    this.report.notSent[reason]++;
    if (reason === 'invalid') sample(this.report.samples.invalid, r);
    if (reason === 'real-data') sample(this.report.samples.refusedReal, r);
    this.finish(r);
  }

  private finish(r: EventResult): void {
    this.report.outcomes[r.outcome]++;
    if (r.outcome === 'rejected') sample(this.report.samples.rejected, r);
    if (r.outcome === 'gave-up') sample(this.report.samples.gaveUp, r);
    if (r.outcome === 'not-api') sample(this.report.samples.notApi, r);
    this.hooks.onResult?.(r);
  }

  private async handle(item: SendItem): Promise<void> {
    if (item.readError !== undefined) return this.finishUnsent(item, 'invalid', item.readError, undefined);
    const value = item.value;
    const id = idOf(value);
    if (id !== undefined && this.opts.alreadyAccepted?.has(id)) {
      this.report.skipped++;
      this.hooks.onSkip?.(id, item.where);
      return;
    }
    const check = checkBeforeSend(value, this.opts.catalog, this.opts.allowReal === true, this.clock.now(), this.opts.rules);
    if (!check.ok) return this.finishUnsent(item, check.reason, check.message, id);
    const warned = check.warned;
    if (warned) this.report.eventsWithLintWarnings++;
    if (id === undefined) this.report.eventsWithoutId++;
    if (this.opts.dryRun) return this.opts.dryRun(value);

    // No hold, no pace and no cap: skip the async gate (one promise less per event).
    if (!(this.stopReason === undefined && this.pacer.open) && !(await this.pacer.gate())) return this.finishUnsent(item, 'stopped', 'not sent: sending stopped', id);

    const body = JSON.stringify(value);
    let throttled = false;
    let sentAt = 0;
    const result = await withRetries(this.policy, {
      shape: 'ingest',
      canRetryUncertain: id !== undefined,
      // A request that could not connect waits for the server; the give-up window bounds it.
      waitForServer: true,
      perform: async () => {
        this.report.requests++;
        this.inFlight++;
        sentAt = this.clock.now();
        try {
          return await this.opts.client!.post(this.path, body);
        } finally {
          this.inFlight--;
        }
      },
      onAttempt: ({ attempt, exchange, verdict }) => {
        if (attempt > 0) this.report.retries++;
        if (verdict.kind === 'throttled') {
          this.report.throttledResponses++;
          if (!throttled) this.report.throttledEvents++;
          throttled = true;
        } else if (verdict.kind === 'failed') this.report.failedResponses++;
        else if (verdict.kind === 'not-api') this.report.notApiResponses++;
        this.hooks.onAttempt?.({ externalRequestId: id, attempt, body, exchange, verdict });
        const giveUp = this.pacer.note(sentAt, exchange, verdict);
        if (giveUp && this.stopReason === undefined) this.stop('unreachable', verdict, undefined, giveUp);
      },
      wait: async ({ reason, delayMs }) => {
        this.waiting++;
        try {
          if (reason === 'backoff' && !(await this.pacer.sleep(delayMs))) return false;
          return await this.pacer.gate();
        } finally {
          this.waiting--;
        }
      },
      random: this.random,
      now: () => this.clock.now(),
    });
    const last = result.last;
    const status = 'status' in last ? last.status : undefined;
    const r: EventResult = { externalRequestId: id, where: item.where, outcome: result.outcome, attempts: result.attempts };
    if (status !== undefined) r.status = status;
    switch (result.outcome) {
      case 'accepted':
        if (last.kind === 'accepted') this.noteAccepted(last.info);
        break;
      case 'rejected':
        if (last.kind === 'rejected') {
          r.message = last.message;
          if (last.hint) r.hint = last.hint;
        }
        break;
      case 'paused':
      case 'blocked':
      case 'unauthorized':
        if ('message' in last) r.message = last.message;
        this.stop(result.outcome, last);
        break;
      case 'gave-up':
      case 'not-api':
        r.message = result.why;
        break;
      case 'not-sent':
        r.notSentReason = 'stopped';
        r.message = `not sent: sending stopped ${result.why === 'stopped while waiting for the server' ? 'while it waited for the server' : 'before its retry'} (last answer: ${describeVerdict(last)})`;
        this.report.notSent.stopped++;
        break;
    }
    this.finish(r);
  }

  private noteAccepted(info: AcceptedInfo): void {
    const a = this.report.accepted;
    if (info.planTier !== undefined) a.planTier = info.planTier;
    for (const w of info.warnings) {
      a.warningCount++;
      a.warnings.set(w, (a.warnings.get(w) ?? 0) + 1);
    }
    if (info.budgetWarning) a.budgetWarning++;
    if (info.budgetExceeded) a.budgetExceeded++;
    if (info.telemetryPaused) a.telemetryPaused++;
    if (info.isPlanLimitReached) a.planLimitReached++;
    if (info.providerCallsContinue !== undefined) a.providerCallsContinue = info.providerCallsContinue;
    if (info.ok === false) a.okFalse++;
    if (info.reason !== undefined) a.reasons.set(info.reason, (a.reasons.get(info.reason) ?? 0) + 1);
    if (info.freeLimitRemainingRequests !== undefined) a.freeLimitRemainingRequests = info.freeLimitRemainingRequests;
    if (info.planLimitRequests !== undefined) a.planLimitRequests = info.planLimitRequests;
  }
}

type Preflight = { ok: true; warned: boolean } | { ok: false; reason: 'invalid' | 'real-data'; message: string };

/**
 * The local checks every event passes before it may be sent (and what --dry-run shows):
 * the contract (lint errors block, warnings do not) and the real-data guard.
 */
function checkBeforeSend(value: unknown, catalog: Catalog, allowReal: boolean, now = Date.now(), rules?: RulePolicy): Preflight {
  const findings = lintPayload(value, rules ? { catalog, now, rules } : { catalog, now });
  let warned = false;
  const errors: string[] = [];
  for (const f of findings) {
    if (f.rule.severity === 'error') errors.push(`${f.pointer || '(payload)'}: ${f.message} [${f.rule.id}]`);
    else warned = true;
  }
  if (errors.length > 0) return { ok: false, reason: 'invalid', message: errors.join('; ') };
  const mode = (value as { dataMode?: unknown }).dataMode;
  if (!allowReal && (mode === undefined || mode === 'real')) {
    return {
      ok: false,
      reason: 'real-data',
      message: mode === undefined ? 'dataMode is absent, which the API reads as "real"; refused without --allow-real' : 'dataMode is "real"; refused without --allow-real',
    };
  }
  return { ok: true, warned };
}

function idOf(value: unknown): string | undefined {
  const id = (value as { externalRequestId?: unknown } | null)?.externalRequestId;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

function sample(list: EventResult[], r: EventResult): void {
  if (list.length < SAMPLE_LIMIT) list.push(r);
}

function describeVerdict(v: Verdict): string {
  switch (v.kind) {
    case 'accepted':
      return `HTTP ${v.status} accepted`;
    case 'throttled':
      return 'HTTP 429 throttled';
    case 'failed':
    case 'not-api':
      return v.message;
    default:
      return `HTTP ${v.status} ${v.kind}`;
  }
}
