/**
 * The fast linter, rule by rule: each rule fires on its bad case (with the message and
 * hint a user needs) and stays silent on the closest good case. File-level rules
 * (json/*, file/empty, duplicate ids) are covered by the readers' and validate tests.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/contract/catalog.js';
import { FIELD_NAMES } from '../../src/contract/fields.js';
import { fieldRule, isClean, lintPayload, piiKind, type Finding } from '../../src/contract/lint.js';
import { ALL_RULES, RULES } from '../../src/contract/rules.js';
import { fieldArbs, payloadArb } from '../helpers/arbitraries.js';
import { NOW, cleanPayload, lintCtx } from '../helpers/payloads.js';

const lint = (p: unknown, ctx = lintCtx()) => lintPayload(p, ctx);
const ids = (fs: Finding[]) => fs.map((f) => f.rule.id);
const only = (fs: Finding[], id: string) => fs.filter((f) => f.rule.id === id);
const partialMeta = (reason: unknown = 'usage_missing') => ({ usageStatus: 'partial', partialReason: reason });
const noUsage = { inputTokens: undefined, outputTokens: undefined, totalTokens: undefined };

describe('lintPayload', () => {
  it('accepts a clean payload with no findings at all', () => {
    expect(lint(cleanPayload())).toEqual([]);
  });

  it('rule registry: ids are unique and stable in shape', () => {
    const seen = new Set<string>();
    for (const r of ALL_RULES) {
      expect(r.id).toMatch(/^(json|file|payload|catalog)\/[a-z0-9-]+$/);
      expect(seen.has(r.id)).toBe(false);
      seen.add(r.id);
      expect(['error', 'warning']).toContain(r.severity);
      expect(r.doc.length).toBeGreaterThan(10);
    }
  });

  describe('payload/not-object', () => {
    it.each([
      ['an array', [cleanPayload()]],
      ['a string', 'openai'],
      ['a number', 42],
      ['null', null],
      ['a boolean', true],
    ])('refuses %s and reports nothing else', (what, v) => {
      const f = lint(v);
      expect(ids(f)).toEqual(['payload/not-object']);
      expect(f[0]!.message).toContain(what === 'null' ? 'null' : what.replace(/^an? /, ''));
      expect(f[0]!.pointer).toBe('');
    });
  });

  describe('payload/required', () => {
    it.each(['provider', 'model', 'status'])('%s missing → error pointing at the record', (field) => {
      const f = only(lint(cleanPayload({ [field]: undefined })), 'payload/required');
      expect(f).toHaveLength(1);
      expect(f[0]).toMatchObject({ pointer: '/' + field, target: 'record', message: `${field} is required` });
    });
    it('optional fields may be absent', () => {
      const p = cleanPayload({ errorCode: undefined, userId: undefined, dataMode: undefined, environment: undefined, totalTokens: undefined });
      expect(lint(p)).toEqual([]);
    });
  });

  describe('payload/type', () => {
    it('a number sent as a string: error with the unquoted value as hint', () => {
      const f = lint(cleanPayload({ inputTokens: '120' }));
      expect(ids(f)).toEqual(['payload/type']);
      expect(f[0]).toMatchObject({ pointer: '/inputTokens', target: 'value', hint: 'write 120 without quotes' });
      expect(f[0]!.message).toBe('inputTokens must be a JSON number, got the string "120"');
    });
    it('a string field sent as a number: hint says to quote it', () => {
      const f = lint(cleanPayload({ tenantId: 42 }));
      expect(f[0]).toMatchObject({ rule: RULES.type, pointer: '/tenantId', hint: 'write "42" in quotes' });
    });
    it.each([
      ['provider', null],
      ['externalRequestId', null],
      ['latencyMs', true],
      ['totalTokens', [1]],
      ['status', 1],
      ['dataMode', null],
      ['createdAt', 1767225600000],
      ['promptVersion', { v: 3 }],
    ])('%s = %j is a type error', (field, value) => {
      expect(ids(lint(cleanPayload({ [field]: value })))).toContain('payload/type');
    });
    it('a numeric errorCode (the SDKs pass error.code through) stays an error, with a hint to send a string', () => {
      const f = lint(cleanPayload({ status: 'error', errorCode: 20 }));
      expect(ids(f)).toEqual(['payload/type']);
      expect(f[0]).toMatchObject({ pointer: '/errorCode', target: 'value' });
      expect(f[0]!.hint).toBe('send the code as a string, e.g. "20" (an SDK passing error.code through sends a number)');
    });
    it('errorCode and userId may be null; other strings may not', () => {
      expect(lint(cleanPayload({ errorCode: null, userId: null }))).toEqual([]);
      const f = lint(cleanPayload({ tenantId: null }));
      expect(f[0]!.message).toBe('tenantId must be a string, got null');
      expect(lint(cleanPayload({ userId: 7 }))[0]!.message).toBe('userId must be a string or null, got the number 7');
    });
  });

  describe('payload/string-length', () => {
    it('1 and 256 characters are fine', () => {
      expect(lint(cleanPayload({ promptVersion: 'v', endpointTag: 'e'.repeat(256) }))).toEqual([]);
    });
    it('empty and 257 characters are errors', () => {
      const empty = lint(cleanPayload({ endpointTag: '' }));
      expect(ids(empty)).toEqual(['payload/string-length']);
      expect(empty[0]!.message).toBe('endpointTag must not be empty');
      const long = lint(cleanPayload({ externalRequestId: 'x'.repeat(257) }));
      expect(ids(long)).toEqual(['payload/string-length']);
      expect(long[0]!.message).toBe('externalRequestId is 257 characters long; the limit is 256');
    });
    it('length counts Unicode code points, as JSON Schema and zod do (not UTF-16 units)', () => {
      expect(lint(cleanPayload({ tenantId: '😀'.repeat(256) }))).toEqual([]); // 512 UTF-16 units
      const f = lint(cleanPayload({ tenantId: '😀'.repeat(257) }));
      expect(f[0]!.message).toBe('tenantId is 257 characters long; the limit is 256');
    });
    it('required strings: an empty provider is a length error, not a missing one', () => {
      expect(ids(lint(cleanPayload({ provider: '' })))).toEqual(['payload/string-length']);
    });
  });

  describe('payload/enum', () => {
    it('"Prod" → error whose hint says prod', () => {
      const f = lint(cleanPayload({ environment: 'Prod' }));
      expect(ids(f)).toEqual(['payload/enum']);
      expect(f[0]).toMatchObject({
        pointer: '/environment',
        message: 'environment must be one of "prod", "staging", "dev", got the string "Prod"',
        hint: 'use "prod" (exact lowercase)',
      });
    });
    it.each([
      ['status', 'SUCCESS', 'success'],
      ['status', ' error ', 'error'],
      ['dataMode', 'Test', 'test'],
      ['environment', 'STAGING', 'staging'],
    ])('%s %j → hint %j', (field, value, fix) => {
      const f = only(lint(cleanPayload({ [field]: value, ...(field === 'status' ? { errorCode: 'x' } : {}) })), 'payload/enum');
      expect(f[0]!.hint).toBe(`use "${fix}" (exact lowercase)`);
    });
    it('a value that is no case variant gets no hint', () => {
      const f = lint(cleanPayload({ environment: 'production' }));
      expect(f[0]!.rule.id).toBe('payload/enum');
      expect(f[0]!.hint).toBeUndefined();
    });
  });

  describe('payload/count', () => {
    it.each([
      [12.5, 'inputTokens must be a whole number, got 12.5'],
      [-3, 'inputTokens must not be negative, got -3'],
      [Infinity, 'inputTokens is beyond the range of a double (e.g. 1e400): larger than the largest safe integer (2^53-1)'],
      [2 ** 53, 'inputTokens is 9007199254740992: larger than the largest safe integer (2^53-1)'],
      [-Infinity, 'inputTokens is beyond the range of a double (e.g. 1e400): larger than the largest safe integer (2^53-1)'],
      [NaN, 'inputTokens is beyond the range of a double (e.g. 1e400): larger than the largest safe integer (2^53-1)'],
    ])('%s → %s', (v, message) => {
      const f = lint(cleanPayload({ inputTokens: v, totalTokens: undefined }));
      expect(ids(f)).toEqual(['payload/count']);
      expect(f[0]).toMatchObject({ pointer: '/inputTokens', target: 'value', message });
    });
    it('JSON.parse("1e400") is Infinity and is refused', () => {
      const p = JSON.parse('{"latencyMs":1e400}') as { latencyMs: number };
      expect(ids(lint(cleanPayload({ latencyMs: p.latencyMs })))).toEqual(['payload/count']);
    });
    it('0, 2^53-1 and -0 are fine', () => {
      expect(lint(cleanPayload({ inputTokens: 0, outputTokens: 0, totalTokens: 0, status: 'error', errorCode: 'provider_timeout' }))).toEqual([]);
      expect(lint(cleanPayload({ inputTokens: 120, outputTokens: 0, totalTokens: 120 }))).toEqual([]);
      expect(lint(cleanPayload({ latencyMs: Number.MAX_SAFE_INTEGER }))).toEqual([]);
      expect(lint(cleanPayload({ latencyMs: -0 }))).toEqual([]);
    });
  });

  describe('payload/usage-missing and the partial convention', () => {
    it('no usage and no mark → one error per missing count, with the partial hint', () => {
      const f = lint(cleanPayload({ ...noUsage }));
      expect(ids(f)).toEqual(['payload/usage-missing', 'payload/usage-missing']);
      expect(f.map((x) => x.pointer)).toEqual(['/inputTokens', '/outputTokens']);
      expect(f[0]!.hint).toContain('metadata.usageStatus="partial"');
    });
    it('a partial mark with a known reason makes token counts optional', () => {
      for (const reason of ['usage_missing', 'request_failed', 'batch_expired', 'batch_canceled', 'not_measured']) {
        expect(lint(cleanPayload({ ...noUsage, latencyMs: undefined, metadata: partialMeta(reason) }))).toEqual([]);
      }
    });
    it('a partial payload may carry the counts it does know', () => {
      expect(lint(cleanPayload({ outputTokens: undefined, totalTokens: undefined, metadata: partialMeta() }))).toEqual([]);
    });
    it('usageStatus "complete" is the same as no mark', () => {
      expect(ids(lint(cleanPayload({ ...noUsage, metadata: { usageStatus: 'complete' } })))).toEqual(['payload/usage-missing', 'payload/usage-missing']);
      expect(lint(cleanPayload({ metadata: { usageStatus: 'complete' } }))).toEqual([]);
    });
  });

  describe('payload/partial-mark', () => {
    it('partial without a reason points at usageStatus', () => {
      const f = lint(cleanPayload({ ...noUsage, metadata: { usageStatus: 'partial' } }));
      expect(ids(f)).toEqual(['payload/partial-mark']);
      expect(f[0]).toMatchObject({ pointer: '/metadata/usageStatus', message: 'metadata.usageStatus is "partial" but metadata.partialReason is missing' });
      expect(f[0]!.hint).toBe('one of usage_missing, request_failed, batch_expired, batch_canceled, not_measured');
    });
    it.each(['timeout', 'USAGE_MISSING', '', null, 3])('unknown reason %j points at partialReason', (reason) => {
      const f = lint(cleanPayload({ ...noUsage, metadata: partialMeta(reason) }));
      expect(ids(f)).toEqual(['payload/partial-mark']);
      expect(f[0]!.pointer).toBe('/metadata/partialReason');
    });
    it('a usageStatus other than partial/complete is an error (and the payload counts as complete)', () => {
      const f = lint(cleanPayload({ metadata: { usageStatus: 'Partial' } }));
      expect(ids(f)).toEqual(['payload/partial-mark']);
      expect(f[0]!.message).toBe('metadata.usageStatus must be "partial" or "complete", got the string "Partial"');
      expect(ids(lint(cleanPayload({ ...noUsage, metadata: { usageStatus: 'Partial' } })))).toEqual([
        'payload/partial-mark',
        'payload/usage-missing',
        'payload/usage-missing',
      ]);
    });
    it('a partialReason without the partial mark is harmless', () => {
      expect(lint(cleanPayload({ metadata: { partialReason: 'usage_missing' } }))).toEqual([]);
    });
  });

  describe('payload/created-at', () => {
    it.each(['2026-03-01T11:00:00Z', '2026-03-01T11:00:00.123456Z', '2026-03-01T13:00:00+02:00', '2026-03-01T06:00:00-0500', '2026-03-01T11:00Z'])(
      '%s is accepted',
      (v) => {
        expect(lint(cleanPayload({ createdAt: v }))).toEqual([]);
      },
    );
    it('a zoneless timestamp → error with the UTC spelling as hint', () => {
      const f = lint(cleanPayload({ createdAt: '2026-03-01 11:00:00' }));
      expect(ids(f)).toEqual(['payload/created-at']);
      expect(f[0]).toMatchObject({ message: 'createdAt "2026-03-01 11:00:00" has no time zone', hint: 'if it is UTC, write "2026-03-01T11:00:00Z"' });
      expect(lint(cleanPayload({ createdAt: '2026-03-01T11:00:00' }))[0]!.hint).toBe('if it is UTC, write "2026-03-01T11:00:00Z"');
    });
    it.each(['yesterday', '2026-03-01', '2026-13-01T00:00:00Z', '2026-03-01T25:00:00Z', '1772366400', ''])('%j is not an ISO-8601 date-time', (v) => {
      expect(ids(lint(cleanPayload({ createdAt: v })))).toEqual(['payload/created-at']);
    });
  });

  describe('payload/created-at-future and payload/created-at-old (against ctx.now)', () => {
    it('5 minutes of clock skew are tolerated, more is the future', () => {
      expect(lint(cleanPayload({ createdAt: '2026-03-01T12:05:00Z' }))).toEqual([]);
      const f = lint(cleanPayload({ createdAt: '2026-03-01T12:05:01Z' }));
      expect(ids(f)).toEqual(['payload/created-at-future']);
      expect(f[0]!.message).toBe('createdAt 2026-03-01T12:05:01Z lies in the future');
    });
    it('14 days is the Free plan retention', () => {
      expect(lint(cleanPayload({ createdAt: '2026-02-15T12:00:00Z' }))).toEqual([]);
      const f = lint(cleanPayload({ createdAt: '2026-02-15T11:59:59Z' }));
      expect(ids(f)).toEqual(['payload/created-at-old']);
      expect(f[0]!.hint).toContain('14 days');
    });
    it('the zone is honoured when comparing', () => {
      // 13:00+02:00 is 11:00Z: in the past, not the future.
      expect(lint(cleanPayload({ createdAt: '2026-03-01T13:00:00+02:00' }), { ...lintCtx(), now: NOW })).toEqual([]);
    });
  });

  describe('payload/metadata', () => {
    it('flat string/number/boolean/null values are fine', () => {
      expect(lint(cleanPayload({ metadata: { a: 's', b: 1.5, c: false, d: null, 'key/with~chars': 'x' } }))).toEqual([]);
    });
    it.each([
      ['an array', { tags: ['a'] }, '/metadata/tags'],
      ['an object', { nested: { a: 1 } }, '/metadata/nested'],
    ])('a nested value (%s) points at its key', (_what, metadata, pointer) => {
      const f = lint(cleanPayload({ metadata }));
      expect(ids(f)).toEqual(['payload/metadata']);
      expect(f[0]).toMatchObject({ pointer, hint: 'flatten it, or JSON-encode it into a string' });
    });
    it('pointer escapes ~ and / in keys (RFC 6901)', () => {
      expect(lint(cleanPayload({ metadata: { 'a/b~c': [1] } }))[0]!.pointer).toBe('/metadata/a~1b~0c');
    });
    it.each([['a string', 'region=eu'], ['an array', [1, 2]], ['null', null], ['a number', 3]])('metadata as %s is an error', (_w, metadata) => {
      const f = lint(cleanPayload({ metadata }));
      expect(ids(f)).toEqual(['payload/metadata']);
      expect(f[0]!.pointer).toBe('/metadata');
    });
    it('a non-finite number (1e400) in metadata is an error', () => {
      expect(ids(lint(cleanPayload({ metadata: { big: Infinity } })))).toEqual(['payload/metadata']);
    });
  });

  describe('payload/pii-user-id', () => {
    it.each([
      ['jane.doe@example.com', 'an e-mail address'],
      ['JANE+billing@mail.example.co.uk', 'an e-mail address'],
      ['+1 (415) 555-0134', 'a phone number'],
      ['+44 20 7946 0958', 'a phone number'],
      ['415-555-0134', 'a phone number'],
      ['203.0.113.7', 'an IPv4 address'],
      ['2001:db8::1', 'an IPv6 address'],
      ['fe80::1ff:fe23:4567:890a', 'an IPv6 address'],
    ])('%s is %s', (userId, kind) => {
      expect(piiKind(userId)).toBe(kind);
      const f = lint(cleanPayload({ userId }));
      expect(ids(f)).toEqual(['payload/pii-user-id']);
      expect(f[0]).toMatchObject({ pointer: '/userId', message: `userId looks like ${kind}; the API forbids PII` });
      expect(f[0]!.hint).toContain('--hash-user-ids');
    });
    it.each(['u_9f86d081884c7d659a2feaa0', '1234567', 'user-12345', 'customer:42', 'a@b', 'ext_2026-03-01', '550e8400-e29b-41d4-a716-446655440000'])(
      '%s is not PII',
      (userId) => {
        expect(piiKind(userId)).toBeUndefined();
        expect(lint(cleanPayload({ userId }))).toEqual([]);
      },
    );
  });

  describe('payload/zero-usage', () => {
    it('a success with 0 input and 0 output tokens (the Node SDK without usage) is a warning at /inputTokens', () => {
      const f = lint(cleanPayload({ inputTokens: 0, outputTokens: 0, totalTokens: 0 }));
      expect(ids(f)).toEqual(['payload/zero-usage']);
      expect(f[0]).toMatchObject({ pointer: '/inputTokens', target: 'value' });
      expect(f[0]!.rule.hint).toContain('partialReason="usage_missing"');
    });
    it('not for an error row, one non-zero count, or a partial payload', () => {
      expect(lint(cleanPayload({ inputTokens: 0, outputTokens: 0, totalTokens: 0, status: 'error', errorCode: 'provider_timeout' }))).toEqual([]);
      expect(lint(cleanPayload({ inputTokens: 0, outputTokens: 3, totalTokens: 3 }))).toEqual([]);
      const partial = { inputTokens: 0, outputTokens: 0, totalTokens: 0, metadata: { usageStatus: 'partial', partialReason: 'not_measured' } };
      expect(lint(cleanPayload(partial))).toEqual([]);
    });
  });

  describe('payload/placeholder-value', () => {
    it('the SDK defaults "unknown" / "sdk.unknown" and similar stand-ins, case-insensitive', () => {
      const f = lint(cleanPayload({ promptVersion: 'unknown', endpointTag: 'sdk.unknown', featureTag: ' N/A ' }));
      expect(f.map((x) => `${x.rule.id} ${x.pointer}`)).toEqual([
        'payload/placeholder-value /promptVersion',
        'payload/placeholder-value /endpointTag',
        'payload/placeholder-value /featureTag',
      ]);
      expect(f[0]!.message).toBe('promptVersion is the placeholder "unknown": every row sent without one lands in the same bucket');
      expect(ids(lint(cleanPayload({ promptVersion: 'UNKNOWN' })))).toEqual(['payload/placeholder-value']);
    });
    it('real values that merely contain such a word are fine', () => {
      expect(lint(cleanPayload({ promptVersion: 'unknown_intent_v2', endpointTag: 'support.unknown', featureTag: 'nonessential' }))).toEqual([]);
    });
  });

  describe('warnings', () => {
    it('payload/missing-external-request-id', () => {
      const f = lint(cleanPayload({ externalRequestId: undefined }));
      expect(ids(f)).toEqual(['payload/missing-external-request-id']);
      expect(f[0]).toMatchObject({ target: 'record', hint: 'generate one id per LLM call and reuse it on every retry' });
    });
    it('payload/total-mismatch, only when all three counts are numbers', () => {
      const f = lint(cleanPayload({ totalTokens: 170 }));
      expect(ids(f)).toEqual(['payload/total-mismatch']);
      expect(f[0]!.message).toBe('totalTokens is 170 but inputTokens + outputTokens is 165');
      expect(lint(cleanPayload({ totalTokens: undefined }))).toEqual([]);
      expect(ids(lint(cleanPayload({ outputTokens: '45' })))).toEqual(['payload/type']);
    });
    it('catalog/unknown-provider with a did-you-mean', () => {
      const alias = lint(cleanPayload({ provider: 'open-ai' }));
      expect(ids(alias)).toEqual(['catalog/unknown-provider']);
      expect(alias[0]!.hint).toBe('did you mean "openai"?');
      expect(lint(cleanPayload({ provider: 'antropic', model: 'claude-sonnet-4-5' }))[0]!.hint).toBe('did you mean "anthropic"?');
      expect(lint(cleanPayload({ provider: 'acme-llm' }))[0]!.hint).toBeUndefined();
    });
    it('catalog/unknown-model: gpt-4.1 → did you mean gpt-4-1', () => {
      const f = lint(cleanPayload({ model: 'gpt-4.1' }));
      expect(ids(f)).toEqual(['catalog/unknown-model']);
      expect(f[0]!.hint).toBe('did you mean "gpt-4-1"?');
      expect(f[0]!.message).toContain('model "gpt-4.1" is not in the catalog for provider "openai"');
      expect(lint(cleanPayload({ model: 'gpt-4-1' }))).toEqual([]);
    });
    it('catalog/unknown-model: other rule-based suggestions', () => {
      expect(lint(cleanPayload({ model: 'gpt-4o-mini-2024-07-18' }))).toEqual([]); // itself a catalog id
      expect(lint(cleanPayload({ model: 'openai/gpt-4o' }))[0]!.hint).toBe('did you mean "gpt-4o"?');
      expect(lint(cleanPayload({ model: 'GPT-4o-Mini' }))[0]!.hint).toBe('did you mean "gpt-4o-mini"?');
      expect(lint(cleanPayload({ provider: 'google', model: 'gemini-2.5-pro' }))[0]!.hint).toBe('did you mean "gemini-2-5-pro"?');
    });
    it('catalog/unknown-model is skipped when the provider is unknown (one warning, not two)', () => {
      expect(ids(lint(cleanPayload({ provider: 'acme', model: 'acme-1' })))).toEqual(['catalog/unknown-provider']);
    });
    it('a custom catalog replaces the built-in one', () => {
      const cat = new Catalog([{ provider: 'acme', model: 'acme-1', inputPer1M: 1, outputPer1M: 2, cacheReadPer1M: null, cacheWritePer1M: null, source: 'test' }], '2026-01-01', 'test.json');
      expect(lint(cleanPayload({ provider: 'acme', model: 'acme-1' }), { catalog: cat, now: NOW })).toEqual([]);
      const f = lint(cleanPayload(), { catalog: cat, now: NOW });
      expect(ids(f)).toEqual(['catalog/unknown-provider']);
      expect(f[0]!.message).toContain('(test.json, 2026-01-01)');
    });
    it('payload/missing-prompt-version and payload/missing-endpoint-tag', () => {
      expect(ids(lint(cleanPayload({ promptVersion: undefined })))).toEqual(['payload/missing-prompt-version']);
      expect(ids(lint(cleanPayload({ endpointTag: undefined })))).toEqual(['payload/missing-endpoint-tag']);
    });
    it('payload/missing-latency only on complete payloads', () => {
      expect(ids(lint(cleanPayload({ latencyMs: undefined })))).toEqual(['payload/missing-latency']);
      expect(lint(cleanPayload({ latencyMs: undefined, metadata: partialMeta() }))).toEqual([]);
    });
    it('payload/error-code-on-success and payload/error-code-missing', () => {
      expect(ids(lint(cleanPayload({ errorCode: 'rate_limit_exceeded' })))).toEqual(['payload/error-code-on-success']);
      expect(lint(cleanPayload({ status: 'error', errorCode: 'rate_limit_exceeded' }))).toEqual([]);
      for (const errorCode of [undefined, null]) {
        const f = lint(cleanPayload({ status: 'error', errorCode }));
        expect(ids(f)).toEqual(['payload/error-code-missing']);
        expect(f[0]!.hint).toBe('e.g. "provider_timeout"');
      }
    });
    it.each([
      [{ dataMode: 'real', environment: 'staging' }, '/environment', 'QA traffic should be dataMode "test"'],
      [{ dataMode: 'real', environment: 'dev' }, '/environment', 'QA traffic should be dataMode "test"'],
      [{ dataMode: undefined, environment: 'dev' }, '/environment', 'QA traffic should be dataMode "test"'],
      [{ dataMode: 'test', environment: 'prod' }, '/environment', 'test rows belong in environment "staging" or "dev"'],
      [{ dataMode: 'demo', environment: undefined }, '/dataMode', 'demo rows belong in environment "dev"'],
    ])('payload/mode-environment-mix: %j', (mix, pointer, hint) => {
      const f = lint(cleanPayload(mix));
      expect(ids(f)).toEqual(['payload/mode-environment-mix']);
      expect(f[0]).toMatchObject({ pointer, hint });
    });
    it.each([
      { dataMode: 'test', environment: 'staging' },
      { dataMode: 'test', environment: 'dev' },
      { dataMode: 'demo', environment: 'dev' },
      { dataMode: 'demo', environment: 'staging' },
      { dataMode: undefined, environment: undefined },
    ])('no mix warning for %j', (mix) => {
      expect(lint(cleanPayload(mix))).toEqual([]);
    });
    it('payload/unknown-field points at the key, with a case hint', () => {
      const f = lint(cleanPayload({ input_tokens: 5, InputTokens: 5, traceId: 'x' }));
      expect(ids(f)).toEqual(['payload/unknown-field', 'payload/unknown-field', 'payload/unknown-field']);
      expect(f.map((x) => [x.pointer, x.target, x.hint])).toEqual([
        ['/input_tokens', 'key', 'did you mean "inputTokens"?'],
        ['/InputTokens', 'key', 'did you mean "inputTokens"?'],
        ['/traceId', 'key', undefined],
      ]);
    });
  });

  it('reports every problem of a record, errors (in record key order) before warnings', () => {
    const f = lint({ provider: 'openai', model: 'gpt-4.1', status: 'Success', inputTokens: '12', outputTokens: 12.5, environment: 'Prod', userId: 'a@b.com' });
    expect(ids(f)).toEqual([
      'payload/enum',
      'payload/type',
      'payload/count',
      'payload/enum',
      'payload/pii-user-id',
      'payload/missing-external-request-id',
      'catalog/unknown-model',
      'payload/missing-prompt-version',
      'payload/missing-endpoint-tag',
      'payload/missing-latency',
    ]);
  });
});

// lintPayload skips a field's full check when isClean says it would report nothing, and
// remembers the last record's key order; neither shortcut may change a single finding.
describe('lint hot-path shortcuts', () => {
  const ctx = lintCtx();
  it('isClean never skips a check that would report something (property, every field)', () => {
    for (const name of FIELD_NAMES) {
      const rule = fieldRule(name)!;
      fc.assert(
        fc.property(fc.oneof(fieldArbs[name]!, fc.anything()), (v) => {
          if (!isClean(rule, v)) return;
          const out: Finding[] = [];
          rule.check(name, v, ctx, out);
          expect(out, `${name} = ${JSON.stringify(v)}`).toEqual([]);
        }),
        { numRuns: 500 },
      );
    }
  });

  it('isClean takes the shortcut for ordinary values, and not at the edges', () => {
    const clean = (name: string, v: unknown) => isClean(fieldRule(name)!, v);
    expect(clean('provider', 'openai')).toBe(true);
    expect(clean('externalRequestId', 'x'.repeat(256))).toBe(true);
    expect(clean('externalRequestId', 'x'.repeat(257))).toBe(false);
    expect(clean('externalRequestId', '')).toBe(false);
    expect(clean('errorCode', null)).toBe(true);
    expect(clean('provider', null)).toBe(false);
    expect(clean('status', 'success')).toBe(true);
    expect(clean('status', 'Success')).toBe(false);
    expect(clean('inputTokens', 0)).toBe(true);
    expect(clean('inputTokens', -0)).toBe(true);
    expect(clean('inputTokens', 2 ** 53 - 1)).toBe(true);
    for (const v of [2 ** 53, -1, 1.5, Infinity, NaN, '12']) expect(clean('inputTokens', v)).toBe(false);
    expect(clean('createdAt', '2026-03-01T12:00:00Z')).toBe(false); // dates are always parsed
    expect(clean('metadata', {})).toBe(false);
  });

  it('a string over the limit in UTF-16 units but not in code points is still accepted (by the full check)', () => {
    const emoji = '😀'.repeat(200); // 400 units, 200 code points
    expect(isClean(fieldRule('tenantId')!, emoji)).toBe(false);
    expect(lint(cleanPayload({ tenantId: emoji }))).toEqual([]);
    expect(ids(lint(cleanPayload({ tenantId: '😀'.repeat(257) })))).toEqual(['payload/string-length']);
  });

  it('the remembered key order never changes the findings (property)', () => {
    fc.assert(
      fc.property(payloadArb, payloadArb, (before, p) => {
        lintPayload(before, ctx); // leaves its key order behind
        const afterOther = lintPayload(p, ctx);
        const afterItself = lintPayload(p, ctx);
        expect(afterOther).toEqual(afterItself);
      }),
      { numRuns: 1000 },
    );
  });

  it('records with the same keys in another order, or an unknown key in a remembered slot, are linted afresh', () => {
    const a = { provider: 'openai', model: 'gpt-4o-mini', status: 'success', inputTokens: 1, outputTokens: 2 };
    const b = { model: 'gpt-4o-mini', provider: 'openai', status: 'success', inputTokens: 1, outputTokens: -2 };
    const c = { provider: 'openai', modell: 'gpt-4o-mini', status: 'success', inputTokens: 1, outputTokens: 2 };
    expect(ids(lint(a))).not.toContain('payload/count');
    expect(only(lint(b), 'payload/count')[0]).toMatchObject({ pointer: '/outputTokens' });
    expect(ids(lint(c))).toEqual(expect.arrayContaining(['payload/unknown-field', 'payload/required']));
    expect(ids(lint(a))).not.toContain('payload/unknown-field');
  });
});
