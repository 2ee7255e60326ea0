import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvHeaderError, parseCsvRecord, readCsv } from '../../src/read/csv.js';

async function read(input: string | Buffer, chunkSize = 7) {
  const buf = typeof input === 'string' ? Buffer.from(input) : input;
  async function* chunks() {
    for (let i = 0; i < buf.length; i += chunkSize) yield buf.subarray(i, i + chunkSize);
  }
  const out: { header?: string[]; rows: [number, string[]][]; faults: [number, string][] } = { rows: [], faults: [] };
  const stats = await readCsv(chunks(), {
    header: (c) => (out.header = c),
    row: (cells, line) => void out.rows.push([line, cells]),
    fault: (line, message) => void out.faults.push([line, message]),
  });
  return { ...out, stats };
}

describe('parseCsvRecord', () => {
  it('splits plain, quoted, escaped and empty fields', () => {
    expect(parseCsvRecord('a,b,,c')).toEqual(['a', 'b', '', 'c']);
    expect(parseCsvRecord('"x,y","say ""hi""",')).toEqual(['x,y', 'say "hi"', '']);
    expect(parseCsvRecord('"{""a"": [1, 2]}",z')).toEqual(['{"a": [1, 2]}', 'z']);
    expect(parseCsvRecord('""')).toEqual(['']);
  });
  it('names malformed quoting with a column', () => {
    expect(parseCsvRecord('1,"bad"x,3')).toMatch(/after the closing quote at column 7/);
    expect(parseCsvRecord('ab"c,d')).toMatch(/stray quote inside an unquoted field at column 3/);
    expect(parseCsvRecord('"open')).toMatch(/not closed/);
  });
  it('agrees with a plain character-by-character RFC 4180 splitter on any text (cells and faults)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'é', ' ', ',', '"', '""', '",', ',"', '{"k":1}'), { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        expect(parseCsvRecord(text)).toEqual(referenceSplit(text));
      }),
      { numRuns: 5000, seed: 20261127 },
    );
  });
});

/** The reference: one character at a time, the same messages. */
function referenceSplit(text: string): string[] | string {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      const open = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) return `quoted field opened at column ${open + 1} is not closed`;
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      cells.push(value);
      if (i === text.length) return cells;
      if (text[i] !== ',') return `unexpected character ${JSON.stringify(text[i])} after the closing quote at column ${i}`;
      i++;
    } else {
      let value = '';
      while (i < text.length && text[i] !== ',') {
        if (text[i] === '"') return `stray quote inside an unquoted field at column ${i + 1}`;
        value += text[i++];
      }
      cells.push(value);
      if (i === text.length) return cells;
      i++;
    }
    if (i === text.length) {
      cells.push('');
      return cells;
    }
  }
}

describe('readCsv', () => {
  it('handles BOM, CRLF, quoted commas and newlines, JSON cells, blank lines, with source line numbers', async () => {
    const r = await read('\uFEFFid,meta,n\r\n1,"{""k"": ""a,b""}",3\r\n\r\n2,"multi\r\nline",4\r\n3,x,5\r\n\r\n');
    expect(r.header).toEqual(['id', 'meta', 'n']);
    expect(r.rows).toEqual([
      [2, ['1', '{"k": "a,b"}', '3']],
      [4, ['2', 'multi\nline', '4']],
      [6, ['3', 'x', '5']],
    ]);
    expect(r.faults).toEqual([]);
    expect(r.stats).toMatchObject({ lines: 7, rows: 3, faults: 0, blankLines: 2 });
  });

  it('reads CR-only line ends (old Mac / Excel) with the same rows and line numbers; a CR inside quotes becomes a newline in the field, as CRLF does', async () => {
    const r = await read('id,meta,n\r1,"{""k"": 1}",3\r\r2,"multi\rline",4\r3,x,5\r', 3);
    expect(r.header).toEqual(['id', 'meta', 'n']);
    expect(r.rows).toEqual([
      [2, ['1', '{"k": 1}', '3']],
      [4, ['2', 'multi\nline', '4']],
      [6, ['3', 'x', '5']],
    ]);
    expect(r.faults).toEqual([]);
    expect(r.stats).toMatchObject({ lines: 6, rows: 3, blankLines: 1 });
  });

  it('passes ragged rows on as they are (the pipeline rejects them by cell count)', async () => {
    const r = await read('a,b,c\n1,2\n1,2,3,4\n');
    expect(r.rows).toEqual([
      [2, ['1', '2']],
      [3, ['1', '2', '3', '4']],
    ]);
  });

  it('rejects only the line with a stray quote and keeps every row after it', async () => {
    const r = await read('a,b,c\n1,"bad"x,3\n4,5,6\n7,8,9\n10,11,12\n');
    expect(r.faults.map((f) => f[0])).toEqual([2]);
    expect(r.rows.map((x) => x[0])).toEqual([3, 4, 5]);
  });

  it('an odd quote that opens a bogus multi-line record costs one line, not the rest of the file', async () => {
    const r = await read('a,b\nx"y,1\n2,3\n4,5\n');
    expect(r.faults).toEqual([[2, expect.stringMatching(/^malformed CSV/)]]);
    expect(r.rows).toEqual([
      [3, ['2', '3']],
      [4, ['4', '5']],
    ]);
  });

  it('an unclosed quote at the end is one fault and the lines after it are read again', async () => {
    const r = await read('a,b\n1,"never closed\n2,3\n4,5');
    expect(r.faults).toEqual([[2, 'malformed CSV: a quoted field is never closed']]);
    expect(r.rows).toEqual([
      [3, ['2', '3']],
      [4, ['4', '5']],
    ]);
    expect(r.stats.rows + r.stats.faults).toBe(3);
  });

  it('reports undecodable lines as faults with their line number', async () => {
    const r = await read(Buffer.concat([Buffer.from('a,b\n1,2\n'), Buffer.from([0x66, 0xff, 0xfe, 0x2c, 0x31, 0x0a]), Buffer.from('x\u0000y,1\n3,4\n')]));
    expect(r.faults).toEqual([
      [3, expect.stringMatching(/not valid UTF-8/)],
      [4, expect.stringMatching(/NUL bytes/)],
    ]);
    expect(r.rows.map((x) => x[0])).toEqual([2, 5]);
  });

  it('refuses a header it cannot decode (binary input)', async () => {
    await expect(read(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x0a]))).rejects.toBeInstanceOf(CsvHeaderError);
  });

  it('an empty input has no header and no rows', async () => {
    const r = await read('');
    expect(r.header).toBeUndefined();
    expect(r.stats.rows).toBe(0);
  });
});
