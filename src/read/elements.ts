/**
 * A streaming splitter for a top-level JSON array: it finds where each element starts and
 * ends, and hands on the element's text with the line and column where it starts, so an
 * array of any size is read holding one element at a time (capped), and each element goes
 * through JSON.parse like a JSONL line.
 *
 * Hand-written rather than a library: the streaming JSON parsers on npm (stream-json,
 * @streamparser/json, clarinet) build every value token by token in JavaScript, which is
 * several times slower than JSON.parse on the element's text, and none of them reports the
 * line and column an element starts at; jsonc-parser keeps offsets but needs the whole text.
 * Only the structure is scanned: the array's brackets and commas here, each element's strings
 * and nesting by the shared JsonScanner, positions by TextPosition (json-scan.ts). The
 * elements' contents are checked by JSON.parse, and a fault inside an element is located by
 * the caller.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, CR, FAULT, JsonScanner, NEED_MORE, NL, OPEN_BRACKET, PREFIX_CHARS, SPACE, TAB, TextPosition, lineBreaks } from './json-scan.js';
import { MAX_LINE_BYTES, STOP } from './lines.js';

export { PREFIX_CHARS };

/** Largest element passed on; a bigger one is reported and skipped (JSONL's line cap). */
const MAX_ELEMENT_BYTES = MAX_LINE_BYTES;

/** Where an element starts. */
export class ElementStart {
  constructor(
    /** 0-based position in the array (the N of its `/N` pointer). */
    readonly index: number,
    readonly line: number,
    /** 1-based column of its first character. */
    readonly column: number,
    private readonly before: string,
  ) {}
  /**
   * Colons outside strings in the element's text: when JSON.parse accepts the text, the
   * number of object members it holds, duplicates included (mayHaveDuplicateKeys compares
   * it with the parsed value's keys). Counted by the scan that finds the element's end.
   */
  members = 0;
  /**
   * The end of its line's text before it (up to PREFIX_CHARS characters; less when the line
   * holds more elements before it). Cut only when asked for: most elements never are.
   */
  get prefix(): string {
    return this.before.length > PREFIX_CHARS ? this.before.slice(-PREFIX_CHARS) : this.before;
  }
}

export interface ElementHandler {
  /** One element's text, decoded. Return STOP to end, or a promise to wait for. */
  element(text: string, at: ElementStart): void | typeof STOP | Promise<void | typeof STOP>;
  /** An element not passed on: larger than the cap, or not UTF-8 text. Reading goes on after it. */
  skipped(kind: 'too-large' | 'encoding', at: ElementStart, detail: { bytes: number; text?: string }): void | typeof STOP;
}

/** Where the array's structure is broken: nothing after it can be read. */
export interface BrokenArray {
  line: number;
  column: number;
  /** This splitter's own diagnosis. */
  message: string;
  /** True when the input ended there (truncated), false when something stands in the way. */
  atEnd: boolean;
  /** The element the fault is in, as far as it was read (unless over the cap), for a precise diagnosis. */
  element?: { text: string; at: ElementStart };
  /** Text of the fault's line around it, for code frames, and the column that text starts at. */
  text?: string;
  textColumn?: number;
}

export interface ElementStats {
  elements: number;
  /**
   * An embedded array (SplitOptions.embedded): where the array ended — the rest of the chunk
   * after its `]` and the position of that rest's first byte. Undefined when it did not end.
   */
  after?: { rest: Buffer; line: number; column: number };
  /** Lines in the input, counted like JSONL (a final newline ends the last line). */
  lines: number;
  bytes: number;
  /** True when the handler asked to stop, or the structure broke. */
  stopped: boolean;
  broken?: BrokenArray;
}


const enum State {
  /** Before the opening bracket. */
  Start,
  /** After `[`: an element or `]`. */
  First,
  /** After `,`: an element. */
  Next,
  /** Inside an element. */
  In,
  /** After an element: `,` or `]`. */
  After,
  /** After the closing `]`: only white space. */
  Done,
}

function printable(c: number): string {
  return c >= 0x21 && c < 0x7f ? ` ${JSON.stringify(String.fromCharCode(c))}` : '';
}

/** An element's text, or undefined when it is not UTF-8 or holds NUL bytes. */
function decodeElement(b: Buffer): string | undefined {
  if (isAscii(b)) return b.indexOf(0) === -1 ? b.toString('latin1') : undefined;
  if (!isUtf8(b) || b.indexOf(0) !== -1) return undefined;
  return b.toString('utf8');
}

