import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { builtinCatalog, Catalog } from '../../src/contract/catalog.js';
import { PARTIAL_REASONS } from '../../src/contract/fields.js';
import { lintPayload } from '../../src/contract/lint.js';
import { ruleById } from '../../src/contract/rules.js';
import type { Draft } from '../../src/importers/types.js';
import { isoFromEpochMs } from '../../src/contract/calendar.js';
import { externalRequestId, finishDraft, hashUserId, normalizeTimestamp, type FinishOptions } from '../../src/importers/finish.js';
import { createHash, createHmac } from 'node:crypto';

const opts: FinishOptions = {
  format: 'litellm',
  catalog: builtinCatalog(),
  defaults: { dataMode: 'real', environment: 'prod' },
  now: Date.parse('2026-01-01T00:00:00Z'),
};

describe('normalizeTimestamp', () => {
  it.each([
    ['2025-12-10 12:47:35.248', '2025-12-10T12:47:35.248Z'], // zoneless = UTC
    ['2025-12-10T12:47:35', '2025-12-10T12:47:35.000Z'],
    ['2024-05-29 13:46:19.963000', '2024-05-29T13:46:19.963Z'],
    ['2025-12-10 12:47:35.248+00', '2025-12-10T12:47:35.248Z'], // psql timestamptz
    ['2025-12-10T14:47:35+02:00', '2025-12-10T12:47:35.000Z'],
    ['2025-12-10T07:47:35-0500', '2025-12-10T12:47:35.000Z'],
    ['2025-12-10 12:47 UTC', '2025-12-10T12:47:00.000Z'],
    ['2025-12-10', '2025-12-10T00:00:00.000Z'],
    [1724858089, '2024-08-28T15:14:49.000Z'], // epoch seconds
    [1724858089123, '2024-08-28T15:14:49.123Z'], // epoch ms
    ['1724858089', '2024-08-28T15:14:49.000Z'],
    [1724858089123456, '2024-08-28T15:14:49.123Z'], // µs
  ])('%s → %s', (input, out) => {
    expect(normalizeTimestamp(input)).toBe(out);
  });
  it('formats epoch ms exactly like Date#toISOString', () => {
    for (let t = 0; t < 253_402_300_799_999; t += 9_876_543_210_987 / 7) {
      const ms = Math.floor(t);
      expect(isoFromEpochMs(ms)).toBe(new Date(ms).toISOString());
    }
    for (const ms of [0, 951_782_400_000, 1_709_164_800_123, 4_107_542_399_999, 253_402_300_799_999]) expect(isoFromEpochMs(ms)).toBe(new Date(ms).toISOString());
  });
  it('formats right when consecutive instants change day and go back (the day is remembered)', () => {
    const midnight = Date.parse('2025-09-13T00:00:00.000Z');
    for (const ms of [midnight - 1, midnight, midnight - 1, midnight + 86_399_999, midnight + 86_400_000, 0, midnight, midnight])
      expect(isoFromEpochMs(ms)).toBe(new Date(ms).toISOString());
  });
  it.each(['2024-02-29 10:00:00', '2000-02-29T00:00:00Z'])('%s is a leap day', (v) => {
    expect(normalizeTimestamp(v)).toBe(new Date(v.replace(' ', 'T').replace(/Z?$/, 'Z')).toISOString());
  });
  it.each(['yesterday', '2023-02-29 10:00:00', '1900-02-29 00:00:00', '2026-02-30 10:00:00', '12/10/2025', '', '2025-13-01'])('%s is not a date-time', (input) => {
    expect(normalizeTimestamp(input)).toBeUndefined();
  });
});

describe('ids and hashing', () => {
  it('derives externalRequestId from format and source id', () => {
    const hex = createHash('sha256').update('litellm:req-1').digest('hex');
    expect(externalRequestId('litellm', 'req-1')).toBe('ext_' + hex.slice(0, 24));
    expect(externalRequestId('openrouter', 'req-1')).not.toBe(externalRequestId('litellm', 'req-1'));
  });
  it('keys externalRequestId by the salt under --hash-user-ids (HMAC-SHA256), so a guessed source id cannot be confirmed', () => {
    const keyed = createHmac('sha256', 'salt').update('anthropic-batch:alice@example.com').digest('hex');
    expect(externalRequestId('anthropic-batch', 'alice@example.com', 'salt')).toBe('ext_' + keyed.slice(0, 24));
    expect(externalRequestId('anthropic-batch', 'alice@example.com', 'salt')).not.toBe(externalRequestId('anthropic-batch', 'alice@example.com'));
    expect(externalRequestId('anthropic-batch', 'alice@example.com', 'pepper')).not.toBe(externalRequestId('anthropic-batch', 'alice@example.com', 'salt'));
  });
  it('hashes user ids with HMAC-SHA256', () => {
    expect(hashUserId('salt', 'alice@example.com')).toBe('u_' + createHmac('sha256', 'salt').update('alice@example.com').digest('hex'));
  });
});

