/**
 * `GET /v1/diagnostics/workspace-status` (docs/api-facts.md §1.4): fetch it (retrying 429 /
 * 5xx / network like the sender), read it tolerantly (budget fields may be null or
 * absent when no budget is configured), and render it with text bars.
 */
import { EXIT } from '../errors.js';
import type { Paint } from '../terminal.js';
import type { ApiClient } from './client.js';
import { DEFAULT_POLICY, requestWithRetries, type RetryPolicy } from './retry.js';

const STATUS_PATH = '/v1/diagnostics/workspace-status';

export type WorkspaceSeverity = 'normal' | 'warning' | 'critical';
const SEVERITIES: readonly WorkspaceSeverity[] = ['normal', 'warning', 'critical'];

export type StatusFetch =
  | { ok: true; body: Record<string, unknown>; text: string }
  | {
      ok: false;
      exitCode: typeof EXIT.auth | typeof EXIT.gaveUp;
      message: string;
      hint?: string;
      /** No HTTP response at all (refused, DNS, timeout): the host, not the key, is the problem. */
      unreachable?: boolean;
    };

export async function fetchStatus(client: ApiClient, policy: RetryPolicy = DEFAULT_POLICY, sleep?: (ms: number) => Promise<void>): Promise<StatusFetch> {
  const r = await requestWithRetries(policy, 'object', () => client.get(STATUS_PATH), sleep);
  const { text } = r;
  const v = r.last;
  switch (v.kind) {
    case 'accepted': {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return { ok: false, exitCode: EXIT.gaveUp, message: `the workspace status at ${client.url(STATUS_PATH)} is not a JSON object` };
      }
      return { ok: true, body: body as Record<string, unknown>, text };
    }
    case 'unauthorized':
      return { ok: false, exitCode: EXIT.auth, message: `the API key was refused (HTTP ${v.status}: ${v.message})`, hint: 'check OPSMETER_API_KEY (or --api-key-file) holds a current workspace key' };
    case 'throttled':
    case 'not-api':
    case 'failed': {
      const failure: StatusFetch = { ok: false, exitCode: EXIT.gaveUp, message: `could not read the workspace status from ${client.url(STATUS_PATH)}: ${r.why ?? v.kind}` };
      if (v.kind === 'failed' && v.status === undefined) failure.unreachable = true;
      return failure;
    }
    default:
      return {
        ok: false,
        exitCode: EXIT.gaveUp,
        message: `could not read the workspace status from ${client.url(STATUS_PATH)}: HTTP ${v.status}: ${v.message}`,
        hint: v.kind === 'rejected' ? v.hint : undefined,
      };
  }
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** The severity the API states, or the one its flags imply (as the official n8n template does). */
export function severityOf(body: Obj): WorkspaceSeverity {
  const s = str(body.severity)?.toLowerCase();
  if (s === 'normal' || s === 'warning' || s === 'critical') return s;
  const plan = obj(body.plan) ?? {};
  if (body.isPlanLimitReached === true || plan.isPlanLimitReached === true || body.isBudgetExceeded === true) return 'critical';
  if (body.isBudgetWarning === true) return 'warning';
  return 'normal';
}

export function failsOn(severity: WorkspaceSeverity, threshold: WorkspaceSeverity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}

const BAR_CELLS = 20;

export function bar(ratio: number): string {
  const r = Math.max(0, Math.min(1, ratio));
  const full = Math.round(r * BAR_CELLS);
  return '[' + '█'.repeat(full) + '░'.repeat(BAR_CELLS - full) + ']';
}

const pct = (r: number) => `${(r * 100).toFixed(1).padStart(5)} %`;
const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const int = (n: number) => n.toLocaleString('en-US');
const day = (s: string | undefined) => (s ? s.replace(/T00:00:00(?:\.0+)?Z$/, '').replace(/T23:59:59(?:\.\d+)?Z$/, '') : '?');

export function renderStatus(body: Obj, c: Paint, origin: string): string {
  const out: string[] = [];
  const sev = severityOf(body);
  const sevText = sev === 'critical' ? c.bold(c.red('CRITICAL')) : sev === 'warning' ? c.bold(c.yellow('WARNING')) : c.green('normal');
  const plan = obj(body.plan) ?? {};
  const tier = str(plan.planName) ?? str(plan.planTier) ?? str(body.planTier);
  out.push(`workspace ${str(body.workspaceId) ?? '(id not given)'} at ${origin}`);
  out.push(`  severity   ${sevText}`);
  out.push(`  plan       ${tier ?? 'unknown'}${str(plan.planTier) && str(plan.planName) && plan.planTier !== plan.planName ? ` (${plan.planTier})` : ''}`);

  const used = num(plan.currentRequestCount);
  const limit = num(plan.planRequestLimit);
  const remaining = num(plan.remainingRequestCount) ?? (used !== undefined && limit !== undefined ? Math.max(0, limit - used) : undefined);
  if (used !== undefined || limit !== undefined) {
    const ratio = used !== undefined && limit ? used / limit : undefined;
    const parts = [
      used !== undefined ? `${int(used)} used` : undefined,
      limit !== undefined ? `of ${int(limit)}` : 'no request limit given',
      remaining !== undefined ? `· ${int(remaining)} remaining` : undefined,
    ].filter(Boolean);
    out.push(`  requests   ${ratio !== undefined ? `${bar(ratio)} ${pct(ratio)}  ` : ''}${parts.join(' ')}`);
  } else {
    out.push('  requests   (not reported)');
  }
  if (str(plan.periodStart) || str(plan.periodEnd)) out.push(`  period     ${day(str(plan.periodStart))} → ${day(str(plan.periodEnd))}`);

  const budget = obj(body.budget);
  const threshold = num(budget?.warningThresholdRatio);
  out.push(`  budget${threshold !== undefined ? ` (warning at ${Math.round(threshold * 100)} %)` : ''}`);
  for (const name of ['daily', 'monthly'] as const) {
    const b = obj(budget?.[name]);
    const limitUsd = num(b?.limitUsd);
    const spend = num(b?.currentSpendUsd);
    const label = `    ${name.padEnd(9)}`;
    if (!b || limitUsd === undefined || limitUsd <= 0) {
      out.push(`${label}no ${name} budget set${spend !== undefined ? ` · spent ${usd(spend)}` : ''}`);
      continue;
    }
    const ratio = num(b.utilizationRatio) ?? (spend !== undefined ? spend / limitUsd : undefined);
    const state = bool(b.isExceeded) ? c.red(' exceeded') : bool(b.isWarning) ? c.yellow(' warning') : '';
    const amount = `${spend !== undefined ? usd(spend) : '?'} of ${usd(limitUsd)}`;
    out.push(`${label}${ratio !== undefined ? `${bar(ratio)} ${pct(ratio)}  ` : ''}${amount}${state}`);
  }
  const flag = (name: string, v: unknown, bad: boolean) => {
    const b = bool(v);
    if (b === undefined) return undefined;
    return `${name} ${b ? (b === bad ? c.red('yes') : 'yes') : b === !bad ? c.red('no') : 'no'}`;
  };
  const flags = [
    flag('plan limit reached', body.isPlanLimitReached ?? plan.isPlanLimitReached, true),
    flag('telemetry paused', body.telemetryPaused ?? plan.telemetryPaused, true),
    flag('provider calls continue', body.providerCallsContinue, false),
    flag('budget warning', body.isBudgetWarning, true),
    flag('budget exceeded', body.isBudgetExceeded, true),
  ].filter(Boolean);
  if (flags.length) out.push(`  flags      ${flags.join(' · ')}`);
  return out.join('\n') + '\n';
}
