/**
 * fast-check generators of payloads that mix valid and invalid values for every field:
 * wrong types, negative, fractional and huge counts, empty and 257-character strings,
 * enum case errors, partial marks with and without reasons, nested metadata, PII user
 * ids, createdAt with and without a zone. Values are built the way JSON.parse builds
 * them ("__proto__" as an own key, 1e400 as Infinity).
 */
import fc from 'fast-check';
import { DATA_MODES, ENVIRONMENTS, FIELD_NAMES, PARTIAL_REASONS, STATUSES } from '../../src/contract/fields.js';


const LONG = 'x'.repeat(257);
const MAX = 'y'.repeat(256);
/** A value of the wrong JSON type for most fields. */
const wrongType = fc.constantFrom<unknown>(null, true, false, 0, 42, 12.5, [], ['a'], {}, { a: 1 });
const idString = fc.oneof(
  { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('', LONG, MAX, ' ', '😀'.repeat(128), '😀'.repeat(129)) },
);
const stringField = (nullable: boolean) =>
  fc.oneof({ weight: 8, arbitrary: idString }, { weight: nullable ? 2 : 1, arbitrary: nullable ? fc.constant(null) : wrongType }, { weight: 1, arbitrary: wrongType });
const count = fc.oneof(
  { weight: 8, arbitrary: fc.nat({ max: 2_000_000 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(-1, -0, 0, 12.5, 0.1, 2 ** 53 - 1, 2 ** 53, 1e21, 1e308, Infinity, -Infinity, '12', '0', ' 7 ', '12.5', null, true, []),
  },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
  { weight: 1, arbitrary: fc.integer({ min: -1000, max: -1 }) },
);
const enumField = (values: readonly string[]) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...values) },
    { weight: 2, arbitrary: fc.constantFrom(...values).map((v) => v.toUpperCase()) },
    { weight: 1, arbitrary: fc.constantFrom(...values).map((v) => v[0]!.toUpperCase() + v.slice(1)) },
    { weight: 1, arbitrary: fc.constantFrom(...values).map((v) => ` ${v}`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
    { weight: 1, arbitrary: wrongType },
  );
const piiOrNot = fc.constantFrom(
  'jane.doe@example.com',
  '+1 (415) 555-0134',
  '415-555-0134',
  '203.0.113.7',
  '2001:db8::1',
  'u_9f86d081884c7d659a2feaa0',
  '1234567',
  'user-12345',
  'a@b',
);
const createdAt = fc.oneof(
  { weight: 4, arbitrary: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '2026-03-01T12:00:00Z',
      '2026-03-01T12:00:00',
      '2026-03-01 12:00:00',
      '2026-03-01T12:00:00+02:00',
      '2026-03-01T12:00:00-0500',
      '2026-03-01T12:00Z',
      '2026-03-01',
      '2026-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-03-01T24:00:00Z',
      '2026-03-01T12:00:00.123456789Z',
      '2026-03-01T12:00:00.1234567891Z',
      'yesterday',
      '',
    ),
  },
  { weight: 1, arbitrary: wrongType },
);
const metadataValue = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>([], [1], {}, { a: 1 }, Infinity) },
);
const metaKey = fc.oneof({ weight: 8, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'a/b', '~') });
const partialMark = fc.record(
  {
    usageStatus: fc.oneof(
      { weight: 6, arbitrary: fc.constant('partial') },
      { weight: 3, arbitrary: fc.constant('complete') },
      { weight: 1, arbitrary: fc.constantFrom<unknown>('Partial', 'PARTIAL', '', null, 1) },
    ),
    partialReason: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...PARTIAL_REASONS) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('timeout', 'USAGE_MISSING', '', null, 3) }),
  },
  { requiredKeys: [] },
);
/** Built as JSON.parse builds it, so "__proto__" is an own key, as it is on the wire. */
const metadata = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(fc.array(fc.tuple(metaKey, metadataValue), { maxLength: 4 }), partialMark).map(([entries, mark]) => {
      const m = JSON.parse('{}') as Record<string, unknown>;
      for (const [k, v] of entries) Object.defineProperty(m, k, { value: v, enumerable: true, writable: true, configurable: true });
      Object.assign(m, mark);
      return m;
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 'k=v', [], [{ a: 1 }], 5) },
);

