/**
 * The emulator's fault decision (src/emulator/decide.ts) in process, without HTTP: each check
 * in its order, what the state remembers, and fault settings read at every request. The same
 * behaviours over a real socket are test/emulator/faults.test.ts and server.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { mulberry32 } from '../../src/contract/random.js';
import { admit, deleteRows, judge, unstored, type Decision } from '../../src/emulator/decide.js';
import { faultSettings, type FaultSettings } from '../../src/emulator/faults.js';
import { EmulatorState } from '../../src/emulator/state.js';
import { RulePolicy } from '../../src/contract/rule-settings.js';
import { loadLocator } from '../../src/read/locate.js';
import { NOW, cleanPayload } from '../helpers/payloads.js';

const catalog = builtinCatalog();
// startEmulator loads the position finder before it serves; the decision uses it for findings.
beforeAll(() => loadLocator());

function emulator(faults: Partial<FaultSettings> = {}, seed = 1) {
  let t = 0;
  const state = new EmulatorState({ faults: faultSettings(faults), catalog, seed, clock: () => t, keepRows: true, requestsKept: 100 });
  return { state, advance: (ms: number) => (t += ms) };
}

const payload = (id: string, extra: Record<string, unknown> = {}) => cleanPayload({ externalRequestId: id, dataMode: 'test', environment: 'staging', ...extra });
const bodyOf = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

/** One ingest request through both steps, as the HTTP shell takes it. */
function ingest(state: EmulatorState, value: unknown, extra: { demo?: boolean; storeFailure?: Error } = {}): Decision {
  return admit(state, NOW) ?? judge(state, { body: bodyOf(value), demo: extra.demo ?? false, now: NOW, storeFailure: extra.storeFailure });
}

const brief = (d: Decision) => {
  const body = JSON.parse(d.reply.body);
  return { status: d.reply.status, outcome: d.reply.outcome, error: body.error, stored: d.store?.externalRequestId };
};

