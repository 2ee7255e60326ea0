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
 * Only the structure is scanned here (brackets, strings, commas); the elements' contents
 * are checked by JSON.parse, and a fault inside an element is located by the caller.
 *
 * Lines end at LF, CRLF or a lone CR (as src/read/lines.ts counts JSONL lines), columns are
 * UTF-16 code units from the line's start, as the Locator counts them.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { MAX_LINE_BYTES, STOP } from './lines.js';

/** Largest element passed on; a bigger one is reported and skipped (JSONL's line cap). */
const MAX_ELEMENT_BYTES = MAX_LINE_BYTES;

/** How much of an element's first line before it is kept, for code frames. */
export const PREFIX_CHARS = 240;

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

const NL = 10;
const CR = 13;
const SPACE = 32;
/** Runs of spaces by length: the indentation before an element of a pretty-printed array. */
const SPACES = Array.from({ length: 17 }, (_, k) => ' '.repeat(k));
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/** Bytes that end a bare scalar (number, true, false, null, or garbage JSON.parse will name). */
function endsScalar(c: number): boolean {
  return c === COMMA || c === CLOSE_BRACKET || c === SPACE || c === NL || c === CR || c === TAB || c === CLOSE_BRACE || c === COLON || c === QUOTE || c === OPEN_BRACE || c === OPEN_BRACKET;
}

/**
 * The line ends in a text (LF, CRLF, lone CR) and where the text after the last one starts
 * (0 when there is none). Texts without a CR, nearly all of them, take one indexOf per line.
 */
function lineBreaks(text: string): { count: number; lastEnd: number } {
  let count = 0;
  let lastEnd = 0;
  if (text.indexOf('\r') === -1) {
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', nl + 1)) {
      count++;
      lastEnd = nl + 1;
    }
    return { count, lastEnd };
  }
  for (const m of text.matchAll(/\r\n?|\n/g)) {
    count++;
    lastEnd = m.index + m[0].length;
  }
  return { count, lastEnd };
}

/** The text between two elements (white space and a comma), without a call into Buffer for the usual ones. */
function betweenText(buf: Buffer, from: number, to: number): string {
  if (to - from === 1) return String.fromCharCode(buf[from]!);
  if (to - from < SPACES.length) {
    let k = from;
    while (k < to && buf[k] === SPACE) k++;
    if (k === to) return SPACES[to - from]!;
  }
  return buf.toString('latin1', from, to);
}

/** UTF-16 length of some bytes (exact unless a multi-byte character is cut at the ends). */
function textLength(b: Buffer): number {
  return isAscii(b) ? b.length : b.toString('utf8').length;
}

function printable(c: number): string {
  return c >= 0x21 && c < 0x7f ? ` ${JSON.stringify(String.fromCharCode(c))}` : '';
}

const NOT_CLOSED: Record<number, string> = {
  [OPEN_BRACE]: 'expected "}" — the object is not closed (truncated?)',
  [OPEN_BRACKET]: 'expected "]" — the array is not closed (truncated?)',
};

/** Where the scan of an element stands between chunks. */
class ScanState {
  inString = false;
  escaped = false;
  /** A bare scalar at depth 0 (number, literal, or garbage for JSON.parse to name). */
  scalar = false;
  depth = 0;
  /** Colons outside strings so far (ElementStart.members). */
  colons = 0;
  /** LFs so far in the current chunk, and where the text after the last one starts (see lineBreaksKnown). */
  breaks = 0;
  lastBreakEnd = 0;
  /** The open bracket at each depth. */
  opened: number[] = [];
  /** Set when scanElement returns FAULT. */
  faultAt = 0;
  fault = '';
}

const FAULT = -2;

/**
 * What a byte is to scanElement, one table look-up instead of a chain of comparisons per
 * byte: outside strings, 0 for bytes it passes over, else QUOTE, OPEN_BRACE (either opening
 * bracket), CLOSE_BRACE (either closing one), COLON or NL; inside strings, 0, QUOTE,
 * BACKSLASH or NL.
 */
