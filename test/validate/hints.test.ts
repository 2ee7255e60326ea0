/**
 * Every problem says what to do: each rule has a hint, and every problem validate reports
 * on every bad and broken fixture carries one (its own, or its rule's).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { ALL_RULES } from '../../src/contract/rules.js';
import { expandPaths } from '../../src/read/paths.js';
import { validateSources } from '../../src/validate/validate.js';
import { FIXTURES } from '../helpers/cli.js';

describe('hints', () => {
  it('every rule in the registry has one', () => {
    for (const r of ALL_RULES) expect(r.hint.length, r.id).toBeGreaterThan(10);
  });

  it('every problem on the rule and broken fixtures carries one', async () => {
    const { sources } = await expandPaths([join(FIXTURES, 'payloads', 'rules'), join(FIXTURES, 'payloads', 'broken')], {
      include: /\.(json|jsonl|ndjson|txt|bin)$/i,
    });
    const result = await validateSources(sources, { catalog: builtinCatalog(), now: Date.parse('2026-03-01T12:00:00Z') });
    expect(result.problems.length).toBeGreaterThan(ALL_RULES.length);
    const seen = new Set<string>();
    for (const p of result.problems) {
      expect(p.hint, `${p.file}:${p.line} ${p.rule}`).toBeTruthy();
      seen.add(p.rule);
    }
    // The fixtures exercise (nearly) every rule, so this covers the rules' own hints too.
    expect(seen.size).toBeGreaterThanOrEqual(ALL_RULES.length - 2);
  });
});