describe('judge: one request, in order', () => {
  it('accepts a payload: counted at once, handed back to be stored, the answer says the posture after it', () => {
    const { state } = emulator({ planLimit: 2 });
    const d = ingest(state, payload('a'));
    expect(brief(d)).toMatchObject({ status: 200, outcome: 'accepted', stored: 'a' });
    expect(JSON.parse(d.reply.body)).toMatchObject({ ok: true, planLimitRequests: 2, freeLimitRemainingRequests: 1, warnings: [] });
    expect(d.reply.externalRequestId).toBe('a');
    expect(state.ledger.rows().map((r) => r.externalRequestId)).toEqual(['a']);
  });

  it('a body over the cap, bad UTF-8, bad JSON and a bad payload are 400/413 and nothing is counted', () => {
    const { state } = emulator();
    expect(brief(judge(state, { body: 'too-large', demo: false, now: NOW })).status).toBe(413);
    expect(judge(state, { body: Buffer.from([0x7b, 0xff, 0x7d]), demo: false, now: NOW }).reply.body).toContain('json/encoding');
    expect(JSON.parse(ingest(state, '{"a":').reply.body).errors[0].rule).toBe('json/syntax');
    expect(JSON.parse(ingest(state, '').reply.body).errors[0].rule).toBe('payload/not-object');
    const bad = JSON.parse(ingest(state, payload('b', { inputTokens: '12' })).reply.body);
    expect(bad.errors[0]).toMatchObject({ pointer: '/inputTokens', rule: 'payload/type' });
    expect(state.ledger.acceptedCount).toBe(0);
  });

  it('a duplicate is acknowledged (after the store has the original), even past the plan limit', () => {
    const { state } = emulator({ planLimit: 1 });
    ingest(state, payload('a'));
    const again = ingest(state, payload('a'));
    expect(brief(again)).toMatchObject({ status: 200, outcome: 'duplicate', stored: undefined });
    expect(again.afterStoreFlush).toBe(true);
    expect(JSON.parse(again.reply.body).warnings).toEqual(['duplicate externalRequestId: not counted']);
    expect(brief(ingest(state, payload('b')))).toMatchObject({ status: 402, outcome: 'paused' });
  });

  it('a store that failed refuses new rows with 500; a failed write counts its row out again', () => {
    const { state } = emulator();
    const d = ingest(state, payload('a'));
    expect(brief(unstored(state, d.store!, new Error('disk full')))).toMatchObject({ status: 500, outcome: 'failed', error: 'emulator cannot write its store: disk full' });
    expect(state.ledger.acceptedCount).toBe(0);
    expect(state.ledger.rows()).toEqual([]);
    expect(brief(ingest(state, payload('b'), { storeFailure: new Error('disk full') }))).toMatchObject({ status: 500, stored: undefined });
  });

  it('a hard budget refuses with 402 budget_exceeded once spend is past it; the plan limit wins when both apply', () => {
    const { state } = emulator({ budgetUsd: 0, budgetMode: 'hard' });
    expect(brief(ingest(state, payload('a'))).status).toBe(200);
    const blocked = ingest(state, payload('b'));
    expect(brief(blocked)).toMatchObject({ status: 402, outcome: 'blocked' });
    expect(JSON.parse(blocked.reply.body)).toMatchObject({ reason: 'budget_exceeded', telemetryPaused: false });
    state.faults.planLimit = 1;
    expect(JSON.parse(ingest(state, payload('c')).reply.body).reason).toBe('plan_limit_reached');
  });

  it('the hard stop states spend in units that tell it from the budget, however small', () => {
    const { state } = emulator({ budgetUsd: 0.00001, budgetMode: 'hard' });
    ingest(state, payload('a', { inputTokens: 100, outputTokens: 10 }));
    const error = JSON.parse(ingest(state, payload('b')).reply.body).error as string;
    // gpt-4o-mini: 100 input + 10 output tokens is $0.000021, past a budget of $0.00001 (not "$0.0000").
    expect(error).toBe('Budget hard stop: estimated spend $0.000021 is past the budget of $0.00001; ingest is refused until the budget is raised. LLM calls keep running.');
  });

  it('a resent id is a duplicate: a retry when usage and model are the same, a conflict when they differ (answered alike)', () => {
    const { state } = emulator();
    ingest(state, payload('a', { latencyMs: 100 }));
    // A retry may carry another latency or createdAt: it is still the same call.
    const retry = ingest(state, payload('a', { latencyMs: 900, createdAt: '2026-03-01T11:59:00Z' }));
    expect(retry.reply).toMatchObject({ status: 200, outcome: 'duplicate', findings: [] });
    expect(retry.reply.conflict).toBeUndefined();
    for (const changed of [{ inputTokens: 121 }, { model: 'gpt-4o' }, { status: 'error', errorCode: 'timeout' }, { metadata: { cachedInputTokens: 50 } }]) {
      const conflict = ingest(state, payload('a', changed));
      expect(conflict.reply.body, JSON.stringify(changed)).toBe(retry.reply.body);
      expect(conflict.reply).toMatchObject({ outcome: 'duplicate', conflict: true });
      const conflictFindings = conflict.reply.findings?.filter((f) => f.rule === 'payload/duplicate-external-request-id');
      expect(conflictFindings?.map((f) => [f.severity, f.pointer, f.message])).toEqual([
        ['warning', '/externalRequestId', 'externalRequestId "a" was stored before with a different usage or model; this payload is answered as a duplicate and not counted'],
      ]);
      expect(conflict.store).toBeUndefined();
    }
    expect(state.ledger.acceptedCount).toBe(1);
  });

  it("a conflict's finding follows the team's rule settings; the conflict is flagged even with the rule off", () => {
    const raised = new EmulatorState({ faults: faultSettings({}), catalog, seed: 1, clock: () => 0, keepRows: true, requestsKept: 10, rules: new RulePolicy({ 'payload/duplicate-external-request-id': 'error' }) });
    ingest(raised, payload('a'));
    expect(ingest(raised, payload('a', { outputTokens: 1, totalTokens: 121 })).reply.findings?.map((f) => f.severity)).toEqual(['error']);
    const off = new EmulatorState({ faults: faultSettings({}), catalog, seed: 1, clock: () => 0, keepRows: true, requestsKept: 10, rules: new RulePolicy({ 'payload/duplicate-external-request-id': 'off' }) });
    ingest(off, payload('a'));
    expect(ingest(off, payload('a', { outputTokens: 1, totalTokens: 121 })).reply).toMatchObject({ conflict: true, findings: [] });
  });

  it('the demo endpoint makes a row from an empty body and forces dataMode demo on a posted one', () => {
    const { state } = emulator();
    expect(ingest(state, '', { demo: true }).store).toMatchObject({ dataMode: 'demo', environment: 'dev' });
    expect(ingest(state, payload('p'), { demo: true }).store).toMatchObject({ externalRequestId: 'p', dataMode: 'demo' });
  });
});

