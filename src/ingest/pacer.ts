/**
 * When the sender's requests may go, and when it gives up on the server — one state shared by
 * every worker, because throttling and outages are signals to the whole sender, not to the one
 * request that met them (docs/send.md "What counts as delivered"):
 *
 * - **Throttled (429).** Every worker holds until Retry-After has passed (each then waits a
 *   random extra of up to half the window, at most THROTTLE_JITTER_MAX_MS, so the retries do not
 *   all meet the next 429 at one instant). The pace then adapts: requests are spaced at the rate
 *   the server accepted just before it throttled (accepted answers from a second before the
 *   429 to the end of the wait, over the longer of a second and the wait). A paced run
 *   throttled again drops to that rate and at least to PACE_BACKOFF of its pace. The pace holds
 *   for PACE_STEADY_MS, then grows by PACE_GROWTH per second until it no longer limits. (On a
 *   virtual clock against a token bucket of 1, 5 and 50 requests/s, no event met more than one
 *   429, and runs took 1.0–1.2× the time the limit needs: test/ingest/sender-faults.test.ts.)
 * - **Unreachable.** A request that cannot connect holds every worker for a probe delay
 *   (OUTAGE_PROBE_MIN_MS doubling to OUTAGE_PROBE_MAX_MS), so a restart is waited out instead of
 *   being retried by every worker at once.
 * - **Give-up.** Progress is an answer of the API's (any status it answers with, 429 included).
 *   Once requests have failed — no connection, timeouts, 5xx, answers that are not the API's —
 *   for `giveUpAfterMs` with no progress, `note` says to give up. Time, not counts: a dead
 *   server ends the run in seconds, a restart shorter than that costs nothing.
 *
 * The user's --rate caps everything. The clock is injectable (tests run on virtual time).
 */
import type { Exchange } from './client.js';
import type { Verdict } from './classify.js';
import type { Clock } from './clock.js';

/** Default time without progress after which the sender gives up on the server (--give-up-after). */
export const GIVE_UP_AFTER_MS = 20_000;
/** The hold after a request that could not connect: the first, and the longest it doubles to. */
export const OUTAGE_PROBE_MIN_MS = 250;
export const OUTAGE_PROBE_MAX_MS = 2_000;
/** After a shared 429, each worker waits the window plus up to half of it again (at most this): retries spread out instead of all landing at once. */
export const THROTTLE_JITTER_MAX_MS = 5_000;
/** An adapted pace holds for PACE_STEADY_MS, then grows by PACE_GROWTH per second without a 429. */
export const PACE_GROWTH = 1.25;
export const PACE_STEADY_MS = 5_000;
/** A pace throttled again drops to what the server accepted, and at least by this factor (by half when it accepted nothing). */
const PACE_BACKOFF = 0.85;
/** An adapted pace this fast no longer limits anything: it is dropped. */
const PACE_DROPPED_ABOVE = 1000;
/** The slowest adapted pace (requests per second). */
const PACE_FLOOR = 0.01;
/** Accepted answers remembered for the pace estimate. */
const ACCEPTED_KEPT = 1024;

export interface PacerOptions {
  clock: Clock;
  random: () => number;
  /** The user's cap in requests per second (--rate); undefined or 0: none. */
  rate?: number;
  giveUpAfterMs?: number;
  /** A 429 began a new throttle window (for the live notice). */
  onThrottle?(waitMs: number): void;
}

/** Why the sender gives up on the server, for the summary. */
export interface GiveUp {
  /** Every failure was a connection that could not be made. */
  unreachable: boolean;
  message: string;
}

type Hold = 'throttled' | 'outage';

export class Pacer {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly userIntervalMs: number;
  private readonly giveUpAfterMs: number;
  private stopped = false;
  private readonly sleepers = new Set<() => void>();

  private holdUntil = 0;
  private hold: Hold = 'throttled';
  /** Length of the current throttle window (what the 429 asked for), for the jitter. */
  private throttleWindowMs = 0;
  private nextSlot = 0;

