/**
 * Payload records from one source (file or stdin), with positions: `.json` holds one
 * object or an array of them, `.jsonl`/`.ndjson` one per line; anything else (stdin
 * included) is sniffed. JSONL streams line by line and a JSON array element by element
 * (elements.ts), both in flat memory; any other JSON document (one object, possibly
 * pretty-printed) is read whole, capped.
 */
import { createReadStream } from 'node:fs';
import { splitArray, withoutBom, type BrokenArray, type ElementStart, type ElementStats, type EmbeddedArray } from './elements.js';
import { CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, CR, JsonScanner, NEED_MORE, NL, OPEN_BRACE, OPEN_BRACKET, QUOTE, SPACE, TAB, TextPosition } from './json-scan.js';
import { Locator, findDuplicateKey, findSyntaxFault, firstSyntaxError, keysDiffer, loadLocator, locatorReady, mayHaveDuplicateKeys, type Position } from './locate.js';
import { MAX_LINE_BYTES, STOP, splitLines, type LineHandler, type LineIssue } from './lines.js';

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

/**
 * A record's JSON text and where that text stands in its source: enough to make the record
 * again (its pointer and positions) without reading the source a second time. validate
 * keeps these for stdin records it may have to report at the end (docs/validate.md, "Memory").
 */
export interface RecordText {
  text: string;
  /** The record's own line (RecordInfo.line). */
  recordLine: number;
  /** Line and 1-based column where `text` starts, and its line's text before it. */
  line: number;
  column: number;
  prefix: string;
  pointer: string;
}

/** What a record read by this module is made of (undefined for a record made elsewhere). */
export function recordText(r: RecordInfo): RecordText | undefined {
  return r instanceof LineRecord || r instanceof ElementRecord || r instanceof DocumentRecord ? r.textAndPlace() : undefined;
}

/** A record made again from recordText's answer: the same value, pointer and positions. */
export function recordFromText(t: RecordText, index: number): RecordInfo {
  let locator: Locator | undefined;
  return {
    value: JSON.parse(t.text),
    index,
    line: t.recordLine,
    pointer: t.pointer,
    raw: t.text,
    locate: (pointer, target) => (locator ??= new Locator(t.text, t.line, t.column, t.prefix)).locate(pointer, target),
  };
}

export interface FaultInfo {
  fault: ReadFault;
  line: number;
  column: number;
  pointer: string;
  message: string;
  /** The offending line's text, when known (for code frames). */
  text?: string;
  /** Column of `text`'s first character when it is not the line's start (a long line's tail). */
  textColumn?: number;
  /**
   * For a duplicate key: the index of the record holding it, which follows this fault with
   * the last value winning (import rejects that record; validate checks it).
   */
  recordIndex?: number;
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

/** Largest .json document read whole (one that is not an array); bigger inputs should be JSONL. */
const MAX_JSON_DOCUMENT_BYTES = 256 * 1024 * 1024;

export class SourceError extends Error {}

export function formatFromExtension(path: string): SourceFormat | undefined {
  const p = path.toLowerCase();
  if (p.endsWith('.json')) return 'json';
  if (p.endsWith('.jsonl') || p.endsWith('.ndjson')) return 'jsonl';
  return undefined;
}

/** The bytes of a file, or of stdin for "-". */
export async function* sourceChunks(path: string): AsyncGenerator<Buffer> {
  const stream = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 256 * 1024 });
  for await (const c of stream) yield typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
}

/** JSON or JSONL from the input's text from its first non-blank character (its first line complete, or longer than a line may be). */
function formatOfStart(trimmed: string): SourceFormat {
  if (trimmed.startsWith('[')) return 'json';
  if (trimmed.startsWith('{')) {
    const firstLine = trimmed.split(/[\r\n]/, 1)[0]!.trim();
    try {
      JSON.parse(firstLine);
    } catch {
      return 'json'; // a single object spread over several lines
    }
  }
  return 'jsonl';
}

/** The sniff's decision already complete in the stream's first chunk. */
function sniffed(trimmed: string): boolean {
  return trimmed[0] === '[' || /[\r\n]/.test(trimmed) || trimmed.length > MAX_LINE_BYTES;
}