export const fieldArbs: Record<string, fc.Arbitrary<unknown>> = {
  externalRequestId: stringField(false),
  provider: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('openai', 'anthropic', 'google') }, { weight: 2, arbitrary: stringField(false) }),
  model: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('gpt-4o-mini', 'claude-sonnet-4-5', 'gpt-4.1') }, { weight: 2, arbitrary: stringField(false) }),
  promptVersion: stringField(false),
  endpointTag: stringField(false),
  inputTokens: count,
  outputTokens: count,
  totalTokens: count,
  latencyMs: count,
  status: enumField(STATUSES),
  errorCode: stringField(true),
  userId: fc.oneof({ weight: 3, arbitrary: stringField(true) }, { weight: 2, arbitrary: piiOrNot }),
  tenantId: stringField(false),
  featureTag: stringField(false),
  dataMode: enumField(DATA_MODES),
  environment: enumField(ENVIRONMENTS),
  createdAt,
  metadata,
};

/** Required fields are present more often than optional ones, so both verdicts are common. */
const presence: Record<string, number> = { provider: 0.95, model: 0.95, status: 0.95, inputTokens: 0.8, outputTokens: 0.8 };

/** A valid payload (complete or partial) with 0–3 fields replaced by generated values or removed. */
const validBase = fc.constantFrom<Record<string, unknown>>(
  { externalRequestId: 'ext_1', provider: 'openai', model: 'gpt-4o-mini', inputTokens: 10, outputTokens: 5, totalTokens: 15, latencyMs: 100, status: 'success' },
  { provider: 'anthropic', model: 'claude-sonnet-4-5', inputTokens: 0, outputTokens: 0, status: 'error', errorCode: 'overloaded', dataMode: 'test', environment: 'staging' },
  { provider: 'openai', model: 'gpt-4.1', status: 'error', metadata: { usageStatus: 'partial', partialReason: 'request_failed' } },
  { provider: 'google', model: 'gemini-2-5-pro', inputTokens: 7, status: 'success', userId: null, metadata: { usageStatus: 'partial', partialReason: 'usage_missing', region: 'eu' } },
);
const mutated = fc
  .tuple(
    validBase,
    fc.array(fc.tuple(fc.constantFrom(...FIELD_NAMES), fc.boolean()), { maxLength: 3 }).chain((picks) =>
      fc.tuple(...picks.map(([name, remove]) => (remove ? fc.constant([name, undefined] as const) : fieldArbs[name]!.map((v) => [name, v] as const)))),
    ),
  )
  .map(([base, changes]) => {
    const p: Record<string, unknown> = structuredClone(base);
    for (const [name, value] of changes) {
      if (value === undefined) delete p[name];
      else p[name] = value;
    }
    return p;
  });

export const payloadArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 30, arbitrary: mutated },
  {
    weight: 30,
    arbitrary: fc
      .tuple(
        ...FIELD_NAMES.map((name) => fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fieldArbs[name]!)),
        fc.dictionary(fc.constantFrom('input_tokens', 'traceId', 'InputTokens', 'extra'), fc.jsonValue(), { maxKeys: 2 }),
      )
      .map((parts) => {
        const unknown = parts.pop() as Record<string, unknown>;
        const p: Record<string, unknown> = { ...unknown };
        (parts as [number, unknown][]).forEach(([roll, value], i) => {
          const name = FIELD_NAMES[i]!;
          if (roll < (presence[name] ?? 0.5)) p[name] = value;
        });
        return p;
      }),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], 'x', 1, [{ provider: 'openai' }]) },
);