/** The chunks with a leading UTF-8 BOM taken off (held until three bytes are in, so a BOM cut across chunks is seen). */
export async function* withoutBom(chunks: AsyncIterable<Buffer>, onBom: () => void): AsyncGenerator<Buffer> {
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const c of chunks) {
    if (head === undefined) {
      yield c;
      continue;
    }
    head = head.length === 0 ? c : Buffer.concat([head, c]);
    if (head.length < 3) continue;
    const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
    if (bom) onBom();
    yield bom ? head.subarray(3) : head;
    head = undefined;
  }
  if (head !== undefined && head.length > 0) yield head;
}

/** The chunks of an iterator that a `for await` leaves open when it ends early (the caller reads on). */
function leftOpen(chunks: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  return {
    [Symbol.asyncIterator]: () => {
      const it = chunks[Symbol.asyncIterator]();
      return { next: () => it.next() };
    },
  };
}

/**
 * An array inside a larger document (a member of a top-level object, as the `results` of a
 * CloudWatch Logs Insights export): where it starts in the file, and the splitting stops after
 * its `]`, handing back the rest (ElementStats.after) instead of calling it trailing content.
 * The chunks' iterator is not closed then: the caller reads on from it.
 */
export interface EmbeddedArray {
  embedded: true;
  /** Line and column (1-based) of the `[`. */
  line: number;
  column: number;
  /** The text of the line before the `[` (for code frames), as far as it is known. */
  lineTail?: string;
}

/**
 * Splits a JSON array read as chunks of bytes (a UTF-8 BOM is skipped). The input must
 * start, after white space, with `[`; anything else is reported as broken at once.
 */
export async function splitArray(chunks: AsyncIterable<Buffer>, handler: ElementHandler, maxElementBytes = MAX_ELEMENT_BYTES, embedded?: EmbeddedArray): Promise<ElementStats> {
  const splitter = new ArraySplitter(handler, maxElementBytes, embedded);
  const source = embedded ? leftOpen(chunks) : withoutBom(chunks, () => splitter.countBom());
  for await (const buf of source) {
    if (buf.length === 0) continue;
    const ended = await splitter.split(buf);
    if (ended) return ended;
  }
  return splitter.end();
}

/**
 * The bytes of the element being read: a slice of the chunk it lies in, or pieces carried
 * over from earlier chunks, dropped (and only counted) once they pass the cap.
 */
class ElementBytes {
  /** Where the element starts in the current chunk (-1: in an earlier one). */
  startInChunk = -1;
  /** Its bytes so far. */
  length = 0;
  tooLarge = false;
  private parts: Buffer[] = [];

  constructor(
    private readonly cap: number,
    /** Moved over the bytes that are dropped (over the cap), which are never decoded. */
    private readonly pos: TextPosition,
  ) {}

  start(i: number): void {
    this.startInChunk = i;
    this.parts = [];
    this.length = 0;
    this.tooLarge = false;
  }

  /** The element runs past this chunk (it may have started at its last byte). */
  carryRest(buf: Buffer): void {
    this.carry(this.startInChunk >= 0 ? buf.subarray(this.startInChunk) : buf);
    this.startInChunk = -1;
  }

  /** The element's bytes up to `end` of `buf`, or undefined when it is over the cap. */
  upTo(buf: Buffer, end: number): Buffer | undefined {
    const from = this.startInChunk;
    if (from >= 0) {
      const len = end - from;
      if (len > this.cap) {
        this.pos.passBytes(buf.subarray(from, end));
        this.length = len;
        this.tooLarge = true;
        return undefined;
      }
      return buf.subarray(from, end);
    }
    this.carry(buf.subarray(0, end));
    if (this.tooLarge) return undefined;
    const joined = Buffer.concat(this.parts, this.length);
    this.parts = [];
    return joined;
  }

  /** What was carried of an element the input ended in (not over the cap). */
  soFar(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }

  private carry(b: Buffer): void {
    this.length += b.length;
    if (this.tooLarge) {
      this.pos.passBytes(b);
      return;
    }
    if (this.length > this.cap) {
      this.tooLarge = true;
      for (const p of this.parts) this.pos.passBytes(p);
      this.pos.passBytes(b);
      this.parts = [];
      return;
    }
    this.parts.push(b);
  }
}

type Handled = void | typeof STOP | Promise<void | typeof STOP>;

