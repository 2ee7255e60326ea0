/**
 * A streaming RFC 4180 CSV reader with line numbers, built on the shared line splitter
 * (lines.ts: BOM, CRLF, invalid UTF-8 / NUL flagged per line, 10 MB line cap).
 *
 * Why not csv-parse: its only way to go on after a malformed record
 * (`skip_records_with_error`) loses the well-formed records that follow a stray quote —
 * `1,"bad"x,3` swallows the next rows without reporting them — and an import must account
 * for every row. Here each physical line is assembled into a record by quote parity (an
 * odd number of `"` leaves a quoted field open across the newline); a record that does
 * not parse is rejected by its FIRST line only and the lines after it are read again, so
 * one bad quote costs one row. An unclosed quote is bounded the same way (MAX_RECORD_BYTES).
 */
import { MAX_LINE_BYTES, splitLines, type LineIssue } from './lines.js';

/** A multi-line record longer than this is treated as an unclosed quote. */
const MAX_RECORD_BYTES = MAX_LINE_BYTES;

export interface CsvHandler {
  /** The header row (first non-blank record). */
  header(columns: string[], line: number): void;
  /** A data row: cells as parsed (may differ in count from the header), its first line, its text. */
  row(cells: string[], line: number, raw: string): void | Promise<void>;
  /** A row that could not be read; it is not passed to row(). */
  fault(line: number, message: string, raw: string | undefined): void;
}

export interface CsvStats {
  /** Physical lines seen. */
  lines: number;
  /** Data rows passed to row(). */
  rows: number;
  /** Faults reported. */
  faults: number;
  /** Blank physical lines outside quoted fields (not records). */
  blankLines: number;
  bytes: number;
}

/** The header itself is unreadable: the input is not CSV text. */
export class CsvHeaderError extends Error {}

const QUOTE = 34;
const COMMA = 44;

const ISSUE_TEXT: Record<LineIssue, string> = {
  'too-long': `line is longer than ${MAX_LINE_BYTES / 1024 / 1024} MB`,
  'invalid-utf8': 'line is not valid UTF-8 (binary data or another encoding)',
  'nul-byte': 'line contains NUL bytes (binary data, or UTF-16 text)',
  'utf-16': 'the file is UTF-16 text; save it as UTF-8',
};

function countQuotes(s: string): number {
  let n = 0;
  let i = s.indexOf('"');
  while (i !== -1) {
    n++;
    i = s.indexOf('"', i + 1);
  }
  return n;
}

/**
 * Split one complete record into cells. Returns the cells, or a message saying what is
 * wrong (with the 1-based column) when the quoting is malformed.
 */
export function parseCsvRecord(text: string): string[] | string {
  if (text.indexOf('"') === -1) return text.split(',');
  const cells: string[] = [];
  const n = text.length;
  let i = 0;
  // The next quote at or after i (n when there is none): found once, not once per unquoted cell.
  let nextQuote = text.indexOf('"');
  for (;;) {
    if (nextQuote !== n && nextQuote < i) nextQuote = orEnd(text.indexOf('"', i), n);
    if (nextQuote === i) {
      // Quoted field: "" is an escaped quote; the field ends at a lone quote.
      let value = '';
      let start = i + 1;
      let j = start;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) return `quoted field opened at column ${i + 1} is not closed`;
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += text.slice(start, q + 1);
          j = start = q + 2;
          continue;
        }
        value += text.slice(start, q);
        i = q + 1;
        break;
      }
      cells.push(value);
      nextQuote = -1; // recomputed on demand
      if (i === n) return cells;
      if (text.charCodeAt(i) !== COMMA) {
        return `unexpected character ${JSON.stringify(text[i])} after the closing quote at column ${i}`;
      }
      i++;
      if (i === n) {
        cells.push('');
        return cells;
      }
    } else {
      const comma = text.indexOf(',', i);
      const end = comma === -1 ? n : comma;
      if (nextQuote < end) return `stray quote inside an unquoted field at column ${nextQuote + 1}`;
      cells.push(text.slice(i, end));
      if (comma === -1) return cells;
      i = comma + 1;
      if (i === n) {
        cells.push('');
        return cells;
      }
    }
  }
}

