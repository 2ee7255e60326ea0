/**
 * Payload records from one source (file or stdin), with positions: `.json` holds one
 * object or an array of them, `.jsonl`/`.ndjson` one per line; anything else (stdin
 * included) is sniffed. JSONL streams line by line; a .json file is read whole (capped),
 * since a JSON array cannot be split without parsing it.
 */
import { createReadStream } from 'node:fs';
import { Locator, findDuplicateKey, findSyntaxFault, loadLocator, locatorReady, mayHaveDuplicateKeys, type Position } from './locate.js';
import { MAX_LINE_BYTES, STOP, splitLines, type LineIssue } from './lines.js';

export type SourceFormat = 'json' | 'jsonl';

export interface Source {
  /** Name shown in reports. */
  name: string;
  /** File path, or "-" for stdin. */
  path: string;
  /** Known from the extension, or undefined to sniff. */
  format?: SourceFormat;
}

export type ReadFault = 'syntax' | 'duplicate-key' | 'line-too-long' | 'encoding';

export interface RecordInfo {
  value: unknown;
  /** 0-based record index in the source. */
  index: number;
  /** Line where the record starts. */
  line: number;
  /** Pointer prefix of the record in its file ("" in JSONL or a single-object file, "/3" in an array). */
  pointer: string;
  /** Raw JSON text of the record when cheaply available (a JSONL line). */
  raw?: string;
  /** Position of a pointer (relative to the record) inside the file; `await loadLocator()` first. */
  locate(pointer: string, target: 'value' | 'key' | 'record'): Position;
}

export interface FaultInfo {
  fault: ReadFault;
  line: number;
  column: number;
  pointer: string;
  message: string;
  /** The offending line's text, when known (for code frames). */
  text?: string;
}

export interface RecordSink {
  record(r: RecordInfo): void | typeof STOP | Promise<void | typeof STOP>;
  fault(f: FaultInfo): void | typeof STOP;
}

export interface ReadStats {
  format: SourceFormat;
  records: number;
  lines: number;
  blankLines: number;
  bytes: number;
  stopped: boolean;
}

/** Largest .json document read whole; bigger inputs should be JSONL. */
const MAX_JSON_DOCUMENT_BYTES = 256 * 1024 * 1024;

export class SourceError extends Error {}

export function formatFromExtension(path: string): SourceFormat | undefined {
  const p = path.toLowerCase();
  if (p.endsWith('.json')) return 'json';
  if (p.endsWith('.jsonl') || p.endsWith('.ndjson')) return 'jsonl';
  return undefined;
}

async function* chunksOf(path: string): AsyncGenerator<Buffer> {
  const stream = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 256 * 1024 });
  for await (const c of stream) yield typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
}

/** Peek at the first chunk to decide JSON vs JSONL, then hand the whole stream on. */
async function sniff(
  chunks: AsyncIterator<Buffer>,
): Promise<{ format: SourceFormat; stream: AsyncIterable<Buffer> }> {
  const head: Buffer[] = [];
  let headBytes = 0;
  // The text from the first non-blank character on; leading blank lines are only counted
  // in bytes, so a flood of them (a gzip bomb of newlines) is neither copied nor re-scanned.
  let trimmed = '';
  // Read until the first non-blank line is complete (or the input ends).
  for (;;) {
    const n = await chunks.next();
    if (n.done) break;
    head.push(n.value);
    headBytes += n.value.length;
    const t = n.value.toString('utf8');
    if (trimmed === '') {
      const start = t.search(/[^\s\uFEFF]/);
      if (start === -1) {
        // Nothing but blank lines so far: no JSON document starts that late; read it as JSONL (streamed).
        if (headBytes > MAX_LINE_BYTES) break;
        continue;
      }
      trimmed = t.slice(start);
    } else trimmed += t;
    if (trimmed[0] === '[' || /[\r\n]/.test(trimmed) || trimmed.length > MAX_LINE_BYTES) break;
  }
  let format: SourceFormat = 'jsonl';
  if (trimmed.startsWith('[')) format = 'json';
  else if (trimmed.startsWith('{')) {
    const firstLine = trimmed.split(/[\r\n]/, 1)[0]!.trim();
    try {
      JSON.parse(firstLine);
    } catch {
      format = 'json'; // a single object spread over several lines
    }
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* head;
    for (;;) {
      const n = await chunks.next();
      if (n.done) return;
      yield n.value;
    }
  }
  return { format, stream: replay() };
}