/** One split: the array's grammar (State) between the elements, and each element handed on. */
class ArraySplitter {
  private state = State.Start;
  private bytes = 0;
  private lastByte = -1;
  private elements = 0;
  /** Position of the next byte to look at. */
  private readonly pos: TextPosition;
  private readonly scan = new JsonScanner();
  private readonly element: ElementBytes;
  private at = new ElementStart(0, 1, 1, '');
  /** What the check of the whole current chunk found: its elements need no check of their own. */
  private chunkText: 'ascii' | 'utf8' | 'unknown' = 'unknown';
  /**
   * The chunk is ASCII without a CR: an element inside it ends lines only at LFs, which the
   * scan counts (a CR would need the look-ahead of lineBreaks).
   */
  private lineBreaksKnown = false;
  private broken: BrokenArray | undefined;

  constructor(
    private readonly handler: ElementHandler,
    private readonly maxElementBytes: number,
    private readonly embedded: EmbeddedArray | undefined,
  ) {
    // The tail is at most the last element's last line and what followed it (not every element
    // of a one-line array), kept uncut until needed.
    this.pos = embedded ? new TextPosition(embedded.line, embedded.column - 1, embedded.lineTail?.slice(-PREFIX_CHARS) ?? '') : new TextPosition();
    this.element = new ElementBytes(maxElementBytes, this.pos);
  }

  countBom(): void {
    this.bytes += 3;
  }

  /** Reads one chunk; the stats when the split ended in it. */
  async split(buf: Buffer): Promise<ElementStats | undefined> {
    this.bytes += buf.length;
    const previousChunkEnd = this.lastByte;
    this.lastByte = buf[buf.length - 1]!;
    this.pos.nextChunk();
    // One check for the chunk instead of one per element (a chunk cut inside a multi-byte
    // character is 'unknown': its elements are then checked one by one).
    this.chunkText = buf.indexOf(0) !== -1 ? 'unknown' : isAscii(buf) ? 'ascii' : isUtf8(buf) ? 'utf8' : 'unknown';
    this.lineBreaksKnown = this.chunkText === 'ascii' && buf.indexOf(CR) === -1;
    const n = buf.length;
    let i = 0;
    while (i < n) {
      if (this.state === State.In) {
        const end = this.scan.skip(buf, i);
        if (end === NEED_MORE) break; // the element runs past this chunk
        if (end === FAULT) return this.breakAt(buf, this.scan.faultAt, this.scan.fault);
        i = end;
        const r = this.emit(buf, end);
        if (r === STOP || (r !== undefined && (await r) === STOP)) return this.stats(true);
        continue;
      }
      const c = buf[i]!;
      if (c === NL || c === CR) this.pos.lineBreak(c, i, i > 0 ? buf[i - 1]! : previousChunkEnd);
      else if (c === SPACE || c === TAB) this.pos.column++;
      else {
        const ended = this.structure(buf, i, c);
        if (ended) return ended;
      }
      i++;
    }
    if (this.state === State.In) this.element.carryRest(buf);
    else this.pos.takeTail(buf, n);
    return undefined;
  }

  /** The input ended. */
  async end(): Promise<ElementStats> {
    const pos = this.pos;
    if (this.state === State.In && this.scan.scalar) {
      // A bare scalar can end with the input; the missing "]" is reported after it.
      const r = this.emit(Buffer.alloc(0), 0);
      if (r === STOP || (r !== undefined && (await r) === STOP)) return this.stats(true);
    }
    if (this.state === State.Done) return this.embedded ? { ...this.stats(false), after: { rest: Buffer.alloc(0), line: pos.line, column: pos.column + 1 } } : this.stats(false);
    if (this.state === State.Start) return this.stats(false); // blank input: nothing to split
    const message = this.state === State.In ? this.scan.unclosed : 'expected "]" — the array is not closed (truncated?)';
    if (this.state === State.In && !this.element.tooLarge) {
      const text = this.element.soFar().toString('utf8');
      pos.passText(text);
      this.broken = { line: pos.line, column: pos.column + 1, message, atEnd: true, element: { text, at: this.at } };
    } else this.broken = { line: pos.line, column: pos.column + 1, message, atEnd: true, text: pos.tail, textColumn: pos.column + 1 - pos.tail.length };
    return this.stats(true);
  }

