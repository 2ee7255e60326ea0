/**
 * Token bucket for --rate-limit N: a burst of up to N requests, refilled at N per second.
 * Denied requests learn how long until the next token, which becomes Retry-After.
 */
export type Clock = () => number;

export type RateDecision = { allowed: true } | { allowed: false; waitMs: number };

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly capacity: number;

  constructor(
    readonly perSecond: number,
    private readonly clock: Clock,
  ) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`rate limit must be a positive number, got ${perSecond}`);
    this.capacity = Math.max(1, perSecond);
    this.tokens = this.capacity;
    this.last = clock();
  }

  take(): RateDecision {
    const now = this.clock();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.perSecond) / 1000);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, waitMs: ((1 - this.tokens) / this.perSecond) * 1000 };
  }
}
