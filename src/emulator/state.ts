/**
 * Everything an emulator run remembers between requests, in one object: the fault settings
 * (faults.ts, read at each request), the ledger of accepted rows, the rate limiter's bucket, the
 * seeded PRNG streams and the counters. The fault decision (decide.ts) reads and updates it; the
 * HTTP shell (server.ts) holds one. A fresh EmulatorState is the emulator as it started.
 */
import { randomUUID } from 'node:crypto';
import type { Catalog } from '../contract/catalog.js';
import type { Payload } from '../contract/fields.js';
import { mulberry32, type Random } from '../contract/random.js';
import { demoRowMaker } from './demo.js';
import type { FaultSettings } from './faults.js';
import { Ledger } from './ledger.js';
import { TokenBucket, type Clock } from './rate-limit.js';

export interface EmulatorStats {
  requests: number;
  accepted: number;
  duplicates: number;
  throttled: number;
  failed: number;
  rejected: number;
  unauthorized: number;
  paused: number;
  blocked: number;
  /** Rows removed by the test-data / demo-data cleanup endpoints. */
  deleted: number;
}

/** How a request ended, as the request log and the counters name it. */
export type ReplyKind =
  | 'accepted'
  | 'duplicate'
  | 'throttled'
  | 'failed'
  | 'rejected'
  | 'unauthorized'
  | 'paused'
  | 'blocked'
  | 'served'
  | 'deleted'
  | 'aborted';

const STAT_OF: Partial<Record<ReplyKind, keyof EmulatorStats>> = {
  accepted: 'accepted',
  duplicate: 'duplicates',
  throttled: 'throttled',
  failed: 'failed',
  rejected: 'rejected',
  unauthorized: 'unauthorized',
  paused: 'paused',
  blocked: 'blocked',
};

export interface EmulatorStateOptions {
  faults: FaultSettings;
  catalog: Catalog;
  seed: number;
  /** Milliseconds clock of the rate limiter. */
  clock: Clock;
  keepRows: boolean;
}

export class EmulatorState {
  /** Read at every request: change a field and the next request is answered by it. */
  readonly faults: FaultSettings;
  readonly catalog: Catalog;
  readonly seed: number;
  readonly ledger: Ledger;
  readonly stats: EmulatorStats = { requests: 0, accepted: 0, duplicates: 0, throttled: 0, failed: 0, rejected: 0, unauthorized: 0, paused: 0, blocked: 0, deleted: 0 };
  readonly workspaceId = randomUUID();
  /** The fail-rate draws, in request order (reproducible with the seed). */
  readonly failDraw: Random;
  /** Demo rows, from a separate stream so demo traffic does not shift the fault sequence. */
  readonly demoRow: (now: number) => Payload;
  private readonly clock: Clock;
  private bucket: TokenBucket | undefined;

  constructor(o: EmulatorStateOptions) {
    this.faults = o.faults;
    this.catalog = o.catalog;
    this.seed = o.seed;
    this.clock = o.clock;
    this.ledger = new Ledger({ catalog: o.catalog, keepRows: o.keepRows });
    this.failDraw = mulberry32(o.seed);
    this.demoRow = demoRowMaker(o.catalog, mulberry32(o.seed ^ 0x5bd1e995));
    this.rateLimiter(); // the bucket's refill counts from the start
  }

  /** The token bucket of the current rate limit (a new, full one when the limit changed); undefined when unlimited. */
  rateLimiter(): TokenBucket | undefined {
    const rate = this.faults.rateLimit;
    if (rate === undefined) return (this.bucket = undefined);
    if (this.bucket?.perSecond !== rate) this.bucket = new TokenBucket(rate, this.clock);
    return this.bucket;
  }

  /** Counts a reply as it is sent. */
  count(outcome: ReplyKind): void {
    const stat = STAT_OF[outcome];
    if (stat) this.stats[stat]++;
  }
}
