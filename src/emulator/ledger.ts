/**
 * What the emulated workspace has accepted: rows (deduplicated by externalRequestId),
 * request count against the plan limit, estimated spend against the budget. In memory only:
 * the durable store (store.ts) is the HTTP shell's, which feeds the rows it loads to `add`.
 * The ingest responses and workspace-status are both computed from here, with the fault
 * settings of the moment (faults.ts), so they always agree. Counts, spend and ids are kept per
 * dataMode, so deleting the test or demo rows (the Bearer endpoints) is exact. Each id keeps a
 * hash of what its row counted (usage and model), so a resend that differs is told from a retry.
 */
import type { Catalog } from '../contract/catalog.js';
import type { Payload } from '../contract/fields.js';
import { fnv1a } from '../contract/random.js';
import { BUDGET_WARNING_RATIO } from './constants.js';
import type { FaultSettings } from './faults.js';

export interface LedgerOptions {
  catalog: Catalog;
  /** Keep the accepted rows for rows(); a long-running CLI server does not. */
  keepRows: boolean;
}

/** The settings the ledger's answers depend on. */
export type PlanSettings = Pick<FaultSettings, 'planTier' | 'planLimit' | 'budgetUsd' | 'budgetMode'>;

/** The plan/budget fields every ingest response carries (docs/api-facts.md §3.1). */
export interface Posture {
  planTier: string;
  /** null: the emulator has no plan limit (--plan-limit not given). */
  planLimitRequests: number | null;
  freeLimitRemainingRequests: number | null;
  isPlanLimitReached: boolean;
  budgetWarning: boolean;
  budgetExceeded: boolean;
  /** The plan limit pauses telemetry; a budget never does (docs: "plan limits pause telemetry only"). */
  telemetryPaused: boolean;
  providerCallsContinue: true;
}

export type PolicyStop = 'plan_limit_reached' | 'budget_exceeded';

export const DATA_MODES = ['real', 'test', 'demo'] as const;
export type DataMode = (typeof DATA_MODES)[number];

interface ModeTally {
  /** externalRequestId → usageFingerprint of the row stored under it. */
  ids: Map<string, number>;
  count: number;
  spend: number;
}

/** A resend of a stored id: the same usage and model (a retry), or different ones (a conflict). */
export type Repeat = 'retry' | 'conflict';

const newTally = (): ModeTally => ({ ids: new Map(), count: 0, spend: 0 });

/**
 * What a row counts for, hashed: provider, model, status, the token counts and the cache
 * breakdowns. A retry resends the same; latency, createdAt or metadata may differ on a retry
 * without changing what the row is worth, so they are left out.
 */
export function usageFingerprint(p: Payload): number {
  const m = p.metadata;
  const S = '\u0001';
  return fnv1a(
    part(p.provider) +
      S +
      part(p.model) +
      S +
      part(p.status) +
      S +
      part(p.inputTokens) +
      S +
      part(p.outputTokens) +
      S +
      part(p.totalTokens) +
      S +
      part(m?.cachedInputTokens) +
      S +
      part(m?.cacheWriteTokens) +
      S +
      part(m?.reasoningTokens),
  );
}

/** A field's value as text for the fingerprint (a payload that passed the contract holds strings, numbers, null or nothing there). */
const part = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v));

export const modeOf = (p: { dataMode?: unknown }): DataMode => (p.dataMode === 'test' || p.dataMode === 'demo' ? p.dataMode : 'real');

export class Ledger {
  private tally: Record<DataMode, ModeTally> = { real: newTally(), test: newTally(), demo: newTally() };
  private kept: Payload[] = [];

  constructor(private readonly o: LedgerOptions) {}

  /** Whether a row with this payload's externalRequestId is stored: undefined when not, else a retry or a conflict. */
  repeatOf(p: Payload): Repeat | undefined {
    const id = p.externalRequestId;
    if (typeof id !== 'string') return undefined;
    const t = this.tally;
    const stored = t.real.ids.get(id) ?? t.test.ids.get(id) ?? t.demo.ids.get(id);
    if (stored === undefined) return undefined;
    return stored === usageFingerprint(p) ? 'retry' : 'conflict';
  }

  /** Forget every row (the admin reset); returns how many there were. */
  clear(): number {
    const removed = this.acceptedCount;
    this.tally = { real: newTally(), test: newTally(), demo: newTally() };
    this.kept = [];
    return removed;
  }

  /** Why the next new row must be refused, or undefined. The plan limit wins over the budget. */
  stopReason(plan: PlanSettings): PolicyStop | undefined {
    if (plan.planLimit !== undefined && this.acceptedCount >= plan.planLimit) return 'plan_limit_reached';
    if (plan.budgetMode === 'hard' && plan.budgetUsd !== undefined && this.spendUsd > plan.budgetUsd) return 'budget_exceeded';
    return undefined;
  }

  /** Count a row: accepted now, or loaded from the store. */
  add(p: Payload): void {
    const t = this.tally[modeOf(p)];
    if (typeof p.externalRequestId === 'string') t.ids.set(p.externalRequestId, usageFingerprint(p));
    t.count++;
    t.spend += this.estimate(p);
    if (this.o.keepRows) this.kept.push(p);
  }

  /** Count a row out again (its store write failed: it was never acknowledged). */
  remove(p: Payload): void {
    const t = this.tally[modeOf(p)];
    if (typeof p.externalRequestId === 'string') t.ids.delete(p.externalRequestId);
    t.count--;
    t.spend -= this.estimate(p);
    if (this.o.keepRows) {
      const i = this.kept.lastIndexOf(p);
      if (i >= 0) this.kept.splice(i, 1);
    }
  }

