/**
 * A virtual clock for the sender (and the emulator's rate limiter): time stands still until
 * a timer is due, then jumps straight to it. Timers fire one per macrotask, earliest first,
 * and only while `busy()` is false (e.g. no request in flight): a request then takes no
 * virtual time, and a sleeping worker cannot let time race past the others' requests.
 */
import type { Clock } from '../../src/ingest/clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];
  private ticking = false;
  /** Every delay asked for, in order (what a test can assert instead of wall time). */
  readonly delays: number[] = [];

  constructor(
    readonly start = Date.now(),
    private readonly busy: () => boolean = () => false,
  ) {
    this.t = start;
  }

  now = (): number => this.t;

  setTimer = (fn: () => void, ms: number): (() => void) => {
    this.delays.push(ms);
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    this.tick();
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  };

  private tick(): void {
    if (this.ticking) return;
    this.ticking = true;
    setImmediate(() => {
      if (this.busy()) {
        setTimeout(() => {
          this.ticking = false;
          this.tick();
        }, 1);
        return;
      }
      this.ticking = false;
      if (this.timers.length === 0) return;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      this.t = Math.max(this.t, next.at);
      next.fn();
      if (this.timers.length > 0) this.tick();
    });
  }
}
