/**
 * readRecords: JSONL and .json (one object or an array) with positions, and sniffing for
 * inputs whose extension says nothing (stdin, .txt, .log): a JSON array or a multi-line
 * object is JSON, anything else JSONL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STOP } from '../../src/read/lines.js';
import { readRecords, readRecordStream, type FaultInfo, type RecordInfo, type SourceFormat } from '../../src/read/records.js';
import { loadLocator } from '../../src/read/locate.js';

// Positions need the lazily loaded parser (readRecords loads it itself only for faults and .json files).
beforeAll(loadLocator);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-records-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function read(content: string | Buffer, ext: string, format?: SourceFormat, stopAt?: number) {
  const path = join(dir, `f${n++}${ext}`);
  writeFileSync(path, content);
  const records: RecordInfo[] = [];
  const faults: FaultInfo[] = [];
  const stats = await readRecords(
    { name: path, path, format },
    {
      record: (r) => {
        records.push(r);
        return records.length === stopAt ? STOP : undefined;
      },
      fault: (f) => void faults.push(f),
    },
  );
  return { records, faults, stats };
}

describe('JSONL', () => {
  it('one record per line, blank lines skipped but counted, line numbers kept', async () => {
    const { records, faults, stats } = await read('{"a":1}\n\n   \n{"b":2}\r\n{"c":3}', '.jsonl', 'jsonl');
    expect(records.map((r) => [r.index, r.line, r.pointer, r.value])).toEqual([
      [0, 1, '', { a: 1 }],
      [1, 4, '', { b: 2 }],
      [2, 5, '', { c: 3 }],
    ]);
    expect(faults).toEqual([]);
    expect(stats).toMatchObject({ format: 'jsonl', records: 3, lines: 5, blankLines: 2, stopped: false });
  });

  it('a record locates its values on its own line', async () => {
    const { records } = await read('{"a":1}\n{"model": "gpt-4.1"}\n', '.jsonl', 'jsonl');
    expect(records[1]!.locate('/model', 'value')).toMatchObject({ line: 2, column: 11 });
    expect(records[1]!.locate('/status', 'record')).toMatchObject({ line: 2, column: 1 });
  });

  it('a broken line is a fault with a column; the lines around it still count', async () => {
    const { records, faults } = await read('{"a":1}\n{"b": 2\n{"c":3}\n', '.jsonl', 'jsonl');
    expect(records.map((r) => r.line)).toEqual([1, 3]);
    expect(faults).toEqual([
      { fault: 'syntax', line: 2, column: 8, pointer: '', message: 'expected "}" — the object is not closed (truncated?)', text: '{"b": 2' },
    ]);
  });

  it('a duplicate key is a fault at the second key, and the record is still checked', async () => {
    const { records, faults } = await read('{"model":"a","model":"b"}\n', '.jsonl', 'jsonl');
    expect(faults).toMatchObject([{ fault: 'duplicate-key', line: 1, column: 14, pointer: '/model' }]);
    expect(records).toHaveLength(1);
  });

  it('a duplicate key is found when white space sits before a colon', async () => {
    const { faults } = await read('{"provider" : "openai", "provider":"x"}\n{"a" :1, "b" :2}\n', '.jsonl', 'jsonl');
    expect(faults).toMatchObject([{ fault: 'duplicate-key', line: 1, column: 25, pointer: '/provider' }]);
  });

  it('STOP from the sink ends the read', async () => {
    const { records, stats } = await read('{"a":1}\n{"a":2}\n{"a":3}\n', '.jsonl', 'jsonl', 2);
    expect(records).toHaveLength(2);
    expect(stats.stopped).toBe(true);
    expect(stats.lines).toBe(2); // lines are parsed a batch ahead, but counted only as far as read
  });

  it('faults and records keep line order across parse batches', async () => {
    // 300 lines: more than one parse batch, with broken lines here and there.
    const lines = Array.from({ length: 300 }, (_, i) => (i % 37 === 5 ? `{"n":${i}` : i % 50 === 7 ? '' : `{"n":${i}}`));
    const { records, faults, stats } = await read(lines.join('\n') + '\n', '.jsonl', 'jsonl');
    const events = [...records.map((r) => [r.line, 'r']), ...faults.map((f) => [f.line, f.fault])].sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(events).toEqual(
      lines.flatMap((l, i) => (l === '' ? [] : [[i + 1, l.endsWith('}') ? 'r' : 'syntax']])),
    );
    expect(records.map((r) => (r.value as { n: number }).n)).toEqual(lines.flatMap((l, i) => (l.endsWith('}') ? [i] : [])));
    expect(stats).toMatchObject({ lines: 300, blankLines: 6, records: records.length });
  });
});

describe('.json documents', () => {
  it('a single object is one record with pointer ""', async () => {
    const { records, stats } = await read('{\n  "provider": "openai",\n  "model": 42\n}\n', '.json', 'json');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ index: 0, line: 1, pointer: '' });
    expect(records[0]!.locate('/model', 'value')).toMatchObject({ line: 3, column: 12, text: '  "model": 42' });
    expect(stats).toMatchObject({ format: 'json', records: 1, lines: 4 });
  });

  it('an array: each element with its start line and pointer /i', async () => {
    const text = '[\n  {"a": 1},\n\n  {"a": 2,\n   "b": "x"},\n  {"a": 3}\n]';
    const { records } = await read(text, '.json', 'json');
    expect(records.map((r) => [r.index, r.line, r.pointer])).toEqual([
      [0, 2, '/0'],
      [1, 4, '/1'],
      [2, 6, '/2'],
    ]);
    expect(records[1]!.locate('/b', 'value')).toMatchObject({ line: 5, column: 9 });
    expect(records[2]!.locate('/missing', 'record')).toMatchObject({ line: 6, column: 3 });
  });

  it('an empty array, an empty file and a blank file hold no records', async () => {
    expect((await read('[]', '.json', 'json')).stats).toMatchObject({ records: 0, lines: 1, blankLines: 0 });
    expect((await read('', '.json', 'json')).stats).toMatchObject({ records: 0, lines: 0 });
    expect((await read('\n  \n', '.json', 'json')).stats).toMatchObject({ records: 0, lines: 2, blankLines: 2 });
  });

  it('a break in the array is one fault with line and column; the elements before it are read', async () => {
    const { records, faults } = await read('[\n  {"a": 1},\n  {"a": 2\n]\n', '.json', 'json');
    expect(records.map((r) => r.value)).toEqual([{ a: 1 }]);
    expect(faults).toMatchObject([{ fault: 'syntax', line: 4, column: 1, text: ']' }]);
  });

  it('a duplicate key anywhere is reported with its pointer', async () => {
    const { faults, records } = await read('[{"a":1},\n {"x":1,\n  "x":2}]', '.json', 'json');
    expect(faults).toMatchObject([{ fault: 'duplicate-key', line: 3, column: 3, pointer: '/1/x' }]);
    expect(records).toHaveLength(2);
  });

  it('BOM and CRLF are accepted', async () => {
    const { records, faults } = await read('\uFEFF[\r\n  {"a": 1},\r\n  {"a": "x"}\r\n]\r\n', '.json', 'json');
    expect(faults).toEqual([]);
    expect(records[1]!.locate('/a', 'value')).toMatchObject({ line: 3, column: 9, text: '  {"a": "x"}' });
  });

  it('UTF-16 and binary content are encoding faults', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"a":1}', 'utf16le')]);
    expect((await read(utf16, '.json', 'json')).faults).toMatchObject([{ fault: 'encoding', line: 1, column: 1, message: 'file is UTF-16; save it as UTF-8' }]);
    const binary = Buffer.from([0x7b, 0x0a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    expect((await read(binary, '.json', 'json')).faults).toMatchObject([{ fault: 'encoding', line: 2, column: 2 }]);
  });
});

describe('sniffing (no format from the extension)', () => {
  it.each([
    ['a JSON array', '[\n {"a":1},\n {"a":2}\n]\n', 'json', 2],
    ['a JSON array after blank lines and a BOM', '\uFEFF\n\n  [{"a":1}]', 'json', 1],
    ['a multi-line object', '{\n  "a": 1,\n  "b": 2\n}\n', 'json', 1],
    ['a single-line object', '{"a":1}\n', 'jsonl', 1],
    ['JSONL', '{"a":1}\n{"a":2}\n{"a":3}\n', 'jsonl', 3],
    ['JSONL without a final newline', '{"a":1}\n{"a":2}', 'jsonl', 2],
    ['one object without a newline', '{"a":1}', 'jsonl', 1],
  ] as const)('%s → %s', async (_what, text, format, count) => {
    const { records, stats, faults } = await read(text, '.txt');
    expect(faults).toEqual([]);
    expect(stats.format).toBe(format);
    expect(records).toHaveLength(count);
  });

  it('garbage is read as JSONL, so each bad line is reported on its own line', async () => {
    const { stats, faults } = await read('hello\nworld\n', '.log');
    expect(stats.format).toBe('jsonl');
    expect(faults.map((f) => [f.fault, f.line])).toEqual([
      ['syntax', 1],
      ['syntax', 2],
    ]);
  });
});

describe('an object holding its records in an array member (ReadOptions.arrayMember)', () => {
  async function readMember(text: string, format: SourceFormat | undefined, chunkSize = 7) {
    const bytes = Buffer.from(text);
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
    }
    const records: RecordInfo[] = [];
    const faults: FaultInfo[] = [];
    const stats = await readRecordStream(chunks(), format, { record: (r) => void records.push(r), fault: (f) => void faults.push(f) }, { arrayMember: 'results' });
    return { records: records.map((r) => [r.index, r.line, r.pointer, r.value]), faults: faults.map((f) => [f.line, f.column, f.message]), stats };
  }
  const row = (i: number) => [{ field: '@message', value: `m${i}` }];
  const oneLine = JSON.stringify({ status: 'Complete', results: [row(0), row(1)], statistics: { recordsMatched: 2 } });

  it('on one line (compacted), whatever the name says: row by row, each at line 1 with its pointer', async () => {
    for (const format of [undefined, 'json', 'jsonl'] as const) {
      for (const chunkSize of [1, 7, 1 << 16]) {
        const r = await readMember(oneLine + '\n', format, chunkSize);
        expect(r.records).toEqual([
          [0, 1, '/results/0', row(0)],
          [1, 1, '/results/1', row(1)],
        ]);
        expect(r.faults).toEqual([]);
        expect(r.stats).toMatchObject({ records: 2, lines: 1, blankLines: 0, bytes: oneLine.length + 1 });
      }
    }
  });

  it('the lines after a one-line object are JSONL lines, counted on from its rows', async () => {
    const r = await readMember(`${oneLine}\n\n{"a":1}\n${JSON.stringify({ results: [row(2)] })}\nnot json\n`, undefined);
    expect(r.records).toEqual([
      [0, 1, '/results/0', row(0)],
      [1, 1, '/results/1', row(1)],
      [2, 3, '', { a: 1 }],
      [3, 4, '', { results: [row(2)] }], // a JSONL line (read whole: the import unpacks it)
    ]);
    expect(r.faults).toEqual([[5, 1, 'unexpected token "not"']]);
    expect(r.stats).toMatchObject({ records: 4, lines: 5, blankLines: 1 });
  });

  it('anything after the object on its own line is one fault at its column; the rows and the lines after are read', async () => {
    const r = await readMember(`${oneLine} , [1]\n{"a":1}`, 'jsonl');
    expect(r.records.map((x) => x[0])).toEqual([0, 1, 2]);
    expect(r.faults).toEqual([[1, oneLine.length + 2, 'unexpected content after the JSON value on its line']]);
    expect(r.stats.lines).toBe(2);
  });

  it('cut short on its one line: the whole rows before the cut are read, the cut is one fault at line 1', async () => {
    const cut = oneLine.slice(0, oneLine.indexOf('m1') + 1);
    const r = await readMember(cut, 'jsonl');
    expect(r.records).toEqual([[0, 1, '/results/0', row(0)]]);
    expect(r.faults).toHaveLength(1);
    expect(r.faults[0]![0]).toBe(1);
    // in the cut row, not at an earlier one
    expect(r.faults[0]![1]).toBeGreaterThan(oneLine.indexOf(JSON.stringify(row(1))));
  });

  it('pretty-printed with LF, CRLF or lone CR line ends, non-ASCII before the array, cut anywhere: each row at its own line and column', async () => {
    const doc = { status: 'Complete', statistics: { note: 'é😀 ☃', nested: { a: [1, { b: '}' }] } }, results: [row(0), row(1), row(2)] };
    for (const eol of ['\n', '\r\n', '\r']) {
      const text = JSON.stringify(doc, null, 2).replace(/\n/g, eol).replace('"results": [', '"results": [ ');
      const lines = text.split(eol);
      // Each row's `[` is three lines above its value's line (the 1-based line is the 0-based index + 1).
      const want = [0, 1, 2].map((i) => [i, lines.findIndex((l) => l.includes(`"m${i}"`)) - 2, '/results/' + i, row(i)]);
      for (const chunkSize of [1, 2, 3, 7, 1 << 16]) {
        const r = await readMember(text, 'json', chunkSize);
        expect(r.records).toEqual(want);
        expect(r.faults).toEqual([]);
        expect(r.stats.lines).toBe(lines.length);
      }
      // A fault in the one-line form is at its column, counted in UTF-16 units after the non-ASCII text.
      const oneLine = JSON.stringify(doc).replace('"m1"', '"m1",');
      for (const chunkSize of [1, 3, 1 << 16]) {
        const r = await readMember(oneLine, 'json', chunkSize);
        expect(r.faults).toHaveLength(1);
        expect(r.faults[0]!.slice(0, 2)).toEqual([1, oneLine.indexOf('"m1",') + 6]);
      }
    }
  });

  it('an object whose array is not the first nested member, and plain JSONL records, are read as before', async () => {
    const nested = JSON.stringify({ meta: { a: { b: 1 } }, results: [row(0)] });
    expect((await readMember(nested + '\n', undefined)).records).toEqual([[0, 1, '', { meta: { a: { b: 1 } }, results: [row(0)] }]]);
    expect((await readMember('{"a":1}\n{"results":2}\n', 'jsonl')).records).toEqual([
      [0, 1, '', { a: 1 }],
      [1, 2, '', { results: 2 }],
    ]);
  });
});