export async function readRecords(source: Source, sink: RecordSink): Promise<ReadStats> {
  return readRecordStream(chunksOf(source.path), source.format, sink);
}

/** Like readRecords, from a byte stream the caller opened (e.g. a gunzipped file); format undefined = sniff. */
export async function readRecordStream(chunks: AsyncIterable<Buffer>, format: SourceFormat | undefined, sink: RecordSink): Promise<ReadStats> {
  let stream: AsyncIterable<Buffer> = chunks;
  if (!format) ({ format, stream } = await sniff(chunks[Symbol.asyncIterator]()));
  return format === 'jsonl' ? readJsonl(stream, sink) : readJsonDocument(stream, sink);
}

const ISSUE_TEXT: Record<LineIssue, [ReadFault, string]> = {
  'too-long': ['line-too-long', `line is longer than ${MAX_LINE_BYTES / 1024 / 1024} MB; skipped`],
  'invalid-utf8': ['encoding', 'line is not valid UTF-8 (binary data or another encoding)'],
  'nul-byte': ['encoding', 'line contains NUL bytes (binary data, or UTF-16 text)'],
  'utf-16': ['encoding', 'file is UTF-16; save it as UTF-8'],
};

/** Why JSON.parse refused a line (an instance, so no parsed value can be mistaken for it). */
class ParseFailure {
  constructor(readonly message: string) {}
}

/** What prepare gives a blank line: no JSON.parse, which would throw (microseconds each) for every one. */
const BLANK = Symbol('blank');

function parseLine(text: string): unknown {
  // A record starts with `{`; anything else is checked for blankness before paying for a throw.
  if (text.charCodeAt(0) !== 123 && (text.length === 0 || text.trim() === '')) return BLANK;
  try {
    return JSON.parse(text);
  } catch (e) {
    return new ParseFailure((e as Error).message);
  }
}

/**
 * A JSONL record. A class rather than an object literal with a `locate` closure: one
 * allocation per line instead of three, and its locator is built only when a problem
 * needs a position.
 */
class LineRecord implements RecordInfo {
  readonly pointer = '';
  private locator: Locator | undefined;
  constructor(
    readonly value: unknown,
    readonly index: number,
    readonly line: number,
    readonly raw: string,
  ) {}
  locate(pointer: string, target: 'value' | 'key' | 'record'): Position {
    return (this.locator ??= new Locator(this.raw, this.line)).locate(pointer, target);
  }
}

async function readJsonl(stream: AsyncIterable<Buffer>, sink: RecordSink): Promise<ReadStats> {
  let records = 0;
  let blank = 0;
  const handle = (text: string, lineNo: number, parsed: unknown): void | typeof STOP | Promise<void | typeof STOP> => {
    if (parsed === BLANK) {
      blank++;
      return;
    }
    if (parsed instanceof ParseFailure) {
      if (!locatorReady()) return loadLocator().then(() => handle(text, lineNo, parsed));
      const f = findSyntaxFault(text, parsed.message);
      const pos = new Locator(text, lineNo).position(f.offset);
      return sink.fault({ fault: 'syntax', line: lineNo, column: pos.column, pointer: '', message: f.message, text });
    }
    const value = parsed;
    if (typeof value === 'object' && value !== null && mayHaveDuplicateKeys(text, value)) {
      if (!locatorReady()) return loadLocator().then(() => handle(text, lineNo, parsed));
      const dup = findDuplicateKey(text);
      if (dup) {
        const pos = new Locator(text, lineNo).position(dup.offset);
        const r = sink.fault({
          fault: 'duplicate-key',
          line: lineNo,
          column: pos.column,
          pointer: dup.pointer,
          message: `key "${dup.key}" appears twice in one object`,
          text,
        });
        if (r === STOP) return STOP;
      }
    }
    return sink.record(new LineRecord(value, records++, lineNo, text));
  };
  const stats = await splitLines<unknown>(stream, {
    // Parsed a batch at a time, ahead of the checks (see LineHandler.prepare).
    prepare: parseLine,
    line: handle,
    issue(kind, lineNo) {
      const [fault, message] = ISSUE_TEXT[kind];
      return sink.fault({ fault, line: lineNo, column: 1, pointer: '', message });
    },
  });
  return { format: 'jsonl', records, lines: stats.lines, blankLines: blank, bytes: stats.bytes, stopped: stats.stopped };
}

