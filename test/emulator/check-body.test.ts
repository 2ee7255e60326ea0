/**
 * An ingest body checked as validate checks a record (src/emulator/check-body.ts), in process:
 * the server's verdict (400 or accepted, at the rules' own severities) and the team's findings
 * (at the configured severities, located in the body), kept apart.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { RulePolicy } from '../../src/contract/rule-settings.js';
import { checkBody, type BodyVerdict } from '../../src/emulator/check-body.js';
import { loadLocator } from '../../src/read/locate.js';
import { NOW, cleanPayload } from '../helpers/payloads.js';

beforeAll(() => loadLocator());
const catalog = builtinCatalog();

function check(body: string | Buffer | object, rules?: Record<string, 'off' | 'warning' | 'error'>): BodyVerdict {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return checkBody(bytes, { catalog, rules: rules ? new RulePolicy(rules) : undefined, now: NOW, demo: false, demoRow: () => cleanPayload() as never });
}
const rulesOf = (v: BodyVerdict) => v.findings.map((f) => `${f.severity} ${f.rule} ${f.pointer}`);

describe('checkBody: what the server answers and what the team is told', () => {
  it('a clean payload: accepted, no findings', () => {
    const v = check(cleanPayload());
    expect(v).toMatchObject({ ok: true, findings: [], serverWarnings: [], externalRequestId: 'ext_d6d2e4e3ea72d9f95fdb5e2c' });
  });

  it("the SDKs' habits are warnings: accepted, each finding located in the body", () => {
    const v = check(cleanPayload({ promptVersion: 'unknown', inputTokens: 0, outputTokens: 0, totalTokens: 0, latencyMs: undefined }));
    expect(v.ok).toBe(true);
    expect(rulesOf(v)).toEqual([
      'warning payload/placeholder-value /promptVersion',
      'warning payload/missing-latency /latencyMs',
      'warning payload/zero-usage /inputTokens',
    ]);
    const text = JSON.stringify(cleanPayload({ promptVersion: 'unknown', inputTokens: 0, outputTokens: 0, totalTokens: 0, latencyMs: undefined }));
    const placeholder = v.findings[0]!;
    expect(placeholder).toMatchObject({ line: 1, column: text.indexOf('"unknown"') + 1, hint: expect.any(String) });
  });

  it('a pretty-printed body: findings on their own lines and columns', () => {
    const text = JSON.stringify(cleanPayload({ model: 'gpt-9-imaginary' }), null, 2);
    const v = check(text);
    const unknown = v.findings.find((f) => f.rule === 'catalog/unknown-model')!;
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.includes('gpt-9-imaginary'));
    expect(unknown).toMatchObject({ line: at + 1, column: lines[at]!.indexOf('"gpt-9-imaginary"') + 1, pointer: '/model' });
  });

  it("the team's rule settings change the findings, never the answer", () => {
    const body = cleanPayload({ latencyMs: undefined, promptVersion: undefined });
    expect(rulesOf(check(body))).toEqual(['warning payload/missing-prompt-version /promptVersion', 'warning payload/missing-latency /latencyMs']);
    const v = check(body, { 'payload/missing-prompt-version': 'off', 'payload/missing-latency': 'error' });
    expect(v.ok).toBe(true); // the API accepts it: raising a rule is the team's policy
    expect(rulesOf(v)).toEqual(['error payload/missing-latency /latencyMs']);
  });

  it('a contract error is refused even when the team turned its rule off or down, and the finding says why', () => {
    const body = cleanPayload({ inputTokens: '12' });
    for (const level of ['off', 'warning'] as const) {
      const v = check(body, { 'payload/type': level });
      expect(v.ok, level).toBe(false);
      if (!v.ok)
        expect(v.errors).toEqual([
          { pointer: '/inputTokens', rule: 'payload/type', message: 'inputTokens must be a JSON number, got the string "12"', hint: 'write 12 without quotes' },
        ]);
      expect(rulesOf(v)).toEqual(['error payload/type /inputTokens']);
      expect(v.externalRequestId).toBe('ext_d6d2e4e3ea72d9f95fdb5e2c');
    }
  });

  it('a numeric errorCode (both SDKs can send one) is a 400 payload/type with a hint', () => {
    const v = check(cleanPayload({ status: 'error', errorCode: 20 }));
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.errors[0]).toMatchObject({ pointer: '/errorCode', rule: 'payload/type', hint: expect.stringContaining('"20"') });
  });

  it('a PII-looking userId is accepted with a note in warnings, and is an error finding (validate keeps it one)', () => {
    const v = check(cleanPayload({ userId: 'alice@example.com' }));
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.serverWarnings).toEqual([expect.stringContaining('(accepted; opsmeter validate reports payload/pii-user-id)')]);
    expect(rulesOf(v)).toEqual(['error payload/pii-user-id /userId']);
  });

  it('a duplicate key is a 400 json/duplicate-key at the second key, as validate reports it', () => {
    const text =
      '{"externalRequestId":"ext_dk","provider":"openai","model":"gpt-4o-mini","model":"gpt-4o","inputTokens":1,"outputTokens":1,"status":"success"}';
    const v = check(text);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.errors).toEqual([{ pointer: '/model', rule: 'json/duplicate-key', message: 'key "model" appears twice in one object' }]);
    expect(v.findings[0]).toMatchObject({ line: 1, column: text.lastIndexOf('"model"') + 1 });
    expect(v.externalRequestId).toBe('ext_dk');
    // A nested one too (metadata is an object).
    const nested = check('{"provider":"openai","model":"gpt-4o-mini","status":"success","inputTokens":1,"outputTokens":1,"metadata":{"a":1,"a":2}}');
    expect(nested.findings.map((f) => [f.rule, f.pointer])).toEqual([['json/duplicate-key', '/metadata/a']]);
  });

  it('bad JSON, an empty body and bad UTF-8: one error each, located, with a 400 body', () => {
    const syntax = check('{"provider": "openai",\n "model": }');
    expect(syntax.ok).toBe(false);
    if (!syntax.ok) expect(syntax.errors[0]!.message).toMatch(/^invalid JSON: /);
    expect(syntax.findings[0]).toMatchObject({ rule: 'json/syntax', line: 2, column: 11 });
    expect(rulesOf(check(''))).toEqual(['error payload/not-object ']);
    expect(rulesOf(check(Buffer.from([0x7b, 0xff, 0x7d])))).toEqual(['error json/encoding ']);
  });
});
