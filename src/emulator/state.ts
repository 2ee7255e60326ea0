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
import type { RulePolicy } from '../contract/rule-settings.js';
import { demoRowMaker } from './demo.js';
import type { FaultSettings } from './faults.js';
import { Ledger } from './ledger.js';
import { TokenBucket, type Clock } from './rate-limit.js';
import { RequestLog } from './request-log.js';

export interface EmulatorStats {
  requests: number;
  accepted: number;
  duplicates: number;
  /** Of the duplicates, those whose usage or model differed from the stored row's. */
  conflicts: number;
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

const newStats = (): EmulatorStats => ({ requests: 0, accepted: 0, duplicates: 0, conflicts: 0, throttled: 0, failed: 0, rejected: 0, unauthorized: 0, paused: 0, blocked: 0, deleted: 0 });

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
  /** The team's rule settings, for the findings the request log reports (never for the answers). */
  rules?: RulePolicy;
  /** Request records kept for requests(). */
  requestsKept: number;
}

export class EmulatorState {
  /** Read at every request: change a field and the next request is answered by it. */
  readonly faults: FaultSettings;
  readonly catalog: Catalog;
  readonly seed: number;
  readonly ledger: Ledger;
  readonly rules: RulePolicy | undefined;
  readonly requests: RequestLog;
  stats: EmulatorStats = newStats();
  readonly workspaceId = randomUUID();
  /** The fail-rate draws, in request order (reproducible with the seed). */
  failDraw: Random;
  /** Demo rows, from a separate stream so demo traffic does not shift the fault sequence. */
  demoRow: (now: number) => Payload;
  private readonly clock: Clock;
  private bucket: TokenBucket | undefined;
  private lastNumber = 0;

  constructor(o: EmulatorStateOptions) {
    this.faults = o.faults;
    this.catalog = o.catalog;
    this.seed = o.seed;
    this.clock = o.clock;
    this.rules = o.rules;
    this.ledger = new Ledger({ catalog: o.catalog, keepRows: o.keepRows });
    this.requests = new RequestLog(o.requestsKept);
    this.failDraw = mulberry32(o.seed);
    this.demoRow = demoRowMaker(o.catalog, mulberry32(o.seed ^ 0x5bd1e995));
    this.rateLimiter(); // the bucket's refill counts from the start
  }

  /** The number of a request that just arrived (1, 2, …; not reset by reset()). */
  numberRequest(): number {
    return ++this.lastNumber;
  }

  /**
   * The emulator as it started, but with the fault settings of now and the request numbers
   * going on: no rows, zero counters, a full token bucket, the seeded streams from their
   * start, an empty request log. Returns what was forgotten.
   */
  reset(): { rows: number; requests: number } {
    const rows = this.ledger.clear();
    const requests = this.requests.clear();
    this.stats = newStats();
    this.bucket = undefined;
    this.rateLimiter();
    this.failDraw = mulberry32(this.seed);
    this.demoRow = demoRowMaker(this.catalog, mulberry32(this.seed ^ 0x5bd1e995));
    return { rows, requests };
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