async function readJsonDocument(stream: AsyncIterable<Buffer>, sink: RecordSink): Promise<ReadStats> {
  const parts: Buffer[] = [];
  let bytes = 0;
  for await (const c of stream) {
    bytes += c.length;
    if (bytes > MAX_JSON_DOCUMENT_BYTES) {
      throw new SourceError(`JSON document is larger than ${MAX_JSON_DOCUMENT_BYTES / 1024 / 1024} MB; write it as JSONL (one payload per line) instead`);
    }
    parts.push(c);
  }
  let buf = Buffer.concat(parts);
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
  const base = { format: 'json' as const, bytes, stopped: false };
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
    sink.fault({ fault: 'encoding', line: 1, column: 1, pointer: '', message: 'file is UTF-16; save it as UTF-8' });
    return { ...base, records: 0, lines: 1, blankLines: 0 };
  }
  const text = buf.toString('utf8');
  const locator = new Locator(text);
  // Counted like JSONL: a final newline ends the last line, it does not start another.
  const lines = text.length === 0 ? 0 : locator.position(text.length).line - (text.endsWith('\n') ? 1 : 0);
  if (text.includes('\u0000') || (text.includes('\uFFFD') && buf.indexOf('\uFFFD', 0, 'utf8') === -1)) {
    const at = text.search(/[\u0000\uFFFD]/);
    const pos = locator.position(at);
    sink.fault({ fault: 'encoding', line: pos.line, column: pos.column, pointer: '', message: 'file is not UTF-8 text (binary data or another encoding)' });
    return { ...base, records: 0, lines, blankLines: 0 };
  }
  if (text.trim() === '') return { ...base, records: 0, lines, blankLines: lines };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    await loadLocator();
    const f = findSyntaxFault(text, (e as Error).message);
    const pos = locator.position(f.offset);
    sink.fault({ fault: 'syntax', line: pos.line, column: pos.column, pointer: '', message: f.message, text: pos.text });
    return { ...base, records: 0, lines, blankLines: 0 };
  }
  // Arrays need the positional parser for each element's line; a single clean object does not.
  const suspect = typeof value === 'object' && value !== null && mayHaveDuplicateKeys(text, value);
  if (suspect || Array.isArray(value)) await loadLocator();
  const dup = suspect ? findDuplicateKey(text) : undefined;
  if (dup) {
    const pos = locator.position(dup.offset);
    if (sink.fault({ fault: 'duplicate-key', line: pos.line, column: pos.column, pointer: dup.pointer, message: `key "${dup.key}" appears twice in one object`, text: pos.text }) === STOP) {
      return { ...base, records: 0, lines, blankLines: 0, stopped: true };
    }
  }
  const items = Array.isArray(value) ? value : [value];
  const inArray = Array.isArray(value);
  let records = 0;
  for (let i = 0; i < items.length; i++) {
    const pointer = inArray ? '/' + i : '';
    const start = inArray ? locator.locate('', 'record', pointer) : locator.position(text.search(/\S/));
    records++;
    let r = sink.record({
      value: items[i],
      index: i,
      line: start.line,
      pointer,
      locate: (p, target) => locator.locate(p, target, pointer),
    });
    if (r !== undefined && r !== STOP) r = await r;
    if (r === STOP) return { ...base, records, lines, blankLines: 0, stopped: true };
  }
  return { ...base, records, lines, blankLines: 0 };
}