describe('admit: before the body is read', () => {
  it('the rate limit comes first, then the fail rate; a throttled request draws no fail-rate number', () => {
    const { state, advance } = emulator({ rateLimit: 1, failRate: 0.5 }, 7);
    const draws = mulberry32(7);
    const nextDraw = () => (draws() < 0.5 ? 503 : undefined);
    expect(admit(state, NOW)?.reply.status).toBe(nextDraw());
    const throttled = admit(state, NOW);
    expect(throttled?.reply).toMatchObject({ status: 429, outcome: 'throttled', headers: { 'retry-after': '1' } });
    advance(1000);
    expect(admit(state, NOW)?.reply.status).toBe(nextDraw());
  });

  it('Retry-After in each mode, rounded up to whole seconds', () => {
    for (const [mode, header] of [
      ['seconds', '2'],
      ['http-date', new Date(NOW + 2000).toUTCString()],
      ['none', undefined],
    ] as const) {
      const { state } = emulator({ rateLimit: 0.5, retryAfterMode: mode });
      admit(state, NOW);
      expect(admit(state, NOW)?.reply.headers?.['retry-after']).toBe(header);
    }
  });
});

describe('fault settings are read at every request', () => {
  it('a changed plan limit, rate limit or fail rate answers the next request', () => {
    const { state } = emulator();
    expect(brief(ingest(state, payload('a'))).status).toBe(200);
    state.faults.planLimit = 1;
    expect(brief(ingest(state, payload('b'))).status).toBe(402);
    state.faults.planLimit = undefined;
    state.faults.failRate = 1;
    expect(brief(ingest(state, payload('b'))).status).toBe(503);
    state.faults.failRate = 0;
    state.faults.rateLimit = 1;
    expect(brief(ingest(state, payload('b'))).status).toBe(200);
    expect(brief(ingest(state, payload('c'))).status).toBe(429);
    state.faults.rateLimit = undefined;
    expect(brief(ingest(state, payload('c'))).status).toBe(200);
    expect(state.ledger.posture(state.faults).planLimitRequests).toBeNull();
  });
});

describe('deleteRows', () => {
  it('forgets the rows of one dataMode (their ids are new again) and asks for the store to be rewritten; a bad scope is a 400', () => {
    const { state } = emulator();
    ingest(state, payload('t'));
    ingest(state, payload('r', { dataMode: 'real', environment: 'prod' }));
    expect(brief(deleteRows(state, 'test', 'scope=everyone'))).toMatchObject({ status: 400, error: 'scope must be mine or workspace, got "everyone"' });
    const d = deleteRows(state, 'test', '');
    expect(JSON.parse(d.reply.body)).toEqual({ ok: true, dataMode: 'test', scope: 'mine', deleted: 1 });
    expect(d.rewriteWithout).toBe('test');
    expect(state.stats.deleted).toBe(1);
    expect(state.ledger.rows().map((r) => r.externalRequestId)).toEqual(['r']);
    expect(brief(ingest(state, payload('t'))).outcome).toBe('accepted');
  });
});