/**
 * What readRecordStream's sniff decides for a stream whose first chunk is `head`, when that
 * chunk alone decides it (undefined: the sniff would read on).
 */
export function formatFromHead(head: Buffer): SourceFormat | undefined {
  const t = head.toString('utf8');
  const start = t.search(/[^\s\uFEFF]/);
  if (start === -1) return undefined;
  const trimmed = t.slice(start);
  return sniffed(trimmed) ? formatOfStart(trimmed) : undefined;
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
    if (sniffed(trimmed)) break;
  }
  return { format: formatOfStart(trimmed), stream: replayed(head, chunks) };
}

/** The chunks a peek took, then the rest of the stream. */
async function* replayed(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  for (;;) {
    const n = await rest.next();
    if (n.done) return;
    yield n.value;
  }
}

export async function readRecords(source: Source, sink: RecordSink): Promise<ReadStats> {
  return readRecordStream(sourceChunks(source.path), source.format, sink);
}

export interface ReadOptions {
  /**
   * A JSON document that is an object with an array under this key holds its records there
   * (a CloudWatch Logs Insights export's `results`): the array's elements are read one by one,
   * as a top-level array's are (flat memory, each at its own line, pointer `/<key>/N`), and the
   * object itself is not a record. An object without that array is one record, as always.
   */
  arrayMember?: string;
}

/** Like readRecords, from a byte stream the caller opened (e.g. a gunzipped file); format undefined = sniff. */
export async function readRecordStream(chunks: AsyncIterable<Buffer>, format: SourceFormat | undefined, sink: RecordSink, opts: ReadOptions = {}): Promise<ReadStats> {
  let stream: AsyncIterable<Buffer> = chunks;
  if (opts.arrayMember !== undefined) {
    // A container that opens the input is read row by row whatever its layout: compacted on one
    // line (which the sniff calls JSONL, and a JSONL line is read whole, up to MAX_LINE_BYTES)
    // or in a file named .jsonl. Lines after a one-line container are JSONL lines.
    const peek = await peekContainer(chunks[Symbol.asyncIterator](), opts.arrayMember);
    if (peek.container) return readObjectMember(peek.stream, opts.arrayMember, sink, { linesAfter: true });
    stream = peek.stream;
  }
  if (!format) ({ format, stream } = await sniff(stream[Symbol.asyncIterator]()));
  return format === 'jsonl' ? readJsonl(stream, sink) : readJsonDocument(stream, sink, opts.arrayMember);
}

/**
 * The start of an object whose `member` array comes after members that are scalars or flat
 * objects only (a CloudWatch Logs Insights export: `{"results": [` or `{"status": …, "results": [`).
 * One pattern for the reader and for `--from auto`'s look at a file's head.
 */
