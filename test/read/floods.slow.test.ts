/**
 * Inputs that used to cost per line far more than they should: blank-line floods (each
 * blank line paid for a thrown JSON.parse, and a blank prefix was copied whole while
 * sniffing) and CR-only line ends in JSONL.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readRecordStream, type FaultInfo, type RecordInfo, type SourceFormat } from '../../src/read/records.js';

async function* chunks(parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

async function read(parts: (string | Buffer)[], format?: SourceFormat) {
  const records: RecordInfo[] = [];
  const faults: FaultInfo[] = [];
  const stats = await readRecordStream(chunks(parts), format, {
    record: (r) => void records.push(r),
    fault: (f) => void faults.push(f),
  });
  return { records, faults, stats };
}

afterEach(() => vi.restoreAllMocks());

describe('blank-line floods', () => {
  it('a blank line costs no JSON.parse (nor a thrown error)', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    const blank = '\n'.repeat(5000) + ' \t\r\n'.repeat(5000);
    const { records, faults, stats } = await read([blank, '{"a":1}\n', blank], 'jsonl');
    expect(records.map((r) => [r.line, r.value])).toEqual([[10001, { a: 1 }]]);
    expect(faults).toEqual([]);
    expect(stats).toMatchObject({ lines: 20001, blankLines: 20000, records: 1 });
    expect(parse.mock.calls.length).toBeLessThan(5);
  });

  it('a sniffed input of nothing but blank lines stops sniffing after 10 MB and streams as JSONL', async () => {
    const mb = Buffer.alloc(1024 * 1024, '\n');
    let pulled = 0;
    let pulledAtFirstRecord = -1;
    async function* flood(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 12; i++) {
        pulled++;
        yield mb;
      }
      pulled++;
      yield Buffer.from('{"a":1}\n');
      for (let i = 0; i < 2; i++) {
        pulled++;
        yield mb;
      }
    }
    const records: RecordInfo[] = [];
    const stats = await readRecordStream(flood(), undefined, {
      record(r) {
        if (pulledAtFirstRecord === -1) pulledAtFirstRecord = pulled;
        records.push(r);
      },
      fault: () => undefined,
    });
    expect(stats.format).toBe('jsonl');
    expect(stats.blankLines).toBe(14 * 1024 * 1024);
    expect(records.map((r) => r.line)).toEqual([12 * 1024 * 1024 + 1]);
    // Streamed: the record is seen before the rest of the flood is read (not after a whole-input sniff).
    expect(pulledAtFirstRecord).toBeLessThan(16);
  });

  it('any mix of records, blank and whitespace-only lines: blank lines are counted, records keep their line (property)', async () => {
    const line = fc.constantFrom('', ' ', '\t', '  \t ', '{"a":1}', '[1]', '{"b":"x y"}');
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 200 }), fc.constantFrom('\n', '\r\n', '\r'), async (lines, end) => {
        const { records, faults, stats } = await read([lines.map((l) => l + end).join('')], 'jsonl');
        const expected = lines.flatMap((l, i) => (l.trim() === '' ? [] : [[i + 1, JSON.parse(l)]]));
        expect(records.map((r) => [r.line, r.value])).toEqual(expected);
        expect(faults).toEqual([]);
        expect(stats.blankLines).toBe(lines.length - expected.length);
      }),
      { numRuns: 200 },
    );
  });
});

describe('CR-only line ends in JSONL', () => {
  it('a sniffed CR-only file is JSONL with one record per line', async () => {
    const { records, faults, stats } = await read(['{"a":1}\r{"b":2}\r\r{"c":3}\r']);
    expect(stats.format).toBe('jsonl');
    expect(faults).toEqual([]);
    expect(records.map((r) => [r.line, r.value])).toEqual([
      [1, { a: 1 }],
      [2, { b: 2 }],
      [4, { c: 3 }],
    ]);
  });
});
