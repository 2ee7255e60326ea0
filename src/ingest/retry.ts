/**
 * Retrying one request: 429 waits what Retry-After says, 5xx / network errors / timeouts /
 * answers that are not the API's back off exponentially with jitter, anything else is final.
 * The caller sends the SAME body on every attempt, so the externalRequestId never changes
 * between retries.
 *
 * A request that could not even connect (refused, no such host, connect timeout) reached no
 * server: for the sender that is no retry of the event but a wait for the server, which the
 * sender bounds by time (its give-up window), so a restart costs no event and `--max-retries`
 * keeps counting what it always counted: answers and exchanges that failed the event.
 *
 * `decide` is the pure policy (unit-tested); `withRetries` runs it, with the waiting and
 * the stop check supplied by the caller (the sender shares one throttle window, one outage
 * and one rate limit across all its workers).
 */
import type { Exchange } from './client.js';
import { classify, type AnswerShape, type SendOutcome, type Verdict } from './classify.js';

export interface RetryPolicy {
  /** Retries after the first attempt (--max-retries). */
  maxRetries: number;
  /** First backoff step for 5xx / network errors. */
  baseDelayMs: number;
  /** Backoff never exceeds this. */
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the event ends as gave-up. */
  maxRetryAfterMs: number;
}

export const DEFAULT_POLICY: RetryPolicy = { maxRetries: 3, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 120_000 };

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so
 * concurrent senders spread out but never retry instantly. attempt is 0 for the first retry.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

export type Step =
  | { action: 'done'; outcome: Exclude<SendOutcome, 'not-sent'>; why?: string }
  | { action: 'retry'; delayMs: number; throttled: boolean }
  /** The request could not connect: wait for the server (no retry used). */
  | { action: 'wait-for-server' };

export interface DecideOptions {
  /** The event has an externalRequestId: a retry after an ambiguous failure cannot double count it. */
  canRetryUncertain?: boolean;
  /** A request that could not connect waits for the server instead of using a retry (the sender's outage handling). */
  waitForServer?: boolean;
}

/** What to do after an attempt ended with this verdict, `retries` retries having been used before it. */
export function decide(v: Verdict, retries: number, policy: RetryPolicy, random: () => number, opts: DecideOptions = {}): Step {
  const canRetryUncertain = opts.canRetryUncertain ?? true;
  switch (v.kind) {
    case 'accepted':
    case 'paused':
    case 'blocked':
    case 'unauthorized':
    case 'rejected':
      return { action: 'done', outcome: v.kind };
    case 'throttled':
      if (v.retryAfterMs > policy.maxRetryAfterMs) {
        return { action: 'done', outcome: 'gave-up', why: `throttled: the server asked to wait ${Math.ceil(v.retryAfterMs / 1000)} s, longer than the ${policy.maxRetryAfterMs / 1000} s opsmeter waits` };
      }
      if (retries >= policy.maxRetries) return { action: 'done', outcome: 'gave-up', why: `still throttled (429) after ${retriesWord(policy.maxRetries)}` };
      return { action: 'retry', delayMs: v.retryAfterMs, throttled: true };
    case 'failed':
    case 'not-api': {
      const outcome = v.kind === 'failed' ? 'gave-up' : 'not-api';
      const notConnected = v.kind === 'failed' && v.notDelivered && v.status === undefined;
      if (notConnected && opts.waitForServer) return { action: 'wait-for-server' };
      if (retries >= policy.maxRetries) {
        return { action: 'done', outcome, why: policy.maxRetries > 0 ? `${v.message} (after ${retriesWord(policy.maxRetries)})` : v.message };
      }
      // Without an idempotency key a retry after an ambiguous failure could double count.
      if (!canRetryUncertain && !(v.kind === 'failed' && v.notDelivered)) return { action: 'done', outcome, why: `${v.message} (not retried: no externalRequestId, the server may have stored it)` };
      return { action: 'retry', delayMs: backoffMs(retries, policy, random), throttled: false };
    }
  }
}

const retriesWord = (n: number) => `${n} retr${n === 1 ? 'y' : 'ies'}`;

export interface AttemptRecord {
  /** 0-based, every attempt counted (waits for the server included). */
  attempt: number;
  exchange: Exchange;
  verdict: Verdict;
}

/** Why an event waits before its next attempt. */
export type WaitReason = 'backoff' | 'throttled' | 'server';

export interface RetryHooks extends DecideOptions {
  /** What a 2xx from this endpoint must carry to be the API's answer. */
  shape: AnswerShape;
  /** Perform one attempt (the same request each time). */
  perform(attempt: number): Promise<Exchange>;
  /** Wait before the next attempt; resolve false when the run was stopped meanwhile. */
  wait(step: { reason: WaitReason; delayMs: number; verdict: Verdict; attempt: number }): Promise<boolean>;
  /** Called after every attempt (verbose dumps, progress, counters). */
  onAttempt?(r: AttemptRecord): void;
  now?: () => number;
  random?: () => number;
}

export interface RetryResult {
  /** `not-sent` when a stop came while waiting to retry (or for the server). */
  outcome: SendOutcome;
  /** The verdict of the last attempt. */
  last: Verdict;
  attempts: number;
  why?: string;
}

export async function withRetries(policy: RetryPolicy, hooks: RetryHooks): Promise<RetryResult> {
  const now = hooks.now ?? Date.now;
  const random = hooks.random ?? Math.random;
  let retries = 0;
  for (let attempt = 0; ; attempt++) {
    const exchange = await hooks.perform(attempt);
    const verdict = classify(exchange, now(), hooks.shape);
    const step = decide(verdict, retries, policy, random, hooks);
    hooks.onAttempt?.({ attempt, exchange, verdict });
    if (step.action === 'done') return { outcome: step.outcome, last: verdict, attempts: attempt + 1, why: step.why };
    const reason: WaitReason = step.action === 'wait-for-server' ? 'server' : step.throttled ? 'throttled' : 'backoff';
    if (step.action === 'retry') retries++;
    const go = await hooks.wait({ reason, delayMs: step.action === 'retry' ? step.delayMs : 0, verdict, attempt });
    if (!go) return { outcome: 'not-sent', last: verdict, attempts: attempt + 1, why: reason === 'server' ? 'stopped while waiting for the server' : 'stopped before its retry' };
  }
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One request with retries and plain waits, for the one-off calls (workspace status, the
 * pricing fetch, a cleanup): no throttle window shared between workers and no rate cap,
 * unlike the sender. The body text of the last response comes back with the result.
 */
export async function requestWithRetries(
  policy: RetryPolicy,
  shape: AnswerShape,
  request: () => Promise<Exchange>,
  sleep: (ms: number) => Promise<void> = realSleep,
): Promise<RetryResult & { text: string }> {
  let text = '';
  const result = await withRetries(policy, {
    shape,
    perform: async () => {
      const x = await request();
      if (x.kind === 'response') text = x.body;
      return x;
    },
    wait: async ({ delayMs }) => {
      await sleep(delayMs);
      return true;
    },
  });
  return { ...result, text };
}