describe('finishDraft', () => {
  it('builds a complete payload: mapping, total, breakdowns in metadata, defaults', () => {
    const r = finishDraft(
      { sourceId: 'x', provider: 'azure', model: 'gpt-4.1-2025-04-14', status: 'success', inputTokens: 10, outputTokens: 5, cachedInputTokens: 4, createdAt: 1724858089, metadata: { callType: 'acompletion' } },
      { ...opts, defaults: { ...opts.defaults, endpointTag: 'chat' } },
    );
    expect(r).toEqual({
      ok: true,
      known: true,
      applied: ['endpointTag', 'dataMode', 'environment'],
      payload: {
        externalRequestId: externalRequestId('litellm', 'x'),
        provider: 'azure-openai',
        model: 'gpt-4-1-2025-04-14',
        endpointTag: 'chat',
        inputTokens: 10,
        outputTokens: 5,
        totalTokens: 15,
        status: 'success',
        dataMode: 'real',
        environment: 'prod',
        createdAt: '2024-08-28T15:14:49.000Z',
        metadata: { source: 'litellm', callType: 'acompletion', cachedInputTokens: 4, loggedModel: 'gpt-4.1-2025-04-14' },
      },
    });
  });

  it('marks partial payloads and omits unknown counts', () => {
    const r = finishDraft({ sourceId: 'y', provider: 'openai', model: 'gpt-4o', status: 'error', errorCode: '429', partialReason: 'request_failed' }, opts);
    expect(r.ok && r.payload).toEqual({
      externalRequestId: externalRequestId('litellm', 'y'),
      provider: 'openai',
      model: 'gpt-4o',
      status: 'error',
      errorCode: '429',
      dataMode: 'real',
      environment: 'prod',
      metadata: { source: 'litellm', usageStatus: 'partial', partialReason: 'request_failed' },
    });
  });

  it('keeps an unknown model as logged', () => {
    const r = finishDraft({ sourceId: 'z', provider: 'openai', model: 'my-finetune', status: 'success', inputTokens: 1, outputTokens: 1 }, opts);
    expect(r.ok && r.payload.model).toBe('my-finetune');
    expect(r.ok && r.known).toBe(false);
  });

  it('leaves out draft fields and metadata entries that are undefined, as if they were absent', () => {
    const sparse: Draft = {
      sourceId: 'u',
      provider: 'openai',
      model: 'gpt-4o',
      status: 'success',
      inputTokens: 3,
      outputTokens: 4,
      totalTokens: undefined,
      cachedInputTokens: undefined,
      createdAt: undefined,
      partialReason: undefined,
      metadata: { customId: 'c-1', batchId: undefined, httpStatus: 200, stopReason: undefined },
    };
    const minimal: Draft = { sourceId: 'u', provider: 'openai', model: 'gpt-4o', status: 'success', inputTokens: 3, outputTokens: 4, metadata: { customId: 'c-1', httpStatus: 200 } };
    const a = finishDraft(sparse, opts);
    const b = finishDraft(minimal, opts);
    expect(a.ok && b.ok).toBe(true);
    expect(JSON.stringify(a.ok && a.payload)).toBe(JSON.stringify(b.ok && b.payload));
    expect(a.ok && Object.keys(a.payload.metadata!)).toEqual(['source', 'customId', 'httpStatus']);
  });

  it('never emits an invalid payload: the lint error becomes the reject reason', () => {
    expect(finishDraft({ sourceId: 'a', provider: 'openai', model: 'gpt-4o', status: 'success', inputTokens: 1 }, opts)).toEqual({
      ok: false,
      reason: expect.stringMatching(/outputTokens is missing and the payload is not marked partial \[payload\/usage-missing\]/),
    });
    expect(finishDraft({ sourceId: 'b', provider: 'openai', model: 'gpt-4o', status: 'success', inputTokens: 1, outputTokens: 2, userId: 'jane@example.com' }, opts)).toEqual({
      ok: false,
      reason: expect.stringMatching(/userId looks like an e-mail address.*--hash-user-ids/),
    });
    expect(finishDraft({ sourceId: 'c', provider: 'openai', model: '', status: 'success', inputTokens: 1, outputTokens: 2 }, opts).ok).toBe(false);
    expect(finishDraft({ sourceId: 'd', provider: 'openai', model: 'gpt-4o', status: 'success', inputTokens: 1, outputTokens: 2, createdAt: 'soon' }, opts)).toEqual({
      ok: false,
      reason: 'timestamp "soon" is not a date-time',
    });
  });

  it('hashes userId and tenantId under --hash-user-ids', () => {
    const r = finishDraft({ sourceId: 'e', provider: 'openai', model: 'gpt-4o', status: 'success', inputTokens: 1, outputTokens: 2, userId: 'jane@example.com', tenantId: 'acme' }, { ...opts, hashSalt: 's' });
    expect(r.ok && r.payload.userId).toBe(hashUserId('s', 'jane@example.com'));
    expect(r.ok && r.payload.tenantId).toBe(hashUserId('s', 'acme'));
  });
});