export function containerOpening(member: string): RegExp {
  const key = JSON.stringify(member).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\{\\s*(?:"[^"\\\\]*"\\s*:\\s*(?:"(?:[^"\\\\]|\\\\.)*"|[-\\d.eE+]+|true|false|null|\\{[^{}]*\\})\\s*,\\s*)*${key}\\s*:\\s*\\[`);
}

/** How much of an input's text (from its first non-blank character) is looked at for containerOpening. */
const CONTAINER_PEEK_CHARS = 64 * 1024;

/** Whether the input opens with a container of `member` (containerOpening), and the whole input again. */
async function peekContainer(it: AsyncIterator<Buffer>, member: string): Promise<{ container: boolean; stream: AsyncIterable<Buffer> }> {
  const opening = containerOpening(member);
  const head: Buffer[] = [];
  let headBytes = 0;
  let text = ''; // from the first non-blank character, at most CONTAINER_PEEK_CHARS
  let container: boolean | undefined;
  while (container === undefined) {
    const n = await it.next();
    if (!n.done) {
      head.push(n.value);
      headBytes += n.value.length;
      if (text.length < CONTAINER_PEEK_CHARS) text += n.value.toString('utf8', 0, Math.min(n.value.length, CONTAINER_PEEK_CHARS * 4));
      if (text.length > 0 && /^[\s\uFEFF]/.test(text)) text = text.replace(/^[\s\uFEFF]+/, '');
    }
    if (text.length === 0) {
      // Blank so far: a flood of blank lines is no container (the sniff counts them as JSONL).
      if (n.done || headBytes > MAX_LINE_BYTES) container = false;
    } else if (text[0] !== '{') container = false;
    else if (opening.test(text)) container = true;
    else if (n.done || text.length >= CONTAINER_PEEK_CHARS) container = false;
  }
  return { container, stream: replayed(head, it) };
}

const ISSUE_TEXT: Record<LineIssue, [ReadFault, string]> = {
  'too-long': ['line-too-long', `line is longer than ${MAX_LINE_BYTES / 1024 / 1024} MB; skipped`],
  'invalid-utf8': ['encoding', 'line is not valid UTF-8 (binary data or another encoding)'],
  'nul-byte': ['encoding', 'line contains NUL bytes (binary data, or UTF-16 text)'],
  'utf-16': ['encoding', 'file is UTF-16; save it as UTF-8'],
};

/** The fault for a line that could not be decoded (or was too long to read). */
export function lineIssueFault(kind: LineIssue, line: number): FaultInfo {
  const [fault, message] = ISSUE_TEXT[kind];
  return { fault, line, column: 1, pointer: '', message };
}

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
  textAndPlace(): RecordText {
    return { text: this.raw, recordLine: this.line, line: this.line, column: 1, prefix: '', pointer: '' };
  }
}

/**
 * The JSONL reading of lines: what each line is (a record, blank, a syntax fault, a
 * duplicate key, an undecodable line) told to `sink`, with the counts. One reader for whole
 * files (readJsonl) and for the parts of a file the import hands to its worker threads,
 * so both read every line alike.
 */
export function jsonlLineReader(sink: RecordSink, firstIndex = 0): { handler: LineHandler<unknown>; records(): number; blankLines(): number } {
  let records = firstIndex;
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
          recordIndex: records,
        });
        if (r === STOP) return STOP;
      }
    }
    return sink.record(new LineRecord(value, records++, lineNo, text));
  };
  const handler: LineHandler<unknown> = {
    // Parsed a batch at a time, ahead of the checks (see LineHandler.prepare).
    prepare: parseLine,
    line: handle,
    issue: (kind, lineNo) => sink.fault(lineIssueFault(kind, lineNo)),
  };
  return { handler, records: () => records - firstIndex, blankLines: () => blank };
}

async function readJsonl(stream: AsyncIterable<Buffer>, sink: RecordSink): Promise<ReadStats> {
  const reader = jsonlLineReader(sink);
  const stats = await splitLines<unknown>(stream, reader.handler);
  return { format: 'jsonl', records: reader.records(), lines: stats.lines, blankLines: reader.blankLines(), bytes: stats.bytes, stopped: stats.stopped };
}

const WHITE_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** An array is split element by element (an object's `arrayMember` too); anything else is read whole. */
async function readJsonDocument(stream: AsyncIterable<Buffer>, sink: RecordSink, arrayMember?: string): Promise<ReadStats> {
  // Peek up to the first byte that is not white space (after a BOM).
  const it = stream[Symbol.asyncIterator]();
  let head: Buffer[] = [];
  let headBytes = 0;
  let scanned = 0; // chunks of head already looked at
  let first = -1;
  // (White space past the size cap ends the peek: the whole-document reader refuses it.)
  for (let ended = false; first === -1 && !ended && headBytes <= MAX_JSON_DOCUMENT_BYTES; ) {
    const n = await it.next();
    if (n.done) ended = true;
    else {
      head.push(n.value);
      headBytes += n.value.length;
    }
    if (headBytes < 3 && !ended) continue;
    // The first chunk gets at least three bytes (or all there are), so a BOM is whole in it.
    if (scanned === 0 && head.length > 1) head = [Buffer.concat(head)];
    for (; scanned < head.length && first === -1; scanned++) {
      const b = head[scanned]!;
      const from = scanned === 0 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
      for (let i = from; i < b.length; i++) {
        if (!WHITE_SPACE.has(b[i]!)) {
          first = b[i]!;
          break;
        }
      }
    }
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  }
  if (first === 0x5b) return readJsonArray(replay(), sink);
  if (first === 0x7b && arrayMember !== undefined) return readObjectMember(replay(), arrayMember, sink);
  return readWholeDocument(replay(), sink);
}

/**
 * An element of a JSON array. Like LineRecord, its locator is built only when a problem
 * needs a position, from the element's own text and where it starts.
 */
class ElementRecord implements RecordInfo {
  readonly line: number;
  private locator: Locator | undefined;
  constructor(
    readonly value: unknown,
    readonly index: number,
    private readonly at: ElementStart,
    readonly raw: string,
    /** The array's own pointer: "" for a top-level array, "/results" for an object's member. */
    private readonly arrayPointer = '',
  ) {
    this.line = at.line;
  }
  /**
   * Made when asked for (for problems only): built for every element, the "/N" strings made
   * V8 keep a young generation of ~40 MB instead of ~8 MB on a 1,000,000-element array
   * (measured; most likely through its number-to-string cache).
   */
  get pointer(): string {
    return this.arrayPointer + '/' + this.at.index;
  }
  locate(pointer: string, target: 'value' | 'key' | 'record'): Position {
    return (this.locator ??= elementLocator(this.raw, this.at)).locate(pointer, target);
  }
  textAndPlace(): RecordText {
    return { text: this.raw, recordLine: this.line, line: this.at.line, column: this.at.column, prefix: this.at.prefix, pointer: this.pointer };
  }
}

function elementLocator(text: string, at: ElementStart): Locator {
  return new Locator(text, at.line, at.column, at.prefix);
}

/** A fault at `offset` in an element's text. */
function elementFault(fault: ReadFault, text: string, at: ElementStart, offset: number, pointer: string, message: string, arrayPointer = ''): FaultInfo {
  const pos = elementLocator(text, at).position(offset);
  const f: FaultInfo = { fault, line: pos.line, column: pos.column, pointer: arrayPointer + '/' + at.index + pointer, message, text: pos.text };
  if (pos.textColumn !== undefined) f.textColumn = pos.textColumn;
  return f;
}

/**
 * A JSON array, element by element: each one is checked like a JSONL line (JSON.parse,
 * then the duplicate-key pre-check), so a bad element is one fault and the others are
 * still read. Only a break in the array's own structure ends the reading.
 */
async function readJsonArray(
  stream: AsyncIterable<Buffer>,
  sink: RecordSink,
  member?: { pointer: string; at: EmbeddedArray },
): Promise<ReadStats & { after?: ElementStats['after'] }> {
  const ap = member?.pointer ?? '';
  let records = 0;
  const element = (text: string, at: ElementStart): void | typeof STOP | Promise<void | typeof STOP> => {
    const parsed = parseLine(text);
    if (parsed instanceof ParseFailure) {
      if (!locatorReady()) return loadLocator().then(() => element(text, at));
      const f = findSyntaxFault(text, parsed.message);
      return sink.fault(elementFault('syntax', text, at, f.offset, '', f.message, ap));
    }
    if (typeof parsed === 'object' && parsed !== null && keysDiffer(parsed, at.members)) {
      if (!locatorReady()) return loadLocator().then(() => element(text, at));
      const dup = findDuplicateKey(text);
      if (dup) {
        const f = elementFault('duplicate-key', text, at, dup.offset, dup.pointer, `key "${dup.key}" appears twice in one object`, ap);
        f.recordIndex = records;
        if (sink.fault(f) === STOP) return STOP;
      }
    }
    return sink.record(new ElementRecord(parsed, records++, at, text, ap));
  };
  const stats = await splitArray(stream, {
    element,
    skipped(kind, at, detail) {
      if (kind === 'too-large') {
        return sink.fault({ fault: 'line-too-long', line: at.line, column: at.column, pointer: ap + '/' + at.index, message: `array element is larger than ${MAX_LINE_BYTES / 1024 / 1024} MB; skipped` });
      }
      const text = detail.text ?? '';
      const nul = text.indexOf('\u0000');
      const bad = nul !== -1 ? nul : Math.max(0, text.indexOf('\uFFFD'));
      const message = nul !== -1 ? 'array element contains NUL bytes (binary data, or UTF-16 text)' : 'array element is not valid UTF-8 (binary data or another encoding)';
      return sink.fault(elementFault('encoding', text, at, bad, '', message, ap));
    },
  }, undefined, member?.at);
  const base = { format: 'json' as const, records, lines: stats.lines, blankLines: 0, bytes: stats.bytes, stopped: stats.stopped, after: stats.after };
  if (stats.broken) sink.fault(await brokenFault(stats.broken, ap));
  return base;
}

/** The fault for a break in an array's structure, as precise as jsonc-parser can make it. */
async function brokenFault(b: BrokenArray, arrayPointer = ''): Promise<FaultInfo> {
  const more = b.atEnd ? '' : '; the rest of the file cannot be read';
  if (b.element) {
    await loadLocator();
    const { text, at } = b.element;
    // The splitter saw the fault at the element's last character (or after it, at the end of
    // the input); jsonc-parser may find an earlier one, which is then the real cause.
    const found = firstSyntaxError(text);
    const faultAt = b.atEnd ? text.length : text.length - 1;
    if (found && found.offset < faultAt) return elementFault('syntax', text, at, found.offset, '', found.message + more, arrayPointer);
    return elementFault('syntax', text, at, Math.min(faultAt, text.length), '', b.message + more, arrayPointer);
  }
  const f: FaultInfo = { fault: 'syntax', line: b.line, column: b.column, pointer: '', message: b.message + more };
  if (b.text !== undefined) f.text = b.text;
  if (b.textColumn !== undefined && b.textColumn !== 1) f.textColumn = b.textColumn;
  return f;
}

/**
 * A top-level object read for the array under `member` (ReadOptions.arrayMember): the object's
 * own members are scanned (strings and nesting only, by the shared JsonScanner) and kept as
 * text, the array's elements are split one by one where they stand in the file (readJsonArray),
 * and the scan goes on after it. So memory holds one element and the rest of the object, never
 * the array. An object without that array is one record, read whole as any other document.
 * With `linesAfter`, an object that ends on the line it started on is a JSONL line: the lines
 * after it are JSONL (records, or more such objects up to MAX_LINE_BYTES, as any JSONL line).
 */
function readObjectMember(stream: AsyncIterable<Buffer>, member: string, sink: RecordSink, opts: { linesAfter?: boolean } = {}): Promise<ReadStats> {
  return new ObjectMemberReader(stream, member, sink, opts.linesAfter ?? false).read();
}

/** Where ObjectMemberReader.walk stopped in a chunk. */
const enum WalkStop {
  /** The chunk is read. */
  ChunkEnd,
  /** At the `[` of the member's array. */
  MemberArray,
  /** At the `}` that closes the object on the line it opened (with linesAfter). */
  ClosedOnItsLine,
}

/** What the reader is inside of, at the object's own level. */
const enum Inside {
  /** Nothing: the next byte is white space or the object's own structure. */
  Nothing,
  /** A member's key (its bytes are kept to compare with the member's name). */
  Key,
  /** A value (or anything else) being skipped. */
  Value,
}

/**
 * The object's grammar at its own level is followed leniently (the object is checked with
 * JSON.parse once it is read): keys, colons and commas at depth 1; deeper values are skipped
 * whole by a lenient JsonScanner.
 */
class ObjectMemberReader {
  private readonly it: AsyncIterator<Buffer>;
  private readonly memberKey: Buffer;
  private pos = new TextPosition();
  private readonly scan = new JsonScanner(true);
  private bytes = 0;
  private lastByte = -1;
  /** The byte before the chunk being walked (-1: none), for a CRLF cut between two chunks. */
  private byteBefore = -1;
  private records = 0;
  /** The object's text without the array (`[]` in its place), for JSON.parse at the end. */
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  // The object's own level: `level` counts the brackets open around the next byte that the
  // scanner did not skip (1: inside the object, where its keys are; it may go below 0 on a
  // broken document, whose text JSON.parse then refuses).
  private level = 0;
  private inside = Inside.Nothing;
  private keyParts: Buffer[] = [];
  private expectKey = false;
  private afterColon = false;
  private keyIsMember = false;
  private found = false;
  /** Where the member's value appears a second time. */
  private twice: { line: number; column: number } | undefined;
  /** The line of the object's `{`. */
  private openLine = 0;
  /** Where walk stopped (WalkStop.MemberArray, ClosedOnItsLine). */
  private stopAt = 0;

  constructor(
    stream: AsyncIterable<Buffer>,
    private readonly member: string,
    private readonly sink: RecordSink,
    private readonly linesAfter: boolean,
  ) {
    this.it = withoutBom(stream, () => (this.bytes += 3))[Symbol.asyncIterator]();
    this.memberKey = Buffer.from(member, 'utf8');
  }

  async read(): Promise<ReadStats> {
    for (let buf = await this.nextChunk(); buf !== undefined; ) {
      const stop = this.walk(buf);
      if (stop === WalkStop.ChunkEnd) {
        this.keep(buf);
        buf = await this.nextChunk();
        continue;
      }
      const at = this.stopAt;
      if (stop === WalkStop.ClosedOnItsLine) return this.closedOnItsLine(buf, at);
      // The array: its elements are records, at their own lines; the kept text gets `[]`.
      this.keep(buf.subarray(0, at));
      this.keep(Buffer.from('[]'));
      const line = this.pos.line;
      const after = await this.readArray(buf, at);
      if (!after) return { format: 'json', records: this.records, lines: line, blankLines: 0, bytes: this.bytes, stopped: true };
      buf = after.rest;
    }
    if (!this.found) return readWholeDocument(buffers(this.kept), this.sink);
    const lines = this.bytes === 0 ? 0 : this.pos.line - (this.lastByte === NL || this.lastByte === CR ? 1 : 0);
    return this.closeObject(lines, { format: 'json', records: this.records, lines, blankLines: 0, bytes: this.bytes, stopped: false });
  }

  /** The next chunk of the input (also for the array's reader), counted. */
  private async nextChunk(): Promise<Buffer | undefined> {
    for (;;) {
      const n = await this.it.next();
      if (n.done) return undefined;
      if (n.value.length === 0) continue;
      this.bytes += n.value.length;
      this.byteBefore = this.lastByte;
      this.lastByte = n.value[n.value.length - 1]!;
      return n.value;
    }
  }

  /** The rest of the input from `from` on, read from the same iterator (not closed by the array's reader). */
  private onwards(from: Buffer): AsyncIterable<Buffer> {
    let head: Buffer | undefined = from;
    const next = async (): Promise<IteratorResult<Buffer>> => {
      if (head === undefined) {
        const chunk = await this.nextChunk();
        return chunk === undefined ? { value: undefined, done: true } : { value: chunk, done: false };
      }
      const value = head;
      head = undefined;
      return { value, done: false };
    };
    return { [Symbol.asyncIterator]: () => ({ next }) };
  }

  /**
   * Splits the member's array that starts at `at` of `buf` (readJsonArray, embedded); the rest
   * of the input after its `]`, where the position now stands, or undefined when it did not end.
   */
  private async readArray(buf: Buffer, at: number): Promise<ElementStats['after']> {
    const pos = this.pos;
    const lineTail = pos.takeTail(buf, at);
    const r = await readJsonArray(this.onwards(buf.subarray(at)), this.sink, { pointer: '/' + this.member, at: { embedded: true, line: pos.line, column: pos.column + 1, lineTail } });
    this.records += r.records;
    if (r.after) {
      this.pos = new TextPosition(r.after.line, r.after.column - 1);
      this.byteBefore = CLOSE_BRACKET;
    }
    return r.after;
  }

  /** The object closed on the line it opened: the lines after it are JSONL (linesAfterObject). */
  private closedOnItsLine(buf: Buffer, at: number): Promise<ReadStats> | ReadStats {
    this.keep(buf.subarray(0, at + 1));
    const line = this.pos.line;
    const closed = this.closeObject(line, { format: 'json', records: this.records, lines: line, blankLines: 0, bytes: this.bytes, stopped: false });
    if (closed.stopped) return closed;
    return linesAfterObject(this.onwards(buf.subarray(at + 1)), this.sink, line, this.pos.column + 2, closed, () => this.bytes);
  }

  /**
   * Reads the chunk at the object's own level, skipping keys and values with the scanner, up to
   * its end or to where the reading changes hands (stopAt).
   */
  private walk(buf: Buffer): WalkStop {
    const pos = this.pos;
    const n = buf.length;
    pos.nextChunk();
    let i = this.inside === Inside.Nothing ? 0 : this.skipOn(buf, 0, 0);
    while (i < n) {
      const c = buf[i]!;
      if (c === NL || c === CR) pos.lineBreak(c, i, i > 0 ? buf[i - 1]! : this.byteBefore);
      else if (c === SPACE || c === TAB) pos.column++;
      else {
        const stop = this.level === 1 ? this.memberByte(c) : this.outsideByte(c);
        if (stop !== WalkStop.ChunkEnd) {
          this.stopAt = i;
          return stop;
        }
        if (this.inside !== Inside.Nothing) {
          // A key or a value starts here: skipped whole, its bytes passed at once.
          i = this.skipOn(buf, i, i + 1);
          continue;
        }
        pos.column++;
      }
      i++;
    }
    pos.takeTail(buf, n);
    return WalkStop.ChunkEnd;
  }

  /** A byte outside the object (before it, or after it on a multi-line document). */
  private outsideByte(c: number): WalkStop {
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (this.level === 0 && c === OPEN_BRACE) {
        this.expectKey = true;
        this.openLine = this.pos.line;
      }
      this.level++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) this.level--;
    else this.startSkip(Inside.Value, c);
    return WalkStop.ChunkEnd;
  }

  /** A byte of the object's own level: a key, a colon, a comma, a value's start, or its `}`. */
  private memberByte(c: number): WalkStop {
    switch (c) {
      case COLON:
        this.afterColon = true;
        return WalkStop.ChunkEnd;
      case COMMA:
        this.expectKey = true;
        return WalkStop.ChunkEnd;
      case CLOSE_BRACE:
      case CLOSE_BRACKET:
        this.level = 0;
        return this.found && this.linesAfter && this.pos.line === this.openLine ? WalkStop.ClosedOnItsLine : WalkStop.ChunkEnd;
      case QUOTE:
        if (this.expectKey) {
          this.expectKey = false;
          this.keyParts = [];
          this.startSkip(Inside.Key, c);
          return WalkStop.ChunkEnd;
        }
        break;
      case OPEN_BRACE:
      case OPEN_BRACKET:
        if (this.afterColon && this.keyIsMember) {
          if (this.found) this.twice ??= { line: this.pos.line, column: this.pos.column + 1 };
          else if (c === OPEN_BRACKET) {
            this.found = true;
            this.afterColon = false;
            return WalkStop.MemberArray;
          }
        }
        break;
    }
    this.afterColon = false;
    this.startSkip(Inside.Value, c);
    return WalkStop.ChunkEnd;
  }

  private startSkip(inside: Inside, c: number): void {
    this.inside = inside;
    this.scan.begin(c);
  }

  /**
   * Skips on through the key or value being read (its bytes in this chunk start at `from`; the
   * scan resumes at `resumeAt`); the index after it, or the chunk's end.
   */
  private skipOn(buf: Buffer, from: number, resumeAt: number): number {
    const end = this.scan.skip(buf, resumeAt);
    const to = end === NEED_MORE ? buf.length : end;
    this.pos.passBytes(buf.subarray(from, to), from);
    if (this.inside === Inside.Key) this.keyParts.push(buf.subarray(from, to));
    if (end === NEED_MORE) return to;
    if (this.inside === Inside.Key) {
      // The key's bytes with its quotes, compared as they are (a member name has no escapes).
      const key = this.keyParts.length === 1 ? this.keyParts[0]! : Buffer.concat(this.keyParts);
      this.keyIsMember = key.length === this.memberKey.length + 2 && key.subarray(1, -1).equals(this.memberKey);
      this.keyParts = [];
    }
    this.inside = Inside.Nothing;
    return end;
  }

  private keep(b: Buffer): void {
    this.keptBytes += b.length;
    if (this.keptBytes > MAX_JSON_DOCUMENT_BYTES) {
      throw new SourceError(`JSON document is larger than ${MAX_JSON_DOCUMENT_BYTES / 1024 / 1024} MB; write it as JSONL (one payload per line) instead`);
    }
    if (b.length > 0) this.kept.push(Buffer.from(b)); // a copy: a slice would hold its whole chunk
  }

  /** The checks of the object around the array, once it is read (`faultLine`: where to report a broken one). */
  private closeObject(faultLine: number, base: ReadStats): ReadStats {
    const member = this.member;
    if (this.twice) {
      const r = this.sink.fault({ fault: 'syntax', line: this.twice.line, column: this.twice.column, pointer: '', message: `key "${member}" appears twice in the document: only the first "${member}" array was read` });
      return r === STOP ? { ...base, stopped: true } : base;
    }
    // The object around the array must be JSON too (a file cut after the array is not whole).
    try {
      JSON.parse(Buffer.concat(this.kept).toString('utf8'));
    } catch {
      // (JSON.parse's own message would give positions in the text without the array.)
      const r = this.sink.fault({ fault: 'syntax', line: faultLine, column: 1, pointer: '', message: `the object around its "${member}" array is broken or cut short (its rows were read)` });
      if (r === STOP) return { ...base, stopped: true };
    }
    return base;
  }
}


/**
 * The input after a container object that ended on its own line (readObjectMember's
 * linesAfter), read as JSONL: the rest of that line must be blank (anything on it is one
 * fault), and the lines after it are records as in any JSONL file, counted on from the
 * container's rows. `column` is where the rest of the line starts; `bytes` the bytes read in all.
 */
async function linesAfterObject(rest: AsyncIterable<Buffer>, sink: RecordSink, line: number, column: number, before: ReadStats, bytes: () => number): Promise<ReadStats> {
  const reader = jsonlLineReader(sink, before.records);
  let ownLine = true; // the first line handed on is the rest of the container's line
  const handler: LineHandler<unknown> = {
    prepare: reader.handler.prepare,
    line(text, lineNo, prepared) {
      if (!ownLine) return reader.handler.line(text, lineNo, prepared);
      ownLine = false;
      const at = text.search(/\S/);
      if (at === -1) return;
      return sink.fault({ fault: 'syntax', line: lineNo, column: column + at, pointer: '', message: 'unexpected content after the JSON value on its line', text: text.slice(at), textColumn: column + at });
    },
    issue(kind, lineNo, size) {
      ownLine = false;
      return reader.handler.issue(kind, lineNo, size);
    },
  };
  const stats = await splitLines<unknown>(rest, handler, MAX_LINE_BYTES, { linesBefore: line - 1, fileStart: false });
  return {
    format: 'jsonl',
    records: before.records + reader.records(),
    lines: Math.max(line, stats.lines),
    blankLines: reader.blankLines(),
    bytes: bytes(),
    stopped: stats.stopped,
  };
}

async function readWholeDocument(stream: AsyncIterable<Buffer>, sink: RecordSink): Promise<ReadStats> {
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
  const lines = text.length === 0 ? 0 : locator.position(text.length).line - (/[\r\n]$/.test(text) ? 1 : 0);
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
  if (typeof value === 'object' && value !== null && mayHaveDuplicateKeys(text, value)) {
    await loadLocator();
    const dup = findDuplicateKey(text);
    if (dup) {
      const pos = locator.position(dup.offset);
      const fault: FaultInfo = { fault: 'duplicate-key', line: pos.line, column: pos.column, pointer: dup.pointer, message: `key "${dup.key}" appears twice in one object`, text: pos.text, recordIndex: 0 };
      if (sink.fault(fault) === STOP) return { ...base, records: 0, lines, blankLines: 0, stopped: true };
    }
  }
  let r = sink.record(new DocumentRecord(value, locator.position(firstNonSpaceOffset(text)).line, text, locator));
  if (r !== undefined && r !== STOP) r = await r;
  return { ...base, records: 1, lines, blankLines: 0, stopped: r === STOP };
}

/** The one record of a document read whole; its positions count from the document's start. */
class DocumentRecord implements RecordInfo {
  readonly index = 0;
  readonly pointer = '';
  constructor(
    readonly value: unknown,
    readonly line: number,
    private readonly text: string,
    private readonly locator: Locator,
  ) {}
  locate(pointer: string, target: 'value' | 'key' | 'record'): Position {
    return this.locator.locate(pointer, target);
  }
  textAndPlace(): RecordText {
    return { text: this.text, recordLine: this.line, line: 1, column: 1, prefix: '', pointer: '' };
  }
}

function firstNonSpaceOffset(text: string): number {
  const m = /\S/.exec(text);
  return m ? m.index : 0;
}

async function* buffers(bs: Buffer[]): AsyncGenerator<Buffer> {
  yield* bs;
}