  /** The adapted pace in requests per second, and since when it grows; undefined: none. */
  private pace: { rate: number; since: number } | undefined;
  /** A throttle window whose pace is set when it ends; requests sent before `episodeAt` belong to it. */
  private episode: { at: number; windowMs: number } | undefined;
  private episodeAt = Number.NEGATIVE_INFINITY;
  private readonly acceptedAt = new Float64Array(ACCEPTED_KEPT);
  private acceptedCount = 0;

  /** The last time the API answered, and the failures since. */
  private lastProgress: number;
  private failingSince: number | undefined;
  private failures = 0;
  private connectFailuresOnly = true;
  private outageRounds = 0;

  constructor(private readonly opts: PacerOptions) {
    this.clock = opts.clock;
    this.random = opts.random;
    this.userIntervalMs = opts.rate && opts.rate > 0 ? 1000 / opts.rate : 0;
    this.giveUpAfterMs = opts.giveUpAfterMs ?? GIVE_UP_AFTER_MS;
    this.lastProgress = this.clock.now();
  }

  /** A request may go at once: no hold, no pace, no cap (the sender then skips the gate). */
  get open(): boolean {
    return !this.stopped && this.userIntervalMs === 0 && this.pace === undefined && this.episode === undefined && this.holdUntil <= this.clock.now();
  }

  /** The adapted pace (requests per second) now in force, if any: for tests and verbose notes. */
  get adaptedRate(): number | undefined {
    return this.pace && this.rateAt(this.clock.now());
  }

  /** Wakes every sleeper; from now on gate and sleep answer false. */
  stop(): void {
    this.stopped = true;
    for (const wake of [...this.sleepers]) wake();
  }

  /** Wait for the holds to end and for a slot of the pace; false when stopped meanwhile. */
  async gate(): Promise<boolean> {
    for (;;) {
      if (this.stopped) return false;
      const now = this.clock.now();
      if (this.holdUntil > now) {
        const extra = this.hold === 'throttled' ? this.throttleJitter() : 0;
        if (!(await this.sleep(this.holdUntil - now + extra))) return false;
        continue; // the hold may have been extended meanwhile
      }
      const interval = this.intervalAt(now);
      if (interval === 0) return true;
      const slot = Math.max(now, this.nextSlot);
      this.nextSlot = slot + interval;
      if (slot <= now) return true;
      if (!(await this.sleep(slot - now))) return false;
      // A hold may have begun while this request waited for its slot.
      if (this.holdUntil <= this.clock.now()) return !this.stopped;
    }
  }

