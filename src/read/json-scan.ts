/**
 * The byte walk over JSON text that the streaming readers share: the JSON array splitter
 * (elements.ts) and the reader of an object's array member (records.ts, readObjectMember).
 * Both read chunks of bytes and need to know where a value ends — through strings, escapes and
 * nesting, across chunk boundaries — and where each byte stands (line, column, the text of its
 * line before it), without building the values: JSON.parse does that on a value's text.
 *
 * - JsonScanner: the structure of one value being skipped (in a string, after a backslash,
 *   how deep and in which brackets, a bare scalar), resumable from one chunk to the next.
 * - TextPosition: the line and column of the next byte and the text of its line before it.
 *
 * Lines end at LF, CRLF or a lone CR (as src/read/lines.ts counts JSONL lines); columns are
 * UTF-16 code units from the line's start, as the Locator counts them.
 */
import { isAscii } from 'node:buffer';

export const NL = 10;
export const CR = 13;
export const SPACE = 32;
export const TAB = 9;
export const QUOTE = 34;
const BACKSLASH = 92;
export const COMMA = 44;
export const COLON = 58;
export const OPEN_BRACKET = 91;
export const CLOSE_BRACKET = 93;
export const OPEN_BRACE = 123;
export const CLOSE_BRACE = 125;

/** JsonScanner.skip's answers other than the index after the value: the chunk ended inside it, or the structure broke. */
export const NEED_MORE = -1;
export const FAULT = -2;

/** How much of a line before a position is kept, for code frames. */
export const PREFIX_CHARS = 240;

/** Bytes that end a bare scalar (number, true, false, null, or garbage JSON.parse will name). */
function endsScalar(c: number): boolean {
  return c === COMMA || c === CLOSE_BRACKET || c === SPACE || c === NL || c === CR || c === TAB || c === CLOSE_BRACE || c === COLON || c === QUOTE || c === OPEN_BRACE || c === OPEN_BRACKET;
}

const NOT_CLOSED: Record<number, string> = {
  [OPEN_BRACE]: 'expected "}" — the object is not closed (truncated?)',
  [OPEN_BRACKET]: 'expected "]" — the array is not closed (truncated?)',
};

/**
 * What a byte is to JsonScanner.skip, one table look-up instead of a chain of comparisons per
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
 * The structure of one JSON value read byte by byte: `begin` at its first byte, then `skip`
 * over each chunk until it answers the index just after the value. Only the structure is
 * followed (strings, escapes, brackets); the contents are JSON.parse's to check.
 */
export class JsonScanner {
  inString = false;
  /** The last byte of the previous chunk was a backslash inside a string. */
  escaped = false;
  /** A bare scalar (number, literal, or garbage for JSON.parse to name): it ends at the next structural byte. */
  scalar = false;
  depth = 0;
  /** Colons outside strings so far: the members of the objects in the value, duplicates included. */
  colons = 0;
  /** LFs so far (since `begin`) and where the text after the last one starts, as offsets in the current chunk. */
  breaks = 0;
  lastBreakEnd = 0;
  /** The open bracket at each depth. */
  readonly opened: number[] = [];
  /** Where and why the structure broke, when skip answered FAULT. */
  faultAt = 0;
  fault = '';

  /**
   * @param lenient a line break inside a string and a closing bracket of the wrong kind are not
   *   faults (readObjectMember checks the document with JSON.parse afterwards instead).
   */
  constructor(private readonly lenient = false) {}

  /** A value starts with byte `c` (not white space). */
  begin(c: number): void {
    this.inString = false;
    this.escaped = false;
    this.scalar = false;
    this.depth = 0;
    this.colons = 0;
    this.breaks = 0;
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      this.opened[0] = c;
      this.depth = 1;
    } else if (c === QUOTE) this.inString = true;
    else this.scalar = true;
  }

  /** Why the input ended inside the value. */
  get unclosed(): string {
    return this.inString ? 'unterminated string' : NOT_CLOSED[this.opened[this.depth - 1]!]!;
  }

  /**
   * Scans the value's bytes from `i` (after its first byte): returns the index just after its
   * end, NEED_MORE when the chunk ends first (the state is kept for the next one), or FAULT
   * (the structure is broken at `faultAt`). The state lives in locals while it runs: this is
   * the hot loop of the readers, and fields are slower to read and write.
   */
  skip(buf: Buffer, i: number): number {
    const n = buf.length;
    if (this.scalar) {
      for (; i < n; i++) if (endsScalar(buf[i]!)) return i;
      return NEED_MORE;
    }
    const opened = this.opened;
    let inString = this.inString;
    let escaped = this.escaped;
    let depth = this.depth;
    let colons = this.colons;
    let breaks = this.breaks;
    let lastBreakEnd = this.lastBreakEnd;
    let end = NEED_MORE;
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
          if (!this.lenient) return this.broke(i, 'unterminated string (a line break inside a string)');
          breaks++;
          lastBreakEnd = i + 1;
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
        if (open !== (c === CLOSE_BRACE ? OPEN_BRACE : OPEN_BRACKET) && !this.lenient) return this.broke(i, NOT_CLOSED[open]!);
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
    this.inString = inString;
    this.escaped = escaped;
    this.depth = depth;
    this.colons = colons;
    this.breaks = breaks;
    this.lastBreakEnd = lastBreakEnd;
    return end;
  }

  private broke(at: number, why: string): number {
    this.faultAt = at;
    this.fault = why;
    return FAULT;
  }
}