  /** Forget every row of one dataMode (the Bearer cleanup endpoints); returns how many. */
  deleteMode(mode: DataMode): number {
    const removed = this.tally[mode].count;
    this.tally[mode] = newTally();
    if (this.o.keepRows) this.kept = this.kept.filter((p) => modeOf(p) !== mode);
    return removed;
  }

  rows(): readonly Payload[] {
    return this.kept;
  }

  /** Whether rows() holds the rows (keepRows). */
  get keepsRows(): boolean {
    return this.o.keepRows;
  }

  get acceptedCount(): number {
    const t = this.tally;
    return t.real.count + t.test.count + t.demo.count;
  }

  get spendUsd(): number {
    const t = this.tally;
    return t.real.spend + t.test.spend + t.demo.spend;
  }

  posture(plan: PlanSettings): Posture {
    const limit = plan.planLimit;
    const count = this.acceptedCount;
    const spend = this.spendUsd;
    const isPlanLimitReached = limit !== undefined && count >= limit;
    const budget = plan.budgetUsd;
    return {
      planTier: plan.planTier,
      planLimitRequests: limit ?? null,
      freeLimitRemainingRequests: limit === undefined ? null : Math.max(0, limit - count),
      isPlanLimitReached,
      budgetWarning: budget !== undefined && spend >= budget * BUDGET_WARNING_RATIO,
      budgetExceeded: budget !== undefined && spend > budget,
      telemetryPaused: isPlanLimitReached,
      providerCallsContinue: true,
    };
  }

  /** `GET /v1/diagnostics/workspace-status`, the shape of docs/api-facts.md §1.4. */
  workspaceStatus(plan: PlanSettings, workspaceId: string, now: number): WorkspaceStatus {
    const p = this.posture(plan);
    const spend = this.spendUsd;
    const count = this.acceptedCount;
    const d = new Date(now);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth();
    const monthStart = Date.UTC(y, m, 1);
    const monthEnd = Date.UTC(y, m + 1, 1) - 1000;
    const dayStart = Date.UTC(y, m, d.getUTCDate());
    const window = (period: 'daily' | 'monthly', start: number, end: number): BudgetWindow => {
      const limitUsd = plan.budgetUsd ?? null;
      const ratio = limitUsd === null ? null : limitUsd === 0 ? (spend > 0 ? Infinity : 0) : spend / limitUsd;
      return {
        limitUsd,
        currentSpendUsd: roundTo(spend, 6),
        utilizationRatio: ratio === null ? null : Number.isFinite(ratio) ? roundTo(ratio, 4) : null,
        isWarning: p.budgetWarning,
        isExceeded: p.budgetExceeded,
        period,
        periodStart: isoSeconds(start),
        periodEnd: isoSeconds(end),
      };
    };
    const limit = p.planLimitRequests;
    const planNearLimit = limit !== null && limit > 0 && count >= limit * BUDGET_WARNING_RATIO;
    const severity = p.isPlanLimitReached || p.budgetExceeded ? 'critical' : p.budgetWarning || planNearLimit ? 'warning' : 'normal';
    return {
      workspaceId,
      isPlanLimitReached: p.isPlanLimitReached,
      telemetryPaused: p.telemetryPaused,
      providerCallsContinue: true,
      isBudgetWarning: p.budgetWarning,
      isBudgetExceeded: p.budgetExceeded,
      severity,
      plan: {
        planTier: plan.planTier.toLowerCase(),
        planName: plan.planTier,
        currentRequestCount: count,
        planRequestLimit: limit,
        remainingRequestCount: p.freeLimitRemainingRequests,
        isPlanLimitReached: p.isPlanLimitReached,
        telemetryPaused: p.telemetryPaused,
        periodStart: isoSeconds(monthStart),
        periodEnd: isoSeconds(monthEnd),
      },
      budget: {
        warningThresholdRatio: BUDGET_WARNING_RATIO,
        daily: window('daily', dayStart, dayStart + 86_400_000 - 1000),
        monthly: window('monthly', monthStart, monthEnd),
      },
    };
  }

  private estimate(p: Payload): number {
    const meta = p.metadata;
    const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
    const usd = this.o.catalog.estimateUsd(p.provider, p.model, {
      inputTokens: p.inputTokens,
      outputTokens: p.outputTokens,
      cacheReadTokens: num(meta?.cachedInputTokens),
      cacheWriteTokens: num(meta?.cacheWriteTokens),
    });
    // Unknown models land at $0, as on the real service.
    return usd ?? 0;
  }
}

export interface BudgetWindow {
  limitUsd: number | null;
  currentSpendUsd: number;
  utilizationRatio: number | null;
  isWarning: boolean;
  isExceeded: boolean;
  period: 'daily' | 'monthly';
  periodStart: string;
  periodEnd: string;
}

export interface WorkspaceStatus {
  workspaceId: string;
  isPlanLimitReached: boolean;
  telemetryPaused: boolean;
  providerCallsContinue: boolean;
  isBudgetWarning: boolean;
  isBudgetExceeded: boolean;
  severity: 'normal' | 'warning' | 'critical';
  plan: {
    planTier: string;
    planName: string;
    currentRequestCount: number;
    planRequestLimit: number | null;
    remainingRequestCount: number | null;
    isPlanLimitReached: boolean;
    telemetryPaused: boolean;
    periodStart: string;
    periodEnd: string;
  };
  budget: { warningThresholdRatio: number; daily: BudgetWindow; monthly: BudgetWindow };
}

function isoSeconds(t: number): string {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