  /** Sleep that stop() cuts short; resolves false when stopped. */
  sleep(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        cancel();
        this.sleepers.delete(wake);
        resolve(false);
      };
      const cancel = this.clock.setTimer(() => {
        this.sleepers.delete(wake);
        resolve(!this.stopped);
      }, ms);
      this.sleepers.add(wake);
    });
  }

  /**
   * What one attempt says about the server (`startedAt`: when it was sent). Returns why to give
   * up on the server when failures have now lasted `giveUpAfterMs` without progress.
   */
  note(startedAt: number, exchange: Exchange, verdict: Verdict): GiveUp | undefined {
    const now = this.clock.now();
    if (verdict.kind === 'throttled') this.throttled(startedAt, now, verdict.retryAfterMs);
    if (verdict.kind === 'accepted') this.acceptedAt[this.acceptedCount++ % ACCEPTED_KEPT] = now;
    if (verdict.kind !== 'failed' && verdict.kind !== 'not-api') {
      this.lastProgress = now;
      this.failingSince = undefined;
      this.failures = 0;
      this.connectFailuresOnly = true;
      this.outageRounds = 0;
      return undefined;
    }
    const notConnected = exchange.kind === 'network' && exchange.notDelivered;
    this.failures++;
    this.connectFailuresOnly &&= notConnected;
    this.failingSince ??= Math.max(startedAt, this.lastProgress);
    const failingFor = now - this.failingSince;
    if (!notConnected) this.outageRounds = 0;
    else if (this.holdUntil <= now || this.hold !== 'outage') {
      // The first failed connection of a round holds everyone for the probe delay; the last
      // probe goes out when the give-up time is up, so the run ends then and not a probe later.
      const probe = Math.min(OUTAGE_PROBE_MAX_MS, OUTAGE_PROBE_MIN_MS * 2 ** Math.min(this.outageRounds++, 16), Math.max(0, this.giveUpAfterMs - failingFor));
      if (now + probe > this.holdUntil) {
        this.holdUntil = now + probe;
        this.hold = 'outage';
      }
    }
    if (failingFor < this.giveUpAfterMs) return undefined;
    const secs = (failingFor / 1000).toFixed(1);
    const last = verdict.message;
    return this.connectFailuresOnly
      ? { unreachable: true, message: `${this.failures} connection attempts in a row failed over ${secs} s; the last: ${last}` }
      : { unreachable: false, message: `no answer from the API for ${secs} s: ${this.failures} attempts in a row failed (no connection, timeouts, 5xx or answers that are not the API's); the last: ${last}` };
  }

  /** A 429: everyone holds for its window; a new throttle episode sets the pace when the window ends. */
  private throttled(startedAt: number, now: number, waitMs: number): void {
    const until = now + waitMs;
    if (until > this.holdUntil + 50 || this.hold !== 'throttled') {
      const fresh = this.holdUntil <= now;
      if (until > this.holdUntil) this.holdUntil = until;
      this.hold = 'throttled';
      this.throttleWindowMs = waitMs;
      if (fresh) this.opts.onThrottle?.(waitMs);
    }
    // A request sent before the pace last changed tells nothing about the new pace.
    if (startedAt < this.episodeAt) return;
    this.episodeAt = now;
    this.episode = { at: now, windowMs: Math.max(1000, waitMs) };
  }

  /** Milliseconds between requests now: the user's cap or the adapted pace, whichever is slower. */
  private intervalAt(now: number): number {
    if (this.episode !== undefined && now >= this.holdUntil) this.endEpisode(now);
    let interval = this.userIntervalMs;
    if (this.pace !== undefined) {
      const rate = this.rateAt(now);
      if (rate > PACE_DROPPED_ABOVE) this.pace = undefined;
      else interval = Math.max(interval, 1000 / rate);
    }
    return interval;
  }

  /**
   * The throttle window is over: pace at what the server accepted from a second before the 429
   * to now, per the longer of a second and the window; halve a pace that was already in force.
   */
  private endEpisode(now: number): void {
    const { at, windowMs } = this.episode!;
    this.episode = undefined;
    const accepted = this.acceptedSince(at - 1000);
    const observed = (accepted * 1000) / windowMs;
    const current = this.pace && this.rateAt(now);
    const rate = current === undefined ? observed : observed > 0 ? Math.min(observed, current * PACE_BACKOFF) : current / 2;
    if (rate > 0) this.pace = { rate: Math.max(PACE_FLOOR, rate), since: now };
    this.episodeAt = now;
  }

  private rateAt(now: number): number {
    const p = this.pace!;
    const growing = now - p.since - PACE_STEADY_MS;
    return growing <= 0 ? p.rate : p.rate * PACE_GROWTH ** (growing / 1000);
  }

  private acceptedSince(from: number): number {
    let n = 0;
    const kept = Math.min(this.acceptedCount, ACCEPTED_KEPT);
    for (let i = 1; i <= kept; i++) {
      if (this.acceptedAt[(this.acceptedCount - i) % ACCEPTED_KEPT]! < from) break;
      n++;
    }
    return n;
  }

  /**
   * Extra wait past the end of a throttle window, different for each worker: without it
   * every worker held by one 429 retries at the same instant and meets the next 429.
   * Never before the window ends (Retry-After is a minimum).
   */
  private throttleJitter(): number {
    return Math.round(this.random() * Math.min(this.throttleWindowMs / 2, THROTTLE_JITTER_MAX_MS));
  }
}
