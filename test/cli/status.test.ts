/** `opsmeter status` end to end against scripted servers on 127.0.0.1. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { usageError } from '../helpers/command-line.js';
import { scriptedServers } from '../helpers/scripted-server.js';
import { bar, failsOn, severityOf } from '../../src/ingest/status.js';

const KEY = 'om_live_SECRET_123';
const env = { OPSMETER_API_KEY: KEY };
const servers = scriptedServers();
const server = servers.start;

/** The documented example (docs/api-facts.md §1.4). */
const DOC_EXAMPLE = {
  workspaceId: 'f0f2d17d-7bf7-4efa-a11e-4f13e8a0216b',
  isPlanLimitReached: false,
  telemetryPaused: false,
  providerCallsContinue: true,
  isBudgetWarning: true,
  isBudgetExceeded: false,
  severity: 'warning',
  plan: {
    planTier: 'starter',
    planName: 'Starter',
    currentRequestCount: 98231,
    planRequestLimit: 100000,
    remainingRequestCount: 1769,
    isPlanLimitReached: false,
    telemetryPaused: false,
    periodStart: '2026-03-01T00:00:00Z',
    periodEnd: '2026-03-31T23:59:59Z',
  },
  budget: {
    warningThresholdRatio: 0.8,
    daily: { limitUsd: 50, currentSpendUsd: 41.25, utilizationRatio: 0.825, isWarning: true, isExceeded: false, period: 'daily', periodStart: '2026-03-07T00:00:00Z', periodEnd: '2026-03-07T23:59:59Z' },
    monthly: { limitUsd: 500, currentSpendUsd: 412.55, utilizationRatio: 0.8251, isWarning: true, isExceeded: false, period: 'monthly', periodStart: '2026-03-01T00:00:00Z', periodEnd: '2026-03-31T23:59:59Z' },
  },
};

describe('opsmeter status', () => {
  it('renders plan usage, period, budget bars and severity', async () => {
    const s = await server(() => ({ status: 200, body: DOC_EXAMPLE }));
    const r = await runCli(['status', '--base-url', s.url], { env });
    expect(r.code).toBe(0);
    expect(s.requests[0]).toMatchObject({ method: 'GET', url: '/v1/diagnostics/workspace-status' });
    expect(s.requests[0]!.headers['x-api-key']).toBe(KEY);
    expect(r.stdout).toContain('severity   WARNING');
    expect(r.stdout).toContain('plan       Starter (starter)');
    expect(r.stdout).toContain('98,231 used of 100,000 · 1,769 remaining');
    expect(r.stdout).toContain('period     2026-03-01 → 2026-03-31');
    expect(r.stdout).toContain('budget (warning at 80 %)');
    expect(r.stdout).toMatch(/daily\s+\[█{16,17}░{3,4}\]\s+82\.5 %\s+\$41\.25 of \$50\.00 warning/);
    expect(r.stdout).toMatch(/monthly\s+\[█+░+\]\s+82\.5 %\s+\$412\.55 of \$500\.00/);
    expect(r.stdout).not.toContain(KEY);
  });

  it('tolerates absent or null budget fields', async () => {
    const body = { severity: 'normal', plan: { planTier: 'free', currentRequestCount: 10, planRequestLimit: 1000 }, budget: { daily: { limitUsd: null, currentSpendUsd: 1.5 } } };
    const s = await server(() => ({ status: 200, body }));
    const r = await runCli(['status', '--base-url', s.url], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no daily budget set · spent $1.50');
    expect(r.stdout).toContain('no monthly budget set');
    expect(r.stdout).toContain('10 used of 1,000 · 990 remaining');
    const bare = await server(() => ({ status: 200, body: {} }));
    const r2 = await runCli(['status', '--base-url', bare.url], { env });
    expect(r2.code).toBe(0);
    expect(r2.stdout).toContain('requests   (not reported)');
  });

  it('--json prints the response', async () => {
    const s = await server(() => ({ status: 200, body: DOC_EXAMPLE }));
    const r = await runCli(['status', '--json', '--base-url', s.url], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(DOC_EXAMPLE);
  });

  it('--fail-on warning|critical gates CI with exit 1', async () => {
    const s = await server(() => ({ status: 200, body: DOC_EXAMPLE }));
    expect((await runCli(['status', '--fail-on', 'critical', '--base-url', s.url], { env })).code).toBe(0);
    const w = await runCli(['status', '--fail-on', 'warning', '--base-url', s.url], { env });
    expect(w.code).toBe(1);
    expect(w.stderr).toContain('workspace severity is warning');
    const crit = await server(() => ({ status: 200, body: { ...DOC_EXAMPLE, severity: undefined, isBudgetExceeded: true } }));
    expect((await runCli(['status', '--fail-on', 'critical', '--base-url', crit.url], { env })).code).toBe(1);
    expect((await usageError(['status', '--fail-on', 'fatal', '--base-url', crit.url], { vars: env })).code).toBe(2); // as parsed, in-process
  });

  it('401/403 → exit 4 with a hint; no key → exit 2', async () => {
    const s = await server(() => ({ status: 403, body: { message: 'forbidden' } }));
    const r = await runCli(['status', '--base-url', s.url], { env });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('HTTP 403: forbidden');
    expect(r.stderr).toContain('OPSMETER_API_KEY');
    const none = await runCli(['status', '--base-url', s.url], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no API key');
  });

  it('network failure, timeout, 5xx or a non-JSON answer → exit 5', async () => {
    const url = await servers.deadUrl();
    const r = await runCli(['status', '--max-retries', '0', '--base-url', url], { env });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('connection refused');

    const hang = await server(() => 'hang');
    const t = await runCli(['status', '--timeout', '300', '--max-retries', '0', '--base-url', hang.url], { env });
    expect(t.code).toBe(5);
    expect(t.stderr).toContain('no response within 300 ms');

    const flaky = await server((q) => (q.index === 0 ? { status: 503 } : { status: 200, body: DOC_EXAMPLE }));
    expect((await runCli(['status', '--base-url', flaky.url], { env })).code).toBe(0);
    expect(flaky.requests).toHaveLength(2);

    const html = await server(() => ({ status: 200, body: '<html>login</html>' }));
    const h = await runCli(['status', '--base-url', html.url], { env });
    expect(h.code).toBe(5);
    expect(h.stderr).toContain('not a JSON object');
  });
});

describe('status helpers', () => {
  it('severity: stated, else derived from the flags', () => {
    expect(severityOf({ severity: 'CRITICAL' })).toBe('critical');
    expect(severityOf({ isPlanLimitReached: true })).toBe('critical');
    expect(severityOf({ plan: { isPlanLimitReached: true } })).toBe('critical');
    expect(severityOf({ isBudgetWarning: true })).toBe('warning');
    expect(severityOf({})).toBe('normal');
    expect(failsOn('warning', 'warning')).toBe(true);
    expect(failsOn('critical', 'warning')).toBe(true);
    expect(failsOn('warning', 'critical')).toBe(false);
    expect(failsOn('normal', 'warning')).toBe(false);
  });
  it('bars are 20 cells and clamp', () => {
    expect(bar(0)).toBe('[' + '░'.repeat(20) + ']');
    expect(bar(0.5)).toBe('[' + '█'.repeat(10) + '░'.repeat(10) + ']');
    expect(bar(1.7)).toBe('[' + '█'.repeat(20) + ']');
    expect(bar(-1)).toBe('[' + '░'.repeat(20) + ']');
  });
});
