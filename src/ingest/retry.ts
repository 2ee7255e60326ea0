/**
 * Retrying one request: 429 waits what Retry-After says, 5xx / network errors / timeouts
 * back off exponentially with jitter, anything else is final. The caller sends the SAME
 * body on every attempt, so the externalRequestId never changes between retries.
 *
 * `decide` is the pure policy (unit-tested); `withRetries` runs it, with the waiting and
 * the stop check supplied by the caller (the sender shares one throttle window and one
 * rate limit across all its workers).
 */
import type { Exchange } from './client.js';
import { classify, type SendOutcome, type Verdict } from './classify.js';

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
  | { action: 'retry'; delayMs: number; throttled: boolean };

/** What to do after `attempt` (0-based) ended with this verdict. */
export function decide(v: Verdict, attempt: number, policy: RetryPolicy, random: () => number, canRetryUncertain = true): Step {
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
      if (attempt >= policy.maxRetries) return { action: 'done', outcome: 'gave-up', why: `still throttled (429) after ${policy.maxRetries} retries` };
      return { action: 'retry', delayMs: v.retryAfterMs, throttled: true };
    case 'failed':
      if (attempt >= policy.maxRetries) {
        return { action: 'done', outcome: 'gave-up', why: policy.maxRetries > 0 ? `${v.message} (after ${policy.maxRetries} retries)` : v.message };
      }
      // Without an idempotency key a retry after an ambiguous failure could double count.
      if (!canRetryUncertain && !v.notDelivered) return { action: 'done', outcome: 'gave-up', why: `${v.message} (not retried: no externalRequestId, the server may have stored it)` };
      return { action: 'retry', delayMs: backoffMs(attempt, policy, random), throttled: false };
  }
}

export interface AttemptRecord {
  attempt: number;
  exchange: Exchange;
  verdict: Verdict;
}

export interface RetryHooks {
  /** Perform one attempt (the same request each time). */
  perform(attempt: number): Promise<Exchange>;
  /** Wait before a retry; resolve false when the run was stopped meanwhile. */
  wait(step: { delayMs: number; throttled: boolean; verdict: Verdict; attempt: number }): Promise<boolean>;
  /** Called after every attempt (verbose dumps, progress, counters). */
  onAttempt?(r: AttemptRecord): void;
  now?: () => number;
  random?: () => number;
}

export interface RetryResult {
  /** `not-sent` when a stop came while waiting to retry. */
  outcome: SendOutcome;
  /** The verdict of the last attempt. */
  last: Verdict;
  attempts: number;
  why?: string;
}

export async function withRetries(policy: RetryPolicy, hooks: RetryHooks, canRetryUncertain = true): Promise<RetryResult> {
  const now = hooks.now ?? Date.now;
  const random = hooks.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    const exchange = await hooks.perform(attempt);
    const verdict = classify(exchange, now());
    hooks.onAttempt?.({ attempt, exchange, verdict });
    const step = decide(verdict, attempt, policy, random, canRetryUncertain);
    if (step.action === 'done') return { outcome: step.outcome, last: verdict, attempts: attempt + 1, why: step.why };
    const go = await hooks.wait({ delayMs: step.delayMs, throttled: step.throttled, verdict, attempt });
    if (!go) return { outcome: 'not-sent', last: verdict, attempts: attempt + 1, why: 'stopped before its retry' };
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
  request: () => Promise<Exchange>,
  sleep: (ms: number) => Promise<void> = realSleep,
): Promise<RetryResult & { text: string }> {
  let text = '';
  const result = await withRetries(policy, {
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