const OUTSIDE_STRING = new Uint8Array(256);
OUTSIDE_STRING[QUOTE] = QUOTE;
OUTSIDE_STRING[OPEN_BRACE] = OUTSIDE_STRING[OPEN_BRACKET] = OPEN_BRACE;
OUTSIDE_STRING[CLOSE_BRACE] = OUTSIDE_STRING[CLOSE_BRACKET] = CLOSE_BRACE;
OUTSIDE_STRING[COLON] = COLON;
OUTSIDE_STRING[NL] = NL;
const IN_STRING = new Uint8Array(256);
IN_STRING[QUOTE] = QUOTE;
IN_STRING[BACKSLASH] = BACKSLASH;
IN_STRING[NL] = NL;

/**
 * Scans an element's bytes from `i`: returns the index just after its end, -1 when the
 * chunk ends first (the state is kept for the next one), or FAULT (the structure is broken
 * at `s.faultAt`). A function of its own, with the state in locals while it runs: the hot
 * loop of the reader, and variables a closure shares are slower to read and write.
 */
function scanElement(buf: Buffer, i: number, s: ScanState): number {
  const n = buf.length;
  const opened = s.opened;
  let inString = s.inString;
  let escaped = s.escaped;
  let depth = s.depth;
  let colons = s.colons;
  let breaks = s.breaks;
  let lastBreakEnd = s.lastBreakEnd;
  let end = -1;
  if (s.scalar) {
    for (; i < n; i++) {
      if (endsScalar(buf[i]!)) {
        end = i;
        break;
      }
    }
    return end;
  }
  while (i < n) {
    if (inString) {
      if (escaped) {
        // The escape's backslash ended the previous chunk.
        escaped = false;
        if (buf[i] === NL) {
          breaks++;
          lastBreakEnd = i + 1;
        }
        i++;
      }
      // A plain loop: strings in payloads are short, and a byte costs less here than a
      // call to indexOf does.
      for (; i < n; i++) {
        const k = IN_STRING[buf[i]!]!;
        if (k === 0) continue;
        if (k === QUOTE) break;
        if (k === BACKSLASH) {
          if (i + 1 === n) escaped = true;
          else if (buf[++i] === NL) {
            // An escaped line break: JSON.parse refuses it, but it still ends a line.
            breaks++;
            lastBreakEnd = i + 1;
          }
          continue;
        }
        s.faultAt = i;
        s.fault = 'unterminated string (a line break inside a string)';
        return FAULT;
      }
      if (i >= n) break; // the string goes on in the next chunk
      inString = false;
      i++;
      if (depth === 0) {
        end = i;
        break;
      }
      continue;
    }
    const c = buf[i]!;
    const k = OUTSIDE_STRING[c]!;
    if (k === 0) {
      i++;
      continue;
    }
    if (k === QUOTE) inString = true;
    else if (k === OPEN_BRACE) opened[depth++] = c;
    else if (k === CLOSE_BRACE) {
      const open = opened[depth - 1]!;
      if (open !== (c === CLOSE_BRACE ? OPEN_BRACE : OPEN_BRACKET)) {
        s.faultAt = i;
        s.fault = NOT_CLOSED[open]!;
        return FAULT;
      }
      if (--depth === 0) {
        end = i + 1;
        break;
      }
    } else if (k === COLON) colons++;
    else {
      breaks++;
      lastBreakEnd = i + 1;
    }
    i++;
  }
  s.inString = inString;
  s.escaped = escaped;
  s.depth = depth;
  s.colons = colons;
  s.breaks = breaks;
  s.lastBreakEnd = lastBreakEnd;
  return end;
}

