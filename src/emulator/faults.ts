/**
 * The emulator's fault settings (docs/emulate.md, "Flags"): one plain object that the fault
 * decision (decide.ts) and the ledger read at every request, never copy. Changing a field
 * changes the answers from the next request on; checkFaults is the one check of a value, for
 * the start options and for any later change.
 */
import { BUDGET_MODES, RETRY_AFTER_MODES, type BudgetMode, type RetryAfterMode } from './constants.js';

export interface FaultSettings {
  /** The plan's name in every answer (the plan limit is reported with it). */
  planTier: string;
  /** After this many accepted rows, new rows get 402 plan_limit_reached; undefined: no limit. */
  planLimit: number | undefined;
  /** Budget in USD of estimated spend; undefined: no budget. */
  budgetUsd: number | undefined;
  /** soft: rows past the budget are accepted and flagged; hard: 402 budget_exceeded. */
  budgetMode: BudgetMode;
  /** Ingest requests per second (token bucket, burst = N); undefined: unlimited. */
  rateLimit: number | undefined;
  /** Share 0..1 of ingest requests answered 503, drawn from the seeded PRNG. */
  failRate: number;
  /** Delay before every response is sent. */
  latencyMs: number;
  /** How a 429 states Retry-After. */
  retryAfterMode: RetryAfterMode;
}

/** The settings with every field given or defaulted, after checkFaults. */
export function faultSettings(given: Partial<FaultSettings>): FaultSettings {
  checkFaults(given);
  return {
    planTier: given.planTier ?? 'Free',
    planLimit: given.planLimit,
    budgetUsd: given.budgetUsd,
    budgetMode: given.budgetMode ?? 'soft',
    rateLimit: given.rateLimit,
    failRate: given.failRate ?? 0,
    latencyMs: given.latencyMs ?? 0,
    retryAfterMode: given.retryAfterMode ?? 'seconds',
  };
}

/** Throws a RangeError naming the first field whose value is out of range (undefined fields are not checked). */
export function checkFaults(f: Partial<FaultSettings>): void {
  const need = (name: string, v: number | undefined, ok: (x: number) => boolean, what: string) => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || !ok(v))) throw new RangeError(`${name} must be ${what}, got ${v}`);
  };
  need('planLimit', f.planLimit, (x) => Number.isSafeInteger(x) && x >= 0, 'a whole number ≥ 0');
  need('budgetUsd', f.budgetUsd, (x) => x >= 0, 'a number ≥ 0');
  need('rateLimit', f.rateLimit, (x) => x > 0, 'a number > 0');
  need('failRate', f.failRate, (x) => x >= 0 && x <= 1, 'between 0 and 1');
  need('latencyMs', f.latencyMs, (x) => x >= 0 && x <= 2_147_483_647, 'a number of milliseconds ≥ 0');
  if (f.budgetMode !== undefined && !BUDGET_MODES.includes(f.budgetMode)) {
    throw new RangeError(`budgetMode must be one of ${BUDGET_MODES.join(', ')}, got ${String(f.budgetMode)}`);
  }
  if (f.retryAfterMode !== undefined && !RETRY_AFTER_MODES.includes(f.retryAfterMode)) {
    throw new RangeError(`retryAfterMode must be one of ${RETRY_AFTER_MODES.join(', ')}, got ${String(f.retryAfterMode)}`);
  }
}
