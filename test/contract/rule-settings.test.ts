/**
 * Rule settings applied by lint: off drops, re-levelled findings carry the new severity,
 * and errors-only lint (import's gate) finds exactly the errors a full lint finds under
 * the same settings, including warnings raised to error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { lintPayload } from '../../src/contract/lint.js';
import { CONFIGURABLE_RULE_IDS, RulePolicy, RuleSettingError, closest, parseRuleFlag, rulePolicy } from '../../src/contract/rule-settings.js';
import { ruleById } from '../../src/contract/rules.js';
import { payloadArb } from '../helpers/arbitraries.js';

const catalog = builtinCatalog();
const now = Date.parse('2026-03-10T00:00:00Z');
const NO_LATENCY = { externalRequestId: 'e1', provider: 'openai', model: 'gpt-4o-mini', promptVersion: 'v1', endpointTag: 't', inputTokens: 1, outputTokens: 2, status: 'success' };

describe('rule settings in lint', () => {
  it('off drops a finding; error and warning re-level it', () => {
    expect(lintPayload(NO_LATENCY, { catalog, now }).map((f) => [f.rule.id, f.rule.severity])).toEqual([['payload/missing-latency', 'warning']]);
    expect(lintPayload(NO_LATENCY, { catalog, now, rules: { 'payload/missing-latency': 'off' } })).toEqual([]);
    const raised = lintPayload(NO_LATENCY, { catalog, now, rules: { 'payload/missing-latency': 'error' } });
    expect(raised.map((f) => [f.rule.id, f.rule.severity])).toEqual([['payload/missing-latency', 'error']]);
    const bad = { ...NO_LATENCY, latencyMs: 3, inputTokens: '1' };
    expect(lintPayload(bad, { catalog, now, rules: { 'payload/type': 'warning' } }).map((f) => f.rule.severity)).toEqual(['warning']);
    expect(lintPayload(bad, { catalog, now, errorsOnly: true, rules: { 'payload/type': 'warning' } })).toEqual([]);
    expect(lintPayload(NO_LATENCY, { catalog, now, errorsOnly: true, rules: { 'payload/missing-latency': 'error' } })).toHaveLength(1);
  });

  it('the registry is not touched, and a plain settings object is compiled once', () => {
    const settings = { 'payload/missing-latency': 'error' } as const;
    lintPayload(NO_LATENCY, { catalog, now, rules: settings });
    expect(ruleById('payload/missing-latency')!.severity).toBe('warning');
    expect(rulePolicy(settings)).toBe(rulePolicy(settings));
  });

  it('errors-only lint finds the same errors as a full lint, under random settings', () => {
    const levels = fc.constantFrom('off', 'warning', 'error');
    const settingsArb = fc.dictionary(fc.constantFrom(...CONFIGURABLE_RULE_IDS), levels, { maxKeys: 6 });
    fc.assert(
      fc.property(payloadArb, settingsArb, (payload, settings) => {
        const policy = new RulePolicy(settings);
        const full = lintPayload(payload, { catalog, now, rules: policy }).filter((f) => f.rule.severity === 'error');
        const gate = lintPayload(payload, { catalog, now, rules: policy, errorsOnly: true });
        expect(gate.map((f) => `${f.rule.id} ${f.pointer}`)).toEqual(full.map((f) => `${f.rule.id} ${f.pointer}`));
        for (const f of lintPayload(payload, { catalog, now, rules: policy })) expect(settings[f.rule.id]).not.toBe('off');
      }),
      { numRuns: 300 },
    );
  });

  it('bad settings are usage errors with a did-you-mean', () => {
    expect(() => new RulePolicy({ 'payload/missing-latncy': 'off' })).toThrow(RuleSettingError);
    expect(() => new RulePolicy({ 'json/syntax': 'off' })).toThrow(/cannot be configured/);
    expect(() => new RulePolicy({ 'payload/missing-latency': 'warn' as 'off' })).toThrow(/off, warning, error/);
    expect(() => parseRuleFlag('payload/missing-latency')).toThrow(/RULE=off\|warning\|error/);
    expect(parseRuleFlag('payload/missing-latency=off')).toEqual(['payload/missing-latency', 'off']);
    expect(closest('payload/missing-latncy', CONFIGURABLE_RULE_IDS)).toBe('payload/missing-latency');
    expect(closest('missing-latency', CONFIGURABLE_RULE_IDS)).toBe('payload/missing-latency');
    expect(closest('something-else-entirely', CONFIGURABLE_RULE_IDS)).toBeUndefined();
  });
});
