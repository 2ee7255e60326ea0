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

/**
 * A change of fault settings at run time (`PATCH /_emulator/faults`, `setFaults()`): a field
 * left out keeps its value; `null` puts it back to its default (no plan limit, no budget, no
 * rate limit, fail rate 0, no latency, soft budgets, Retry-After in seconds, plan Free).
 */
export type FaultPatch = { [K in keyof FaultSettings]?: FaultSettings[K] | null };

const DEFAULTS = faultSettings({});

/** Names the admin API takes: the flags' (`--retry-after` → retryAfter), and the library's retryAfterMode. */
const PATCH_NAMES: Record<string, keyof FaultSettings> = {
  planTier: 'planTier',
  planLimit: 'planLimit',
  budgetUsd: 'budgetUsd',
  budgetMode: 'budgetMode',
  rateLimit: 'rateLimit',
  failRate: 'failRate',
  latencyMs: 'latencyMs',
  retryAfter: 'retryAfterMode',
  retryAfterMode: 'retryAfterMode',
};

const NUMERIC: ReadonlySet<keyof FaultSettings> = new Set(['planLimit', 'budgetUsd', 'rateLimit', 'failRate', 'latencyMs']);

/** A JSON body's fault change, checked; throws a RangeError or TypeError naming the first bad field. */
export function faultPatchFrom(body: unknown): FaultPatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TypeError('send a JSON object of fault settings, e.g. {"rateLimit": 1}');
  const patch: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    const field = PATCH_NAMES[name];
    if (!field) throw new RangeError(`unknown fault setting "${name}"; the settings are ${Object.keys(PATCH_NAMES).filter((n) => n !== 'retryAfterMode').join(', ')}`);
    if (value !== null) {
      const wanted = NUMERIC.has(field) ? 'number' : 'string';
      if (typeof value !== wanted) throw new TypeError(`${name} must be a ${wanted} or null, got ${JSON.stringify(value)}`);
    }
    patch[field] = value;
  }
  return patch as FaultPatch;
}

/** Apply a change to the settings in place (checked whole first: a bad field changes nothing). */
export function applyFaultPatch(settings: FaultSettings, patch: FaultPatch): void {
  const next = { ...settings };
  for (const [field, value] of Object.entries(patch) as [keyof FaultSettings, unknown][]) {
    if (value === undefined) continue;
    (next as Record<string, unknown>)[field] = value === null ? DEFAULTS[field] : value;
  }
  if (typeof next.planTier !== 'string' || next.planTier.trim() === '') throw new RangeError('planTier must be a non-empty string');
  checkFaults(next);
  Object.assign(settings, next);
}

/** The settings as the admin API shows them (the flags' names; null for "none"). */
export function faultsView(f: FaultSettings): Record<string, string | number | null> {
  return {
    planTier: f.planTier,
    planLimit: f.planLimit ?? null,
    budgetUsd: f.budgetUsd ?? null,
    budgetMode: f.budgetMode,
    rateLimit: f.rateLimit ?? null,
    failRate: f.failRate,
    latencyMs: f.latencyMs,
    retryAfter: f.retryAfterMode,
  };
}
