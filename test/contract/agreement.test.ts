/**
 * The fast linter (lintPayload, error-severity findings only) and the zod schema
 * (payloadSchema.safeParse) must accept exactly the same payloads: validate uses the
 * linter, the emulator and the sender use the schema, and a payload that one accepts and
 * the other refuses would pass CI and then fail on the wire (or the reverse).
 * Checked on every fixture record and on generated payloads mixing valid and invalid
 * values for every field. Values are built the way JSON.parse builds them (own
 * "__proto__" keys included, 1e400 as Infinity).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIELD_NAMES } from '../../src/contract/fields.js';
import { lintPayload } from '../../src/contract/lint.js';
import { payloadSchema } from '../../src/contract/schema.js';
import { readRecords } from '../../src/read/records.js';
import { payloadArb } from '../helpers/arbitraries.js';
import { PAYLOAD_FIXTURES, lintCtx, payloadFilesUnder, sourceFor } from '../helpers/payloads.js';

const ctx = lintCtx();

function verdicts(value: unknown) {
  const lintErrors = lintPayload(value, ctx).filter((f) => f.rule.severity === 'error');
  const parsed = payloadSchema.safeParse(value);
  return { lintOk: lintErrors.length === 0, schemaOk: parsed.success, lintErrors: lintErrors.map((f) => `${f.rule.id} ${f.pointer}`), issues: parsed.success ? [] : parsed.error.issues };
}

function expectAgreement(value: unknown, where: string) {
  const v = verdicts(value);
  if (v.lintOk !== v.schemaOk) {
    throw new Error(`lint and schema disagree on ${where}: lint ${v.lintOk ? 'accepts' : `refuses (${v.lintErrors.join(', ')})`}, schema ${v.schemaOk ? 'accepts' : 'refuses'}\n${JSON.stringify(value).slice(0, 2000)}`);
  }
}

async function fixtureRecords(): Promise<{ where: string; value: unknown }[]> {
  const out: { where: string; value: unknown }[] = [];
  for (const path of payloadFilesUnder(PAYLOAD_FIXTURES)) {
    await readRecords(sourceFor(path), {
      record: (r) => void out.push({ where: `${path.slice(PAYLOAD_FIXTURES.length + 1)}:${r.line}`, value: r.value }),
      fault: () => undefined,
    });
  }
  return out;
}

describe('lintPayload and payloadSchema agree', () => {
  it('on every fixture record', async () => {
    const records = await fixtureRecords();
    expect(records.length).toBeGreaterThan(80);
    let accepted = 0;
    for (const { where, value } of records) {
      expectAgreement(value, where);
      if (verdicts(value).schemaOk) accepted++;
    }
    // Both verdicts occur: the fixtures are not all good or all bad.
    expect(accepted).toBeGreaterThan(20);
    expect(records.length - accepted).toBeGreaterThan(20);
  });

  it('on known edge cases', () => {
    const base = { provider: 'openai', model: 'gpt-4o-mini', status: 'success', inputTokens: 1, outputTokens: 2 };
    const cases: unknown[] = [
      base,
      { ...base, inputTokens: -0 },
      { ...base, inputTokens: 2 ** 53 - 1 },
      { ...base, inputTokens: 2 ** 53 },
      { ...base, latencyMs: JSON.parse('1e400') as number },
      { ...base, metadata: { big: JSON.parse('1e400') as number } },
      { ...base, metadata: JSON.parse('{"__proto__": {"a": 1}}') as unknown },
      { ...base, metadata: JSON.parse('{"__proto__": "x"}') as unknown },
      JSON.parse('{"provider":"openai","model":"m","status":"success","inputTokens":1,"outputTokens":2,"__proto__":{"x":1}}') as unknown,
      { ...base, createdAt: '2026-02-30T00:00:00Z' },
      { ...base, createdAt: '2026-03-01T12:00:00+0530' },
      { ...base, createdAt: '2026-03-01T12:00:00.1234567891Z' },
      { ...base, createdAt: '2026-03-01T12:00+01:00' },
      { ...base, userId: '😀'.repeat(128) }, // 256 UTF-16 code units
      { ...base, userId: '😀'.repeat(129) },
      { ...base, metadata: { usageStatus: 'partial', partialReason: 'usage_missing', extra: null } },
      { provider: 'a', model: 'b', status: 'error', metadata: { usageStatus: 'partial', partialReason: 'not_measured' } },
      { provider: 'a', model: 'b', status: 'error', metadata: { usageStatus: 'partial', partialReason: 'not_measured', nested: {} } },
      { provider: 'a', model: 'b', status: 'error', inputTokens: -1, metadata: { usageStatus: 'partial', partialReason: 'not_measured' } },
      { provider: 'a', model: 'b', status: 'error', metadata: { usageStatus: 'complete' } },
      { ...base, metadata: { usageStatus: null } },
      [],
      [base],
      null,
      'payload',
    ];
    cases.forEach((c, i) => expectAgreement(c, `edge case ${i}`));
  });

  it('on generated payloads (valid and invalid values for every field)', () => {
    fc.assert(
      fc.property(payloadArb, (p) => {
        expectAgreement(p, 'a generated payload');
      }),
      { numRuns: 3000, seed: 20260301 },
    );
  });

  it('the generator produces both verdicts and every field (it is not testing nothing)', () => {
    const sample = fc.sample(payloadArb, { numRuns: 2000, seed: 7 });
    const ok = sample.filter((p) => verdicts(p).schemaOk).length;
    expect(ok).toBeGreaterThan(200);
    expect(sample.length - ok).toBeGreaterThan(200);
    for (const f of FIELD_NAMES) {
      expect(sample.some((p) => typeof p === 'object' && p !== null && f in p), f).toBe(true);
    }
  });
});
