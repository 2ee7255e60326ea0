/**
 * Reading one import source on the main thread: its mode (CSV or JSON), its header checked
 * before any row, and each record or unreadable row handed to the main thread's producer
 * (record-rows.ts), with the applier's progress and back-pressure after each. Large JSONL
 * files of formats whose records are independent go to the worker threads instead
 * (parallel.ts); `jsonRoute` tells which (docs/import.md "The pipeline").
 */
import { isUtf8 } from 'node:buffer';
import { stat } from 'node:fs/promises';
import { EXIT, OpsmeterError } from '../errors.js';
import { CsvHeaderError, readCsv } from '../read/csv.js';
import { threadsFor, type ThreadPlan } from '../read/idle-cores.js';
import { loadLocator } from '../read/locate.js';
import { formatFromHead, readRecordStream, SourceError, type RecordInfo, type Source } from '../read/records.js';
import type { ImportApplier } from './apply.js';
import type { RecordRows } from './record-rows.js';
import { jsonRecordSink } from './row.js';
import { aggregateByColumns, aggregateByRecord, aggregateMessage, peekRecords } from './sniff.js';
import { jsonFormatFromName, modeFromName, modeFromText, openSource, PEEK_BYTES, readAhead, SourceOpenError, type InputMode, type OpenedSource } from './source.js';
import type { Adapter, AdapterContext } from './types.js';

/** The import cannot go on: usage or input problem (exit 2). */
export class ImportStop extends OpsmeterError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
  }
}

/** What reading a source tells its file's tally. */
export interface SourceRead {
  /** Lines read (a gzip file's damage is reported after them). */
  lines: number;
  blankLines: number;
  /** A CSV export with its header row and no data rows. */
  headerOnly?: true;
}

/** What reading one source on the main thread works with. */
export interface Reading {
  adapter: Adapter;
  ctx: AdapterContext;
  records: RecordRows;
  applier: ImportApplier;
  fileIndex: number;
}

/** Reading mode of one source for this adapter. */
export function sourceMode(adapter: Adapter, source: Source, head: Buffer): InputMode {
  if (adapter.input !== 'json-or-csv') return adapter.input;
  return modeFromName(source.name) ?? modeFromText(head.subarray(0, 4096).toString('utf8'));
}

export async function openOrStop(s: Source): Promise<OpenedSource> {
  try {
    return await openSource(s);
  } catch (e) {
    if (e instanceof SourceOpenError) throw new ImportStop(e.message);
    throw e;
  }
}

/** Refuse aggregate exports and headers the adapter cannot use, before any row is converted. */
function checkColumns(adapter: Adapter, ctx: AdapterContext, file: string, columns: readonly string[]): void {
  const agg = aggregateByColumns(columns);
  if (agg) throw new ImportStop(aggregateMessage(file, agg));
  const problem = adapter.checkHeader?.(columns, ctx);
  if (problem) throw new ImportStop(`${file}: ${problem}`);
}

/**
 * Check every CSV source's header before anything is written, so an aggregate export or a
 * wrong --map among many files stops the run before any output. Stdin stays open for the run.
 */
export async function openAllSources(adapter: Adapter, ctx: AdapterContext, sources: readonly Source[]): Promise<Map<Source, OpenedSource>> {
  const opened = new Map<Source, OpenedSource>();
  for (const s of sources) {
    const isStdin = s.path === '-';
    if (!isStdin && adapter.input === 'json') continue;
    if (!isStdin && adapter.input === 'json-or-csv' && modeFromName(s.name) === 'json') continue;
    const o = await openOrStop(s);
    const mode = sourceMode(adapter, s, o.head);
    if (mode === 'csv') {
      const problem = csvHeadProblem(o.head);
      if (problem) {
        o.close();
        throw new ImportStop(`${s.name} is not CSV text: line 1 ${problem}`, 'check the file (binary data, UTF-16, or the wrong file?)');
      }
      const peek = peekRecords(o.head.toString('utf8'), s.name, 'csv');
      if (peek.columns) checkColumns(adapter, ctx, s.name, peek.columns);
    }
    if (isStdin) opened.set(s, o);
    else o.close();
  }
  return opened;
}

/** Why the first line of a would-be CSV is not text, or undefined. */
function csvHeadProblem(head: Buffer): string | undefined {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return 'is UTF-16; save the file as UTF-8';
  const nl = head.indexOf(10);
  const first = nl === -1 ? head : head.subarray(0, nl);
  if (first.includes(0)) return 'contains NUL bytes (binary data)';
  // A head cut inside a multi-byte character is still text: only judge complete lines.
  if ((nl !== -1 || head.length < PEEK_BYTES) && !isUtf8(first)) return 'is not valid UTF-8';
  return undefined;
}

/** A failure while reading `source`, as the error the import ends with. */
export function readFailure(e: unknown, source: Source): unknown {
  if (e instanceof ImportStop) return e;
  if (e instanceof CsvHeaderError) return new ImportStop(`${source.name} is not CSV text: ${e.message}`, 'check the file (binary data, UTF-16, or the wrong file?)');
  if (e instanceof SourceError) return new ImportStop(`${source.name}: ${e.message}`);
  if (typeof (e as NodeJS.ErrnoException)?.code === 'string') return new ImportStop(`cannot read ${source.name}: ${(e as Error).message}`);
  return e;
}

