/**
 * In process: validate's --quiet as in ESLint 9 (warning rules not run unless a warning
 * threshold needs their count), and the SARIF renderer's record of the run's rule settings
 * (configuration overrides, SARIF 2.1.0). The CLI side is in test/cli/config.test.ts.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { RulePolicy } from '../../src/contract/rule-settings.js';
import { ALL_RULES } from '../../src/contract/rules.js';
import { expandPaths } from '../../src/read/paths.js';
import { renderSarif } from '../../src/report/sarif.js';
import { PLAIN } from '../../src/terminal.js';
import { quietCountsWarnings, validateSources, type ValidateOptions } from '../../src/validate/validate.js';
import { FIXTURES } from '../helpers/cli.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const catalog = builtinCatalog();

async function run(opts: Partial<ValidateOptions> = {}) {
  const { sources } = await expandPaths([join(FIXTURES, 'payloads', 'rules'), join(FIXTURES, 'payloads', 'broken')], { include: /\.(json|jsonl|ndjson|txt|bin)$/i });
  return validateSources(sources, { catalog, now: NOW, ...opts });
}

describe('--quiet (validateSources)', () => {
  it('alone: the errors of a full run, in the same places, and no warning checked or counted', async () => {
    const full = await run();
    const quiet = await run({ quiet: true });
    expect(full.counts.warnings).toBeGreaterThan(0);
    expect(quiet.problems).toEqual(full.problems.filter((p) => p.severity === 'error'));
    expect(quiet.counts).toEqual({ ...full.counts, warnings: 0 });
    expect(quiet.warningsSkipped).toBe(true);
    expect(quiet.quietWarnings).toBe(0);
    expect(quiet.files.every((f) => f.warnings === 0)).toBe(true);
    const errorRules = new Set(full.problems.filter((p) => p.severity === 'error').map((p) => p.rule));
    expect(Object.keys(quiet.byRule).every((id) => errorRules.has(id))).toBe(true);
  });

  it('with a threshold: warnings counted exactly, not listed', async () => {
    const full = await run();
    const counted = await run({ quiet: true, countQuietWarnings: true });
    expect(counted.problems).toEqual(full.problems.filter((p) => p.severity === 'error'));
    expect(counted.counts).toEqual(full.counts);
    expect(counted.byRule).toEqual(full.byRule);
    expect(counted.quietWarnings).toBe(full.counts.warnings);
    expect(counted.warningsSkipped).toBe(false);
  });

  it('a warning rule raised to error is an error, and --quiet reports it', async () => {
    const rules = new RulePolicy({ 'payload/missing-latency': 'error' });
    const full = await run({ rules });
    const quiet = await run({ quiet: true, rules });
    const raised = full.problems.filter((p) => p.rule === 'payload/missing-latency');
    expect(raised.length).toBeGreaterThan(0);
    expect(quiet.problems.filter((p) => p.rule === 'payload/missing-latency')).toEqual(raised);
  });

  it('a threshold is --max-warnings (the config\'s maxWarnings) or --strict', () => {
    expect(quietCountsWarnings({ strict: false })).toBe(false);
    expect(quietCountsWarnings({ strict: true })).toBe(true);
    expect(quietCountsWarnings({ strict: false, maxWarnings: 0 })).toBe(true);
  });
});

describe('SARIF: the run\'s rule settings as configuration overrides', () => {
  type Override = { descriptor: { id: string; index: number }; configuration: { level?: string; enabled?: boolean } };
  const ctx = { paint: PLAIN, strict: false, version: 't', catalog: 'c' };
  const overrides = async (extra: Partial<typeof ctx> & { ruleSettings?: Record<string, string> }, result?: Awaited<ReturnType<typeof run>>) => {
    const sarif = JSON.parse(renderSarif(result ?? (await run()), { ...ctx, ...extra }));
    const run0 = sarif.runs[0];
    // The rules keep their defaults whatever the settings.
    expect(run0.tool.driver.rules.map((r: { defaultConfiguration: { level: string } }) => r.defaultConfiguration.level)).toEqual(ALL_RULES.map((r) => r.severity));
    return (run0.invocations[0].ruleConfigurationOverrides ?? []) as Override[];
  };

  it('lists each changed rule once, pointing at its descriptor by id and index', async () => {
    const list = await overrides({ ruleSettings: { 'payload/missing-latency': 'off', 'payload/type': 'warning', 'payload/unknown-field': 'error' } });
    expect(list.map((o) => [o.descriptor.id, o.configuration])).toEqual(
      [
        ['payload/missing-latency', { enabled: false }],
        ['payload/type', { level: 'warning' }],
        ['payload/unknown-field', { level: 'error' }],
      ].sort((a, b) => ALL_RULES.findIndex((r) => r.id === a[0]) - ALL_RULES.findIndex((r) => r.id === b[0])),
    );
    for (const o of list) expect(ALL_RULES[o.descriptor.index]!.id).toBe(o.descriptor.id);
  });

  it('--strict raises every warning rule; --quiet alone disables them; none without settings', async () => {
    const warningRules = ALL_RULES.filter((r) => r.severity === 'warning').map((r) => r.id);
    expect((await overrides({ strict: true })).map((o) => [o.descriptor.id, o.configuration.level])).toEqual(warningRules.map((id) => [id, 'error']));
    const quiet = await run({ quiet: true });
    expect((await overrides({}, quiet)).map((o) => [o.descriptor.id, o.configuration.enabled])).toEqual(warningRules.map((id) => [id, false]));
    expect(await overrides({})).toEqual([]);
  });
});
