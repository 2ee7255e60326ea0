/**
 * Rule settings applied by lint: off drops, re-levelled findings carry the new severity,
 * and errors-only lint (import's gate) finds exactly the errors a full lint finds under
 * the same settings, including warnings raised to error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { lintPayload } from '../../src/contract/lint.js';
import {
  CONFIGURABLE_RULE_IDS,
  RulePolicy,
  RuleSettingError,
  closest,
  levelSuggestion,
  parseRuleFlag,
  ruleLevel,
  rulePolicy,
  type RuleLevel,
  type RuleLevelSetting,
} from '../../src/contract/rule-settings.js';
import { ruleById } from '../../src/contract/rules.js';
import { payloadArb } from '../helpers/arbitraries.js';

const catalog = builtinCatalog();
const now = Date.parse('2026-03-10T00:00:00Z');
const NO_LATENCY = { externalRequestId: 'e1', provider: 'openai', model: 'gpt-4o-mini', promptVersion: 'v1', endpointTag: 't', inputTokens: 1, outputTokens: 2, status: 'success' };

describe('level spellings', () => {
  it("ESLint's words and numbers, and warning as an alias of warn, all mean the reports' three levels", () => {
    const spellings: [RuleLevelSetting, RuleLevel][] = [
      ['off', 'off'],
      ['warn', 'warning'],
      ['error', 'error'],
      [0, 'off'],
      [1, 'warning'],
      [2, 'error'],
      ['warning', 'warning'],
    ];
    for (const [spelling, level] of spellings) {
      expect(ruleLevel(spelling), String(spelling)).toBe(level);
      const policy = new RulePolicy({ 'payload/missing-latency': spelling });
      expect(policy.settings).toEqual({ 'payload/missing-latency': level });
      const found = lintPayload(NO_LATENCY, { catalog, now, rules: policy });
      expect(found.map((f) => f.rule.severity)).toEqual(level === 'off' ? [] : [level]);
    }
    for (const bad of ['Warn', 'warnings', '2', 3, -1, true, null, 'info']) expect(ruleLevel(bad), String(bad)).toBeUndefined();
  });

  it('--rule takes every spelling (a number as text), and words a typo with a did-you-mean', () => {
    expect(parseRuleFlag('payload/missing-latency=warn')).toEqual(['payload/missing-latency', 'warning']);
    expect(parseRuleFlag('payload/missing-latency=2')).toEqual(['payload/missing-latency', 'error']);
    expect(parseRuleFlag('payload/missing-latency = 0')).toEqual(['payload/missing-latency', 'off']);
    expect(parseRuleFlag('payload/missing-latency=warning')).toEqual(['payload/missing-latency', 'warning']);
    expect(levelSuggestion('Warn')).toBe('warn');
    expect(levelSuggestion('eror')).toBe('error');
    expect(levelSuggestion('"1"')).toBeUndefined();
    expect(levelSuggestion(' 1 ')).toBe('1');
    expect(levelSuggestion('verbose')).toBeUndefined();
  });
});

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
    expect(() => new RulePolicy({ 'payload/missing-latency': 'warnn' as 'off' })).toThrow(/level must be "off", "warn" or "error" \(or 0, 1, 2; "warning" = "warn"\), got "warnn"/);
    expect(() => new RulePolicy({ 'payload/missing-latency': 3 as 0 })).toThrow(RuleSettingError);
    expect(() => parseRuleFlag('payload/missing-latency')).toThrow(/RULE=off\|warn\|error \(or 0\|1\|2\)/);
    expect(parseRuleFlag('payload/missing-latency=off')).toEqual(['payload/missing-latency', 'off']);
    const typo = (() => {
      try {
        parseRuleFlag('payload/missing-latency=eror');
      } catch (e) {
        return e as RuleSettingError;
      }
    })();
    expect(typo?.hint).toBe('did you mean --rule payload/missing-latency=error?');
    expect(closest('payload/missing-latncy', CONFIGURABLE_RULE_IDS)).toBe('payload/missing-latency');
    expect(closest('missing-latency', CONFIGURABLE_RULE_IDS)).toBe('payload/missing-latency');
    expect(closest('something-else-entirely', CONFIGURABLE_RULE_IDS)).toBeUndefined();
  });
});
