/**
 * What the emulated workspace has accepted: rows (deduplicated by externalRequestId),
 * request count against the plan limit, estimated spend against the budget, and the
 * optional JSONL store. The ingest responses and workspace-status are both computed
 * from here, so they always agree.
 */
import type { WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Catalog } from '../contract/catalog.js';
import type { Payload } from '../contract/fields.js';
import { BUDGET_WARNING_RATIO } from './constants.js';

export interface LedgerOptions {
  catalog: Catalog;
  planTier: string;
  planLimit?: number;
  budgetUsd?: number;
  keepRows: boolean;
}

/** The plan/budget fields every ingest response carries (docs/api-facts.md §3.1). */
export interface Posture {
  planTier: string;
  /** null: the emulator has no plan limit (--plan-limit not given). */
  planLimitRequests: number | null;
  freeLimitRemainingRequests: number | null;
  isPlanLimitReached: boolean;
  budgetWarning: boolean;
  budgetExceeded: boolean;
  /** Further rows would be refused with 402 (plan limit reached or budget exceeded). */
  telemetryPaused: boolean;
  providerCallsContinue: true;
}

export type PolicyStop = 'plan_limit_reached' | 'budget_exceeded';

export class Ledger {
  private readonly ids = new Set<string>();
  private readonly kept: Payload[] = [];
  private count = 0;
  private spend = 0;
  private store: WriteStream | undefined;
  private storeError: Error | undefined;

  constructor(private readonly o: LedgerOptions) {}

  /** Open the JSONL store for appending; rejects (ENOENT, EACCES …) before the server listens. */
  async openStore(path: string): Promise<void> {
    const handle = await open(path, 'a');
    this.store = handle.createWriteStream();
    this.store.on('error', (e) => (this.storeError ??= e));
  }

  /** A store write that failed, if any (the rows stay in memory and in the counts). */
  get storeFailure(): Error | undefined {
    return this.storeError;
  }

  isDuplicate(p: Payload): boolean {
    return typeof p.externalRequestId === 'string' && this.ids.has(p.externalRequestId);
  }

  /** Why the next new row must be refused, or undefined. The plan limit wins over the budget. */
  stopReason(): PolicyStop | undefined {
    if (this.o.planLimit !== undefined && this.count >= this.o.planLimit) return 'plan_limit_reached';
    if (this.o.budgetUsd !== undefined && this.spend > this.o.budgetUsd) return 'budget_exceeded';
    return undefined;
  }

  accept(p: Payload): void {
    if (typeof p.externalRequestId === 'string') this.ids.add(p.externalRequestId);
    this.count++;
    this.spend += this.estimate(p);
    if (this.o.keepRows) this.kept.push(p);
    if (this.store && !this.storeError) this.store.write(JSON.stringify(p) + '\n');
  }

  rows(): readonly Payload[] {
    return this.kept;
  }

  get acceptedCount(): number {
    return this.count;
  }

  get spendUsd(): number {
    return this.spend;
  }

  posture(): Posture {
    const limit = this.o.planLimit;
    const isPlanLimitReached = limit !== undefined && this.count >= limit;
    const budget = this.o.budgetUsd;
    const budgetExceeded = budget !== undefined && this.spend > budget;
    return {
      planTier: this.o.planTier,
      planLimitRequests: limit ?? null,
      freeLimitRemainingRequests: limit === undefined ? null : Math.max(0, limit - this.count),
      isPlanLimitReached,
      budgetWarning: budget !== undefined && this.spend >= budget * BUDGET_WARNING_RATIO,
      budgetExceeded,
      telemetryPaused: isPlanLimitReached || budgetExceeded,
      providerCallsContinue: true,
    };
  }

  /** `GET /v1/diagnostics/workspace-status`, the shape of docs/api-facts.md §1.4. */
  workspaceStatus(workspaceId: string, now: number): WorkspaceStatus {
    const p = this.posture();
    const d = new Date(now);
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth();
    const monthStart = Date.UTC(y, m, 1);
    const monthEnd = Date.UTC(y, m + 1, 1) - 1000;
    const dayStart = Date.UTC(y, m, d.getUTCDate());
    const window = (period: 'daily' | 'monthly', start: number, end: number): BudgetWindow => {
      const limitUsd = this.o.budgetUsd ?? null;
      const ratio = limitUsd === null ? null : limitUsd === 0 ? (this.spend > 0 ? Infinity : 0) : this.spend / limitUsd;
      return {
        limitUsd,
        currentSpendUsd: roundTo(this.spend, 6),
        utilizationRatio: ratio === null ? null : Number.isFinite(ratio) ? roundTo(ratio, 4) : null,
        isWarning: p.budgetWarning,
        isExceeded: p.budgetExceeded,
        period,
        periodStart: isoSeconds(start),
        periodEnd: isoSeconds(end),
      };
    };
    const limit = p.planLimitRequests;
    const planNearLimit = limit !== null && limit > 0 && this.count >= limit * BUDGET_WARNING_RATIO;
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
        planTier: this.o.planTier.toLowerCase(),
        planName: this.o.planTier,
        currentRequestCount: this.count,
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

  /** Flush and close the store; resolves when every accepted row is on disk. */
  async close(): Promise<void> {
    const s = this.store;
    if (!s) return;
    this.store = undefined;
    await new Promise<void>((resolve) => {
      if (s.destroyed) return resolve();
      s.once('close', () => resolve());
      s.end();
    });
    if (this.storeError) throw this.storeError;
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