/** The chunks with a leading UTF-8 BOM taken off (held until three bytes are in, so a BOM cut across chunks is seen). */
async function* withoutBom(chunks: AsyncIterable<Buffer>, onBom: () => void): AsyncGenerator<Buffer> {
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
  let state = State.Start;
  let bytes = 0;
  let lastByte = -1;
  let elements = 0;
  // Position of the next byte to look at: line, and UTF-16 units since the line's start.
  let line = embedded?.line ?? 1;
  let col = embedded ? embedded.column - 1 : 0;
  // The end of the current line's text before the next byte is `lineTail` plus the bytes of
  // the current chunk from `tailFrom`. lineTail is at most the last element's last line and
  // what followed it (not every element of a one-line array), kept uncut until needed.
  let lineTail = embedded?.lineTail?.slice(-PREFIX_CHARS) ?? '';
  let tailFrom = 0;
  // What the check of the whole current chunk found: its elements need no check of their own.
  let chunkText: 'ascii' | 'utf8' | 'unknown' = 'unknown';
  // The chunk is ASCII without a CR: an element inside it ends lines only at LFs, which the
  // scan counts (a CR would need the look-ahead of lineBreaks).
  let lineBreaksKnown = false;

  // The element being read.
  let at = new ElementStart(0, 1, 1, '');
  let parts: Buffer[] = [];
  let partsLen = 0;
  let elementStartInChunk = -1; // where the current element starts in this chunk (-1: in an earlier one)
  let tooLarge = false;
  const scan = new ScanState();

  const takeTail = (buf: Buffer, to: number): void => {
    if (to > tailFrom) {
      lineTail += betweenText(buf, tailFrom, to);
      if (lineTail.length > 4 * PREFIX_CHARS) lineTail = lineTail.slice(-PREFIX_CHARS); // a flood of spaces
    }
    tailFrom = to;
  };

  /** Line and column after some text of an element. */
  const advanceText = (text: string): void => {
    const { count, lastEnd } = lineBreaks(text);
    if (count === 0) {
      col += text.length;
      lineTail = text;
      return;
    }
    line += count;
    col = text.length - lastEnd;
    lineTail = text.slice(lastEnd);
  };

  /** Line and column after bytes of an element that are not decoded (one over the cap). */
  const advanceBytes = (b: Buffer): void => {
    // Line ends are ASCII bytes, so the bytes can be counted as latin1 text. (A CRLF split
    // between two pieces of an element over the cap counts twice: its position is approximate.)
    const { count, lastEnd } = b.indexOf(CR) === -1 && b.indexOf(NL) === -1 ? { count: 0, lastEnd: 0 } : lineBreaks(b.toString('latin1'));
    if (count === 0) {
      col += textLength(b);
      return;
    }
    line += count;
    col = textLength(b.subarray(lastEnd));
    lineTail = '';
  };

  const startElement = (buf: Buffer, i: number): void => {
    takeTail(buf, i);
    at = new ElementStart(elements, line, col + 1, lineTail);
    parts = [];
    partsLen = 0;
    tooLarge = false;
    scan.depth = 0;
    scan.inString = false;
    scan.escaped = false;
    scan.scalar = false;
    scan.colons = 0;
    scan.breaks = 0;
  };

  /** Keeps an element's bytes that run past the chunk, unless it is over the cap. */
  const carry = (b: Buffer): void => {
    if (tooLarge) {
      advanceBytes(b);
      partsLen += b.length;
      return;
    }
    partsLen += b.length;
    if (partsLen > maxElementBytes) {
      tooLarge = true;
      for (const p of parts) advanceBytes(p);
      advanceBytes(b);
      parts = [];
      return;
    }
    parts.push(b);
  };

  /** The current element's bytes (it ends at `end` in `buf`), or undefined when over the cap. */
  const elementBytes = (buf: Buffer, end: number): Buffer | undefined => {
    if (elementStartInChunk >= 0) {
      const len = end - elementStartInChunk;
      if (len > maxElementBytes) {
        advanceBytes(buf.subarray(elementStartInChunk, end));
        partsLen = len;
        tooLarge = true;
        return undefined;
      }
      return buf.subarray(elementStartInChunk, end);
    }
    carry(buf.subarray(0, end));
    if (tooLarge) return undefined;
    const joined = Buffer.concat(parts, partsLen);
    parts = [];
    return joined;
  };

  const decodeElement = (b: Buffer): string | undefined => {
    if (isAscii(b)) return b.indexOf(0) === -1 ? b.toString('latin1') : undefined;
    if (!isUtf8(b) || b.indexOf(0) !== -1) return undefined;
    return b.toString('utf8');
  };

  /** Hands on the element ending at `end`; afterwards the state is After. */
  const emit = (buf: Buffer, end: number): void | typeof STOP | Promise<void | typeof STOP> => {
    const from = elementStartInChunk;
    elements++;
    state = State.After;
    tailFrom = end;
    elementStartInChunk = -1;
    at.members = scan.colons;
    if (from >= 0 && lineBreaksKnown && end - from <= maxElementBytes) {
      // Inside an ASCII chunk without CRs: the scan counted the element's line ends (LFs),
      // and byte offsets are the text's offsets, so its text is not searched again.
      const text = buf.toString('latin1', from, end);
      if (scan.breaks === 0) {
        col += text.length;
        lineTail = text;
      } else {
        line += scan.breaks;
        col = end - scan.lastBreakEnd;
        lineTail = text.slice(scan.lastBreakEnd - from);
      }
      return handler.element(text, at);
    }
    if (from >= 0 && chunkText !== 'unknown' && end - from <= maxElementBytes) {
      // Inside a chunk already checked: decode without looking at the bytes again.
      const text = buf.toString(chunkText === 'ascii' ? 'latin1' : 'utf8', from, end);
      advanceText(text);
      return handler.element(text, at);
    }
    elementStartInChunk = from;
    const b = elementBytes(buf, end);
    elementStartInChunk = -1;
    if (b === undefined) {
      lineTail = '';
      return handler.skipped('too-large', at, { bytes: partsLen });
    }
    const text = decodeElement(b);
    if (text === undefined) {
      const raw = b.toString('utf8');
      advanceText(raw);
      return handler.skipped('encoding', at, { bytes: b.length, text: raw });
    }
    advanceText(text);
    return handler.element(text, at);
  };

  let broken: BrokenArray | undefined;

  /** The structure is broken at byte `i` of `buf`: note where (with the element so far, if any). */
  const breakAt = (buf: Buffer, i: number, message: string): void => {
    if (state !== State.In) {
      takeTail(buf, i);
      const rest = buf.toString('utf8', i, Math.min(buf.length, i + PREFIX_CHARS)).split(/[\r\n]/, 1)[0]!;
      broken = { line, column: col + 1, message, atEnd: false, text: lineTail + rest, textColumn: col + 1 - lineTail.length };
      return;
    }
    const b = elementBytes(buf, Math.min(i + 1, buf.length));
    if (b === undefined) {
      // Over the cap: line and column were counted through the faulty byte.
      broken = { line, column: col, message, atEnd: false };
      return;
    }
    // The fault is the last character of the element's text so far.
    const text = b.toString('utf8');
    const last = text.length - 1;
    const { count: lines, lastEnd: lineStart } = lineBreaks(text.slice(0, last));
    broken = { line: at.line + lines, column: lines === 0 ? at.column + last : last - lineStart + 1, message, atEnd: false, element: { text, at } };
  };

  const stats = (stopped: boolean): ElementStats => ({
    elements,
    lines: bytes === 0 ? 0 : line - (lastByte === NL || lastByte === CR ? 1 : 0),
    bytes,
    stopped: stopped || broken !== undefined,
    broken,
  });

  // Embedded: read on from the caller's iterator without closing it when the array ends.
  const source: AsyncIterable<Buffer> = embedded ? { [Symbol.asyncIterator]: () => { const it = chunks[Symbol.asyncIterator](); return { next: () => it.next() }; } } : withoutBom(chunks, () => (bytes += 3));
  for await (const buf of source) {
    if (buf.length === 0) continue;
    bytes += buf.length;
    const previousChunkEnd = lastByte;
    lastByte = buf[buf.length - 1]!;
    const n = buf.length;
    let i = 0;
    tailFrom = 0;
    // One check for the chunk instead of one per element (a chunk cut inside a multi-byte
    // character is 'unknown': its elements are then checked one by one).
    chunkText = buf.indexOf(0) !== -1 ? 'unknown' : isAscii(buf) ? 'ascii' : isUtf8(buf) ? 'utf8' : 'unknown';
    lineBreaksKnown = chunkText === 'ascii' && buf.indexOf(CR) === -1;
    while (i < n) {
      if (state === State.In) {
        const end = scanElement(buf, i, scan);
        if (end === -1) break; // the element runs past this chunk
        if (end === FAULT) {
          breakAt(buf, scan.faultAt, scan.fault);
          return stats(true);
        }
        i = end;
        const r = emit(buf, end);
        if (r === STOP) return stats(true);
        if (r !== undefined && (await r) === STOP) return stats(true);
        continue;
      }
      const c = buf[i]!;
      if (c === NL || c === CR) {
        // The LF of a CRLF ends no second line (its CR may be the last byte of the previous chunk).
        if (c === CR || (i > 0 ? buf[i - 1] : previousChunkEnd) !== CR) {
          line++;
          col = 0;
        }
        lineTail = '';
        tailFrom = i + 1;
        i++;
        continue;
      }
      if (c === SPACE || c === TAB) {
        col++;
        i++;
        continue;
      }
      switch (state as State) {
        case State.Start:
          if (c !== OPEN_BRACKET) {
            breakAt(buf, i, 'expected a JSON array');
            return stats(true);
          }
          state = State.First;
          col++;
          i++;
          continue;
        case State.After:
          if (c === COMMA) state = State.Next;
          else if (c === CLOSE_BRACKET) state = State.Done;
          else {
            breakAt(buf, i, `expected "," or "]" after an array element, found${printable(c) || ' another character'}`);
            return stats(true);
          }
          col++;
          i++;
          continue;
        case State.Done:
          if (embedded) return { ...stats(false), after: { rest: buf.subarray(i), line, column: col + 1 } };
          breakAt(buf, i, 'unexpected content after the JSON value');
          return stats(true);
        default: // First or Next: an element starts here
          if (c === CLOSE_BRACKET && state === State.First) {
            state = State.Done;
            col++;
            i++;
            continue;
          }
          if (c === CLOSE_BRACKET || c === COMMA || c === CLOSE_BRACE || c === COLON) {
            breakAt(buf, i, state === State.Next && c === CLOSE_BRACKET ? 'expected a value (a trailing comma before "]")' : `expected a value${printable(c)}`);
            return stats(true);
          }
          startElement(buf, i);
          elementStartInChunk = i;
          state = State.In;
          if (c === OPEN_BRACE || c === OPEN_BRACKET) {
            scan.opened[0] = c;
            scan.depth = 1;
          } else if (c === QUOTE) scan.inString = true;
          else scan.scalar = true;
          i++;
          continue;
      }
    }
    if (state === State.In) {
      // The element runs past this chunk (it may have started at its last byte).
      carry(elementStartInChunk >= 0 ? buf.subarray(elementStartInChunk) : buf);
      elementStartInChunk = -1;
    } else takeTail(buf, n);
  }
  // The input ended.
  if (state === State.In && scan.scalar) {
    // A bare scalar can end with the input; the missing "]" is reported after it.
    const r = emit(Buffer.alloc(0), 0);
    if (r === STOP || (r !== undefined && (await r) === STOP)) return stats(true);
  }
  if (state === State.Done) return embedded ? { ...stats(false), after: { rest: Buffer.alloc(0), line, column: col + 1 } } : stats(false);
  if (state === State.Start) return stats(false); // blank input: nothing to split
  const message =
    state === State.In ? (scan.inString ? 'unterminated string' : NOT_CLOSED[scan.opened[scan.depth - 1]!]!) : 'expected "]" — the array is not closed (truncated?)';
  if (state === State.In && !tooLarge) {
    const text = Buffer.concat(parts, partsLen).toString('utf8');
    advanceText(text);
    broken = { line, column: col + 1, message, atEnd: true, element: { text, at } };
  } else broken = { line, column: col + 1, message, atEnd: true, text: lineTail, textColumn: col + 1 - lineTail.length };
  return stats(true);
}
