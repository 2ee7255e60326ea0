/**
 * `lintPayload(v, {errorsOnly: true})` skips the warning-only checks (the import's
 * per-payload gate drops warnings anyway). It must find exactly the errors a full lint
 * finds — same rules, pointers, messages, hints, in the same order — on every payload
 * fixture record and on generated payloads mixing valid and invalid values for every field.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lintPayload, type Finding } from '../../src/contract/lint.js';
import { readRecords } from '../../src/read/records.js';
import { payloadArb } from '../helpers/arbitraries.js';
import { NOW, PAYLOAD_FIXTURES, cleanPayload, lintCtx, payloadFilesUnder, sourceFor } from '../helpers/payloads.js';

const ctx = lintCtx();
const errorsOnly = { ...ctx, errorsOnly: true };
const brief = (fs: Finding[]) => fs.map((f) => ({ id: f.rule.id, severity: f.rule.severity, pointer: f.pointer, message: f.message, hint: f.hint, target: f.target }));

function expectSameErrors(value: unknown, now = NOW): { errors: number; warnings: number } {
  const full = lintPayload(value, { ...ctx, now });
  const fast = lintPayload(value, { ...errorsOnly, now });
  const errors = full.filter((f) => f.rule.severity === 'error');
  expect(brief(fast)).toEqual(brief(errors));
  return { errors: errors.length, warnings: full.length - errors.length };
}

describe('lintPayload errorsOnly', () => {
  it('finds exactly the full lint’s errors on every payload fixture record', async () => {
    const values: unknown[] = [];
    for (const path of payloadFilesUnder(PAYLOAD_FIXTURES)) {
      await readRecords(sourceFor(path), { record: (r) => void values.push(r.value), fault: () => undefined });
    }
    expect(values.length).toBeGreaterThan(80);
    let errors = 0;
    let warnings = 0;
    for (const v of values) {
      const n = expectSameErrors(v);
      errors += n.errors;
      warnings += n.warnings;
    }
    // Both kinds occur, so the comparison is not vacuous.
    expect(errors).toBeGreaterThan(20);
    expect(warnings).toBeGreaterThan(20);
  });

  it('reports no warning-only rule, even where the full lint finds several', () => {
    const p = cleanPayload({ promptVersion: undefined, endpointTag: undefined, latencyMs: undefined, model: 'gpt-4o-minii', totalTokens: 1, Extra: 1, createdAt: '2020-01-01T00:00:00Z' });
    expect(lintPayload(p, ctx).length).toBeGreaterThanOrEqual(6);
    expect(lintPayload(p, errorsOnly)).toEqual([]);
  });

  it('finds exactly the full lint’s errors on generated payloads', () => {
    fc.assert(
      fc.property(payloadArb, fc.integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2100-01-01T00:00:00Z') }), (p, now) => {
        expectSameErrors(p, now);
      }),
      { numRuns: 4000, seed: 20261127 },
    );
  });
});
