/**
 * The codec of validate rows (src/validate/row-codec.ts): whatever rows a worker thread
 * encodes, the main thread decodes the same rows — after the structured clone postMessage
 * makes of them. Property-based: records with and without ids, findings located or not,
 * positions with and without a line's text, any strings, and read faults, in any mix.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RulePolicy } from '../../src/contract/rule-settings.js';
import { RULES, type RuleInfo } from '../../src/contract/rules.js';
import type { Position } from '../../src/read/locate.js';
import type { FaultInfo, RecordInfo } from '../../src/read/records.js';
import { RowDecoder, RowEncoder, packedBuffers } from '../../src/validate/row-codec.js';
import type { CheckedRecord, Row, RowFinding } from '../../src/validate/row.js';

const text = fc.string({ unit: 'binary', maxLength: 30 });
const count = fc.nat({ max: 2 ** 31 });
const u32 = fc.nat({ max: 2 ** 32 - 1 });
const position: fc.Arbitrary<Position> = fc.record({ line: count, column: count, text, textColumn: count }, { requiredKeys: ['line', 'column'] });

const findingOf = (rules: fc.Arbitrary<RuleInfo>): fc.Arbitrary<RowFinding> =>
  fc.record(
    { rule: rules, pointer: text, message: text, hint: text, target: fc.constantFrom('value' as const, 'key' as const, 'record' as const), at: position },
    { requiredKeys: ['rule', 'pointer', 'message', 'target'] },
  );

/** What a row is, without its record() (a function of the side that holds the record). */
interface RecordData {
  kind: 'record';
  line: number;
  pointer: string;
  findings: RowFinding[];
  hasId: boolean;
  idA: number;
  idB: number;
  fingerprint: number;
}
type RowData = RecordData | { kind: 'fault'; fault: FaultInfo };

const recordOf = (rules: fc.Arbitrary<RuleInfo>): fc.Arbitrary<RecordData> =>
  fc.record({
    line: count,
    pointer: fc.oneof(fc.constant(''), text),
    findings: fc.array(findingOf(rules), { maxLength: 4 }),
    id: fc.option(fc.record({ idA: u32, idB: u32, fingerprint: u32 }), { nil: undefined }),
  }).map(({ line, pointer, findings, id }) => ({ kind: 'record' as const, line, pointer, findings, hasId: id !== undefined, idA: id?.idA ?? 0, idB: id?.idB ?? 0, fingerprint: id?.fingerprint ?? 0 }));

const fault: fc.Arbitrary<RowData> = fc
  .record(
    {
      fault: fc.constantFrom('syntax' as const, 'duplicate-key' as const, 'line-too-long' as const, 'encoding' as const),
      line: count,
      column: count,
      pointer: text,
      message: text,
      text,
      textColumn: count,
      recordIndex: count,
    },
    { requiredKeys: ['fault', 'line', 'column', 'pointer', 'message'] },
  )
  .map((f) => ({ kind: 'fault' as const, fault: f }));

const rowsOf = (rules: fc.Arbitrary<RuleInfo>) => fc.array(fc.oneof({ weight: 4, arbitrary: recordOf(rules) }, { weight: 1, arbitrary: fault }), { maxLength: 40 });

/** A row as a producer hands it on: its record() answers with a stand-in for the record on its line. */
const asRow = (d: RowData): Row => (d.kind === 'fault' ? d : { ...d, record: () => ({ line: d.line }) as RecordInfo });

/** A decoded row as plain data (the decoder reuses a record's row object). */
function snapshot(row: Row): RowData {
  if (row.kind === 'fault') return { kind: 'fault', fault: row.fault };
  const { kind, line, pointer, findings, hasId, idA, idB, fingerprint } = row as CheckedRecord;
  return { kind, line, pointer, findings: [...findings], hasId, idA, idB, fingerprint };
}

/** Encodes, clones as postMessage does (transferring the buffers), and decodes. */
function roundTrip(rows: RowData[], rules?: RulePolicy): Row[] {
  const encoder = new RowEncoder();
  for (const row of rows) encoder.add(asRow(row));
  const packed = encoder.finish();
  const received = structuredClone(packed, { transfer: packedBuffers(packed) });
  const decoder = new RowDecoder(received, { rules, record: (line) => ({ line }) as RecordInfo });
  const out: Row[] = [];
  for (let row = decoder.next(); row !== undefined; row = decoder.next()) {
    // Each record row's record() reads the record on its own line.
    if (row.kind === 'record') expect((row.record() as RecordInfo).line).toBe(row.line);
    out.push(snapshot(row) as Row);
  }
  return out;
}

const ALL_RULES = Object.values(RULES);

describe('validate row codec', () => {
  it('decodes the rows it encoded, through a structured clone', () => {
    fc.assert(
      fc.property(rowsOf(fc.constantFrom(...ALL_RULES)), (rows) => {
        expect(roundTrip(rows)).toEqual(rows);
      }),
      { numRuns: 300 },
    );
  });

  it('gives a finding the rule as configured: the very object lint gives with the same settings', () => {
    const policy = new RulePolicy({ 'payload/missing-latency': 'error', 'payload/count': 'warning', 'catalog/unknown-model': 'off' });
    const configured = ALL_RULES.map((r) => policy.effective(r)).filter((r): r is RuleInfo => r !== null);
    fc.assert(
      fc.property(rowsOf(fc.constantFrom(...configured)), (rows) => {
        const decoded = roundTrip(rows, policy);
        expect(decoded).toEqual(rows);
        decoded.forEach((row, i) => {
          if (row.kind === 'record') row.findings.forEach((f, k) => expect(f.rule).toBe((rows[i] as RecordData).findings[k]!.rule));
        });
      }),
      { numRuns: 100 },
    );
  });

  it('an empty batch is no rows', () => {
    expect(roundTrip([])).toEqual([]);
  });
});