/**
 * The line ends in a text (LF, CRLF, lone CR) and where the text after the last one starts
 * (0 when there is none). Texts without a CR, nearly all of them, take one indexOf per line.
 */
export function lineBreaks(text: string): { count: number; lastEnd: number } {
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

/** UTF-16 length of some UTF-8 bytes, exact also when a character is cut at either end (its pieces count once). */
function utf16Length(b: Buffer): number {
  if (isAscii(b)) return b.length;
  let units = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if ((c & 0xc0) !== 0x80) units += c >= 0xf0 ? 2 : 1;
  }
  return units;
}

/** Runs of spaces by length: the indentation before an element of a pretty-printed array. */
const SPACES = Array.from({ length: 17 }, (_, k) => ' '.repeat(k));

/** Short texts between values (white space, a comma), without a call into Buffer for the usual ones. */
function shortText(buf: Buffer, from: number, to: number): string {
  if (to - from === 1 && buf[from]! < 0x80) return String.fromCharCode(buf[from]!);
  if (to - from < SPACES.length) {
    let k = from;
    while (k < to && buf[k] === SPACE) k++;
    if (k === to) return SPACES[to - from]!;
  }
  return buf.toString('utf8', from, to);
}

/**
 * The position of the next byte: its line, the UTF-16 units before it on that line, and the
 * text of the line before it. That text is `tail` plus the current chunk's bytes from
 * `tailFrom`, turned into a string only when asked for (takeTail): most never are.
 */
export class TextPosition {
  /** The chunk ended in a CR: an LF opening the next bytes ends no second line. */
  private afterCR = false;

  constructor(
    public line = 1,
    /** UTF-16 units before the next byte on its line. */
    public column = 0,
    public tail = '',
    public tailFrom = 0,
  ) {}

  /** A new chunk: the line's text not yet in `tail` starts at its first byte. */
  nextChunk(): void {
    this.tailFrom = 0;
  }

  /** Moves the current chunk's bytes up to `to` into `tail` (kept to the last PREFIX_CHARS, give or take). */
  takeTail(buf: Buffer, to: number): string {
    if (to > this.tailFrom) {
      this.tail += shortText(buf, this.tailFrom, to);
      if (this.tail.length > 4 * PREFIX_CHARS) this.tail = this.tail.slice(-PREFIX_CHARS); // a flood of spaces
    }
    this.tailFrom = to;
    return this.tail;
  }

  /** The line break byte `c` at `i` (the byte before it: `previous`, -1 at the start). */
  lineBreak(c: number, i: number, previous: number): void {
    // The LF of a CRLF ends no second line.
    if (c === CR || previous !== CR) {
      this.line++;
      this.column = 0;
    }
    this.tail = '';
    this.tailFrom = i + 1;
    this.afterCR = false;
  }

  /** After some decoded text (a value's). */
  passText(text: string): void {
    this.afterCR = false;
    const { count, lastEnd } = lineBreaks(text);
    if (count === 0) {
      this.column += text.length;
      this.tail = text;
      return;
    }
    this.line += count;
    this.column = text.length - lastEnd;
    this.tail = text.slice(lastEnd);
  }

  /**
   * After ASCII text without CRs whose LFs a scan counted (`breaks`, and the end of the last one
   * at `lastBreakEnd`, counted in the same chunk as the text, which starts at `from` there).
   */
  passCountedText(text: string, from: number, breaks: number, lastBreakEnd: number): void {
    this.afterCR = false;
    if (breaks === 0) {
      this.column += text.length;
      this.tail = text;
      return;
    }
    this.line += breaks;
    this.column = from + text.length - lastBreakEnd;
    this.tail = text.slice(lastBreakEnd - from);
  }

  /**
   * After bytes that are not decoded (following the bytes passed before, when those were
   * passed this way too: a CRLF cut between them is one line end). Their text is not kept:
   * when they end a line, the tail starts again after them — in the current chunk when they are
   * its bytes from `chunkOffset`.
   */
  passBytes(b: Buffer, chunkOffset = -1): void {
    if (b.length === 0) return;
    // Line ends are ASCII bytes, so the bytes can be searched as latin1 text.
    let { count, lastEnd } = b.indexOf(CR) === -1 && b.indexOf(NL) === -1 ? { count: 0, lastEnd: 0 } : lineBreaks(b.toString('latin1'));
    if (this.afterCR && b[0] === NL) count--; // the LF of a CRLF cut between two pieces
    this.afterCR = b[b.length - 1] === CR;
    if (lastEnd === 0) {
      this.column += utf16Length(b);
      return;
    }
    this.line += count;
    this.column = utf16Length(b.subarray(lastEnd));
    this.tail = '';
    if (chunkOffset >= 0) this.tailFrom = chunkOffset + lastEnd;
  }
}
