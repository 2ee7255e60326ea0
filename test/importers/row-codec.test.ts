/**
 * The row codec (src/importers/row-codec.ts) is the only way import rows cross from a worker
 * thread to the main thread: whatever rows a batch holds, decoding what was encoded gives
 * the same rows — every field, every string (shared or not, empty, non-ASCII, lone
 * surrogates), the payload's line as the bytes of its JSON and a line end — also when the
 * buffers grow past their first size and when they are spare buffers filled again.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appliedFromMask } from '../../src/importers/finish.js';
import { RowDecoder, RowEncoder, rowBuffers, type EncodedRows } from '../../src/importers/row-codec.js';
import type { ImportRow, PayloadRow } from '../../src/importers/row.js';

const FILE = 'batch_output.jsonl';

const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom('openai', 'anthropic', 'gpt-4o-mini', 'claude-3-5-sonnet-20241022', 'not valid JSON', '') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
const count = fc.oneof(fc.nat({ max: 5_000_000 }), fc.constantFrom(0, 2 ** 53 - 1));

const payloadRow: fc.Arbitrary<PayloadRow> = fc
  .record({
    line: fc.nat({ max: 10_000_000 }),
    payload: fc.record({ externalRequestId: text, model: text, inputTokens: count, metadata: fc.dictionary(text, fc.oneof(text, count, fc.boolean(), fc.constant(null))) }),
    idA: uint32,
    idB: uint32,
    requestKey: uint32,
    hasRequestKey: fc.boolean(),
    provider: text,
    model: text,
    known: fc.boolean(),
    applied: fc.integer({ min: 0, max: 15 }).map(appliedFromMask),
    partialReason: maybe(text),
    input: count,
    output: count,
    cacheRead: count,
    cacheWrite: count,
    reasoning: count,
    loggedModel: maybe(text),
    createdAt: maybe(fc.integer({ min: 0, max: 253_402_300_799_999 })),
    sourceId: maybe(text),
    draftInput: maybe(count),
    draftOutput: maybe(count),
    endpointTag: maybe(text),
    userId: maybe(text),
    reachedModel: fc.boolean(),
  })
  .map((r) => ({ kind: 'payload' as const, ...r, payload: r.payload as unknown as PayloadRow['payload'], bytes: undefined, start: 0, end: 0, record: undefined, draft: undefined }));

const row: fc.Arbitrary<ImportRow> = fc.oneof(
  { weight: 6, arbitrary: payloadRow },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('skip' as const), line: fc.nat(), reason: text }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reject' as const), line: fc.nat(), file: fc.constant(FILE), reason: text, rejectLine: maybe(text) }) },
);

/** A row as plain data, its payload line as text: a decoded row is reused, so it is read at once. */
function plain(r: ImportRow): unknown {
  if (r.kind !== 'payload') return { ...r };
  const { payload, bytes, start, end, record: _record, draft: _draft, ...fields } = r;
  return { ...fields, lineText: payload !== undefined ? JSON.stringify(payload) + '\n' : bytes!.subarray(start, end).toString('utf8') };
}

function encode(rows: readonly ImportRow[], spare?: EncodedRows): EncodedRows {
  const encoder = new RowEncoder(spare && rowBuffers(spare));
  for (const r of rows) encoder.add(r);
  return encoder.finish();
}

function decode(encoded: EncodedRows): unknown[] {
  const decoder = new RowDecoder(encoded, FILE);
  return Array.from({ length: decoder.count }, (_, i) => plain(decoder.row(i)));
}

describe('row codec', () => {
  it('decodes what it encoded: every row, every field', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), (rows) => {
        expect(decode(encode(rows))).toEqual(rows.map(plain));
      }),
      { numRuns: 300 },
    );
  });

  it('encodes a decoded row again as it was (a payload line already encoded is copied)', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 30 }), (rows) => {
        const decoder = new RowDecoder(encode(rows), FILE);
        const again = new RowEncoder();
        for (let i = 0; i < decoder.count; i++) again.add(decoder.row(i));
        expect(decode(again.finish())).toEqual(rows.map(plain));
      }),
      { numRuns: 100 },
    );
  });

  it('writes a group of payloads with non-ASCII text, and groups that cannot be cut, one payload at a time', () => {
    const payloads = [
      { externalRequestId: 'ext_a', model: 'gpt-4o', metadata: { note: 'café' } },
      { externalRequestId: 'ext_b', model: 'gpt-4o', metadata: { list: [{ a: 1 }, { externalRequestId: 'x' }] } },
      { externalRequestId: 'ext_c', model: 'gpt-4o', metadata: {} },
    ];
    const base = fc.sample(payloadRow, { numRuns: 1, seed: 3 })[0]!;
    const rows: ImportRow[] = payloads.map((p, i) => ({ ...base, line: i + 1, payload: p as unknown as PayloadRow['payload'] }));
    expect(decode(encode(rows))).toEqual(rows.map(plain));
    expect(decode(encode(rows.slice(1)))).toEqual(rows.slice(1).map(plain));
  });

  it('grows past its first buffers, and fills spare buffers again', () => {
    fc.assert(
      fc.property(payloadRow, fc.array(row, { maxLength: 20 }), (big, rest) => {
        // 2,048 rows and 1 MB of payload lines are the first buffers' sizes.
        const many: ImportRow[] = Array.from({ length: 2_500 }, (_, i) => ({ ...big, line: i, payload: { pad: 'é'.repeat(300), i } as unknown as PayloadRow['payload'] }));
        const first = encode(many);
        expect(first.payloadBytes).toBeGreaterThan(1024 * 1024);
        expect(decode(first)).toEqual(many.map(plain));
        expect(decode(encode(rest, first))).toEqual(rest.map(plain));
      }),
      { numRuns: 5 },
    );
  });

  it('shares one payload buffer between a batch\'s rows, each line at its own place', () => {
    const rows = fc.sample(payloadRow, { numRuns: 5, seed: 7 });
    const decoder = new RowDecoder(encode(rows), FILE);
    let end = 0;
    for (let i = 0; i < decoder.count; i++) {
      const r = decoder.row(i) as PayloadRow;
      expect(r.start).toBe(end);
      end = r.end;
    }
    expect(end).toBe(encode(rows).payloadBytes);
  });
});
