/**
 * Time as the sender sees it: the current time, and a timer that a stop can cancel. Tests
 * inject a virtual clock, so Retry-After and backoff waits cost them no real seconds.
 */
export interface Clock {
  /** Milliseconds since the epoch (HTTP-date Retry-After values are read against it). */
  now(): number;
  /** Call fn after ms milliseconds; the returned function cancels the timer. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