/**
 * header → a function turning a row's cells into an object. A literal with the header's keys
 * gives every row the same hidden class, which is much cheaper than adding keys one by one;
 * the keys are embedded with JSON.stringify, so any header text is safe.
 */
function rowBuilder(columns: readonly string[]): (cells: string[]) => Record<string, string> {
  const unique = new Set(columns).size === columns.length && !columns.includes('__proto__');
  if (!unique || columns.length > 500) {
    return (cells) => {
      const o: Record<string, string> = Object.create(null);
      for (let i = 0; i < columns.length; i++) o[columns[i]!] = cells[i]!;
      return o;
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('c', `return {${columns.map((c, i) => `${JSON.stringify(c)}: c[${i}]`).join(', ')}};`) as (cells: string[]) => Record<string, string>;
}

export async function readCsvSource(source: Source, chunks: AsyncIterable<Buffer>, reading: Reading): Promise<SourceRead> {
  const { adapter, records, applier, fileIndex } = reading;
  const file = source.name;
  let columns: string[] = [];
  let toObject: (cells: string[]) => Record<string, string> = () => ({});
  const stats = await readCsv(chunks, {
    header(cols) {
      columns = cols.map((c) => c.trim());
      checkColumns(adapter, reading.ctx, file, columns);
      toObject = rowBuilder(columns);
    },
    row(cells, line, raw) {
      if (cells.length !== columns.length) records.settle(undefined, file, line, raw, { kind: 'reject', reason: `row has ${cells.length} cells, the header has ${columns.length}` });
      else if (cells.every((c) => c === '')) records.settle(undefined, file, line, raw, { kind: 'skip', reason: 'blank' });
      else records.push(toObject(cells), file, line, raw);
      return applier.afterRecord(fileIndex);
    },
    fault(line, message, raw) {
      records.settle(undefined, file, line, raw, { kind: 'reject', reason: message });
    },
  });
  const read: SourceRead = { lines: stats.lines, blankLines: stats.blankLines };
  if (columns.length > 0 && stats.rows === 0 && stats.faults === 0) read.headerOnly = true;
  return read;
}

/** Where a JSON source is read: here, or (a large JSONL file of a format whose records are independent) in worker threads. */
export type JsonRoute = { threads: false; chunks: AsyncIterable<Buffer> } | { threads: true; chunks: AsyncIterable<Buffer> | undefined; size: number | undefined };

export async function jsonRoute(source: Source, opened: OpenedSource, adapter: Adapter, parallel: ThreadPlan | undefined): Promise<JsonRoute> {
  if (!parallel || !adapter.independent || !isJsonl(source, opened.head)) return { threads: false, chunks: opened.chunks };
  // A plain file's size says whether it is large; stdin, a pipe and a gzip file's content are read ahead to tell.
  const info = !opened.gzip && source.path !== '-' ? await stat(source.path) : undefined;
  if (info?.isFile()) {
    if (info.size < parallel.minBytes || (await threadsFor(parallel)) === 0) return { threads: false, chunks: opened.chunks };
    return { threads: true, chunks: undefined, size: info.size };
  }
  const ahead = await readAhead(opened.chunks, parallel.minBytes);
  return ahead.reachedMinimum && (await threadsFor(parallel)) > 0 ? { threads: true, chunks: ahead.chunks, size: undefined } : { threads: false, chunks: ahead.chunks };
}

/** A source read as JSONL (by its name, or as the reader's sniff of its head decides), and not UTF-16. */
function isJsonl(source: Source, head: Buffer): boolean {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return false;
  return (jsonFormatFromName(source.name) ?? formatFromHead(head)) === 'jsonl';
}

/** A JSON source (JSONL, an array, one document) read here, record by record. */
export async function readJsonSource(source: Source, chunks: AsyncIterable<Buffer>, reading: Reading): Promise<SourceRead> {
  const { adapter, records, applier, fileIndex } = reading;
  const file = source.name;
  /** The parts of a container record (Adapter.unpack), each a record of its own at its own line. */
  const readParts = async (r: RecordInfo, parts: readonly { value: unknown; pointer: string }[]): Promise<void> => {
    // A record on one line (a JSONL line) has every part on it: no need to locate each, which
    // would parse the line again for its positions (a Collector line holds thousands of spans).
    const oneLine = r.raw !== undefined && !/[\r\n]/.test(r.raw);
    if (!oneLine) await loadLocator();
    for (const part of parts) {
      records.push(part.value, file, oneLine ? r.line : r.locate(part.pointer, 'value').line, undefined);
      await applier.afterRecord(fileIndex);
    }
  };
  const sink = jsonRecordSink(file, {
    first(r) {
      const agg = aggregateByRecord(r.value);
      if (agg) throw new ImportStop(aggregateMessage(file, agg));
    },
    record(r, duplicateKey) {
      if (duplicateKey !== undefined) records.settle(r.value, file, r.line, r.raw, { kind: 'reject', reason: duplicateKey });
      else {
        const parts = adapter.unpack?.(r.value);
        if (parts) return readParts(r, parts);
        records.push(r.value, file, r.line, r.raw);
      }
      return applier.afterRecord(fileIndex);
    },
    fault(record, reason) {
      records.settle(record.value, file, record.line, record.raw, { kind: 'reject', reason });
    },
  });
  const stats = await readRecordStream(chunks, jsonFormatFromName(source.name), sink, adapter.arrayMember === undefined ? undefined : { arrayMember: adapter.arrayMember });
  return { lines: stats.lines, blankLines: stats.blankLines };
}