const orEnd = (index: number, n: number) => (index === -1 ? n : index);

interface PhysicalLine {
  text: string;
  line: number;
}

/**
 * Read CSV from a byte stream. Every physical line ends up in exactly one of: the header,
 * a row, a fault, or a blank line.
 */
export async function readCsv(chunks: AsyncIterable<Buffer | string>, handler: CsvHandler): Promise<CsvStats> {
  let rows = 0;
  let faults = 0;
  let blankLines = 0;
  let haveHeader = false;
  // The record being assembled across lines (an open quoted field).
  let pending: PhysicalLine[] = [];
  let pendingQuotes = 0;
  let pendingBytes = 0;
  let waits: Promise<void>[] = [];

  const fault = (line: number, message: string, raw: string | undefined) => {
    if (!haveHeader) throw new CsvHeaderError(`line ${line}: the header row cannot be read: ${message}`);
    faults++;
    handler.fault(line, message, raw);
  };

  const emit = (cells: string[], line: number, raw: string) => {
    if (!haveHeader) {
      haveHeader = true;
      handler.header(cells, line);
      return;
    }
    rows++;
    const r = handler.row(cells, line, raw);
    if (r) waits.push(r);
  };

  /** A record whose quotes balance: parse it, or reject its first line and re-read the rest. */
  const complete = (lines: PhysicalLine[]) => {
    const text = lines.length === 1 ? lines[0]!.text : lines.map((l) => l.text).join('\n');
    const cells = parseCsvRecord(text);
    if (typeof cells !== 'string') return emit(cells, lines[0]!.line, text);
    if (lines.length === 1) return fault(lines[0]!.line, `malformed CSV: ${cells}`, text);
    fault(lines[0]!.line, `malformed CSV: ${cells} (record spans lines ${lines[0]!.line}–${lines[lines.length - 1]!.line}; only this line is rejected, the rest are read again)`, lines[0]!.text);
    reread(lines.slice(1));
  };

  const unclosed = () => {
    const lines = pending;
    pending = [];
    pendingQuotes = 0;
    pendingBytes = 0;
    fault(lines[0]!.line, 'malformed CSV: a quoted field is never closed', lines[0]!.text);
    reread(lines.slice(1));
  };

  // Re-reading happens only after a fault; iterative, and each pass drops at least one line.
  let rereading: PhysicalLine[] | undefined;
  const reread = (lines: PhysicalLine[]) => {
    if (rereading) {
      rereading.unshift(...lines);
      return;
    }
    rereading = lines;
    while (rereading.length > 0) feed(rereading.shift()!);
    rereading = undefined;
  };

  const feed = (l: PhysicalLine) => {
    if (pending.length === 0) {
      if (l.text === '') {
        blankLines++;
        return;
      }
      const q = countQuotes(l.text);
      if ((q & 1) === 0) return complete([l]);
      pending = [l];
      pendingQuotes = q;
      pendingBytes = l.text.length;
      return;
    }
    pending.push(l);
    pendingQuotes += countQuotes(l.text);
    pendingBytes += l.text.length + 1;
    if ((pendingQuotes & 1) === 0) {
      const lines = pending;
      pending = [];
      pendingQuotes = 0;
      pendingBytes = 0;
      return complete(lines);
    }
    if (pendingBytes > MAX_RECORD_BYTES) unclosed();
  };

  const flushWaits = (): void | Promise<void> => {
    if (waits.length === 0) return;
    const w = waits.length === 1 ? waits[0]! : Promise.all(waits).then(() => undefined);
    waits = [];
    return w;
  };

  const stats = await splitLines(chunks, {
    line(text, line) {
      feed({ text, line });
      return flushWaits();
    },
    issue(kind, line) {
      // An undecodable line ends any record in progress: that record cannot be completed.
      if (pending.length > 0) unclosed();
      fault(line, ISSUE_TEXT[kind], undefined);
      // Back-pressure for rows emitted here is applied at the next line.
    },
  });
  while (pending.length > 0) unclosed();
  const w = flushWaits();
  if (w) await w;
  return { lines: stats.lines, rows, faults, blankLines, bytes: stats.bytes };
}