  /** A byte of the array's own structure at `i` (not white space, not inside an element); the stats when the split ends there. */
  private structure(buf: Buffer, i: number, c: number): ElementStats | undefined {
    switch (this.state) {
      case State.Start:
        if (c !== OPEN_BRACKET) return this.breakAt(buf, i, 'expected a JSON array');
        this.state = State.First;
        break;
      case State.After:
        if (c === COMMA) this.state = State.Next;
        else if (c === CLOSE_BRACKET) this.state = State.Done;
        else return this.breakAt(buf, i, `expected "," or "]" after an array element, found${printable(c) || ' another character'}`);
        break;
      case State.Done:
        if (this.embedded) return { ...this.stats(false), after: { rest: buf.subarray(i), line: this.pos.line, column: this.pos.column + 1 } };
        return this.breakAt(buf, i, 'unexpected content after the JSON value');
      default: // First or Next: an element starts here
        if (c === CLOSE_BRACKET && this.state === State.First) {
          this.state = State.Done;
          break;
        }
        if (c === CLOSE_BRACKET || c === COMMA || c === CLOSE_BRACE || c === COLON) {
          return this.breakAt(buf, i, this.state === State.Next && c === CLOSE_BRACKET ? 'expected a value (a trailing comma before "]")' : `expected a value${printable(c)}`);
        }
        this.at = new ElementStart(this.elements, this.pos.line, this.pos.column + 1, this.pos.takeTail(buf, i));
        this.element.start(i);
        this.scan.begin(c);
        this.state = State.In;
        return undefined; // the element's text moves the position
    }
    this.pos.column++;
    return undefined;
  }

  /** Hands on the element ending at `end`; afterwards the state is After. */
  private emit(buf: Buffer, end: number): Handled {
    const from = this.element.startInChunk;
    const pos = this.pos;
    this.elements++;
    this.state = State.After;
    pos.tailFrom = end;
    this.at.members = this.scan.colons;
    const whole = from >= 0 && end - from <= this.maxElementBytes;
    if (whole && this.lineBreaksKnown) {
      // Inside an ASCII chunk without CRs: the scan counted the element's line ends (LFs),
      // and byte offsets are the text's offsets, so its text is not searched again.
      const text = buf.toString('latin1', from, end);
      pos.passCountedText(text, from, this.scan.breaks, this.scan.lastBreakEnd);
      return this.handler.element(text, this.at);
    }
    if (whole && this.chunkText !== 'unknown') {
      // Inside a chunk already checked: decode without looking at the bytes again.
      const text = buf.toString(this.chunkText === 'ascii' ? 'latin1' : 'utf8', from, end);
      pos.passText(text);
      return this.handler.element(text, this.at);
    }
    const b = this.element.upTo(buf, end);
    this.element.startInChunk = -1;
    if (b === undefined) {
      pos.tail = '';
      return this.handler.skipped('too-large', this.at, { bytes: this.element.length });
    }
    const text = decodeElement(b);
    if (text === undefined) {
      const raw = b.toString('utf8');
      pos.passText(raw);
      return this.handler.skipped('encoding', this.at, { bytes: b.length, text: raw });
    }
    pos.passText(text);
    return this.handler.element(text, this.at);
  }

  /** The structure is broken at byte `i` of `buf`: where (with the element so far, if any), and the stats. */
  private breakAt(buf: Buffer, i: number, message: string): ElementStats {
    const pos = this.pos;
    if (this.state !== State.In) {
      const tail = pos.takeTail(buf, i);
      const rest = buf.toString('utf8', i, Math.min(buf.length, i + PREFIX_CHARS)).split(/[\r\n]/, 1)[0]!;
      this.broken = { line: pos.line, column: pos.column + 1, message, atEnd: false, text: tail + rest, textColumn: pos.column + 1 - tail.length };
      return this.stats(true);
    }
    const b = this.element.upTo(buf, Math.min(i + 1, buf.length));
    if (b === undefined) {
      // Over the cap: line and column were counted through the faulty byte.
      this.broken = { line: pos.line, column: pos.column, message, atEnd: false };
      return this.stats(true);
    }
    // The fault is the last character of the element's text so far.
    const text = b.toString('utf8');
    const last = text.length - 1;
    const { count: lines, lastEnd: lineStart } = lineBreaks(text.slice(0, last));
    const at = this.at;
    this.broken = { line: at.line + lines, column: lines === 0 ? at.column + last : last - lineStart + 1, message, atEnd: false, element: { text, at } };
    return this.stats(true);
  }

  private stats(stopped: boolean): ElementStats {
    return {
      elements: this.elements,
      lines: this.bytes === 0 ? 0 : this.pos.line - (this.lastByte === NL || this.lastByte === CR ? 1 : 0),
      bytes: this.bytes,
      stopped: stopped || this.broken !== undefined,
      broken: this.broken,
    };
  }
}