describe('finishDraft catalog work', () => {
  it('maps each logged (provider, model) once however many rows name it, and never asks for a did-you-mean', () => {
    const catalog = new Catalog(builtinCatalog().list(), 'test', 'test');
    const resolveModel = vi.spyOn(catalog, 'resolveModel');
    const suggestModel = vi.spyOn(catalog, 'suggestModel');
    const draft = (i: number, model: string): Draft => ({ sourceId: `r${i}`, provider: 'openai', model, status: 'success', inputTokens: 1, outputTokens: 2 });
    for (let i = 0; i < 200; i++) {
      const unknown = finishDraft(draft(i, 'gpt-4o-mimi'), { ...opts, catalog });
      expect(unknown.ok && [unknown.payload.model, unknown.known]).toEqual(['gpt-4o-mimi', false]);
      const mapped = finishDraft(draft(i, 'gpt-4.1'), { ...opts, catalog });
      expect(mapped.ok && [mapped.payload.model, mapped.known, mapped.payload.metadata?.loggedModel]).toEqual(['gpt-4-1', true, 'gpt-4.1']);
    }
    expect(resolveModel).toHaveBeenCalledTimes(2);
    expect(suggestModel).not.toHaveBeenCalled();
  });
});

describe('finishDraft gate', () => {
  const text = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('openai', 'anthropic', 'gpt-4o-mini', 'gpt-4.1', 'claude-sonnet-4-5', 'acme') },
    { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 12, unit: 'binary' }) }, // quotes, controls, lone surrogates
    { weight: 1, arbitrary: fc.constantFrom('', ' ', 'x'.repeat(257), 'jane@example.com', '203.0.113.7') },
  );
  const tokens = fc.oneof({ weight: 12, arbitrary: fc.nat({ max: 1_000_000 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, 12.5, 2 ** 53, Infinity) });
  const draftArb: fc.Arbitrary<Draft> = fc.record(
    {
      sourceId: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constant('')),
      provider: text,
      model: text,
      status: fc.constantFrom('success', 'error', 'error', 'Success'),
      errorCode: text,
      inputTokens: tokens,
      outputTokens: tokens,
      totalTokens: tokens,
      cachedInputTokens: tokens,
      latencyMs: tokens,
      createdAt: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 4_102_444_800_000 }) },
        { weight: 1, arbitrary: fc.constantFrom(-1, '2025-12-01 10:00:00.123', '2025-02-30T00:00:00', 'yesterday', '2025-12-01T10:00:00+02:00') },
      ),
      userId: text,
      tenantId: text,
      endpointTag: text,
      promptVersion: text,
      environment: fc.constantFrom('prod', 'staging', 'dev', 'dev', 'PROD'),
      dataMode: fc.constantFrom('real', 'test', 'demo', 'demo', 'fake'),
      partialReason: fc.constantFrom(...PARTIAL_REASONS),
      metadata: fc.dictionary(
        fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('10', '2', 'usageStatus', 'source', '__proto__')),
        fc.oneof({ weight: 12, arbitrary: fc.oneof(text, fc.double(), fc.boolean(), fc.constant(null)) }, { weight: 1, arbitrary: fc.constant({ nested: 1 }) }),
        { maxKeys: 4 },
      ),
    },
    { requiredKeys: ['sourceId', 'provider', 'model', 'status'] },
  ) as unknown as fc.Arbitrary<Draft>;

  it('emits a payload only when the full lint finds no error in it; rejects name an error rule', () => {
    let emitted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(draftArb, fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }), (draft, hashSalt) => {
        const r = finishDraft(draft, { ...opts, hashSalt });
        if (r.ok) {
          emitted++;
          expect(lintPayload(r.payload, { catalog: opts.catalog, now: opts.now }).filter((f) => f.rule.severity === 'error')).toEqual([]);
        } else {
          rejected++;
          const id = /\[([a-z/-]+)\]/.exec(r.reason)?.[1];
          if (id !== undefined) expect(ruleById(id)?.severity).toBe('error');
        }
      }),
      { numRuns: 3000, seed: 20261127 },
    );
    // Both outcomes occur, so the property is not vacuous.
    expect(emitted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });
});

