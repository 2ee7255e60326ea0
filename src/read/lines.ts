/**
 * A streaming line splitter that keeps line numbers: UTF-8 BOM accepted; LF, CRLF and a
 * lone CR (old Mac and some Excel exports) each end a line; every line counted (blank ones too), a line over the cap reported and skipped instead of
 * buffered, invalid UTF-8 and NUL bytes flagged, a UTF-16 file reported once. The handler
 * is synchronous on the hot path and may return a promise to apply back-pressure, or
 * STOP to end early.
 */
import { isAscii, isUtf8 } from 'node:buffer';

export const MAX_LINE_BYTES = 10 * 1024 * 1024;
export const STOP = Symbol('stop');

export type LineIssue = 'too-long' | 'invalid-utf8' | 'nul-byte' | 'utf-16';

export interface LineHandler<P = undefined> {
  /**
   * Optional work done ahead of `line` (e.g. JSON.parse): lines are cut, decoded and
   * prepared in batches of up to BATCH_LINES, then handed to `line` and `issue` one by one
   * in order. Doing one kind of work back to back keeps its code and data in cache. It must
   * have no side effects: it also runs for lines after one whose handler returns STOP.
   */
  prepare?(text: string): P;
  /** text has no line terminator; `prepared` is what prepare returned for it. Return STOP to end, or a promise to wait for. */
  line(text: string, lineNo: number, prepared: P): void | typeof STOP | Promise<void | typeof STOP>;
  /**
   * A line that could not be decoded; its text is not passed on. 'utf-16' (a UTF-16 byte
   * order mark at the start) is reported once for line 1 and ends the input: every line of
   * such a file would be undecodable.
   */
  issue(kind: LineIssue, lineNo: number, bytes: number): void | typeof STOP;
}

export interface LineStats {
  lines: number;
  bytes: number;
  stopped: boolean;
}

const NL = 10;
const CR = 13;

/** What is already known about a line's bytes (from the check of its whole chunk). */
const enum Known {
  Nothing,
  /** valid UTF-8, no NUL byte */
  Utf8,
  /** ASCII, no NUL byte: decodes as Latin-1 to the same string, and faster */
  Ascii,
}

/** A decoded line, or why it could not be decoded (an object, so no line text can be mistaken for it). */
function decode(buf: Buffer, start: number, end: number, known: Known): string | { issue: LineIssue } {
  if (known === Known.Ascii) return buf.toString('latin1', start, end);
  const text = buf.toString('utf8', start, end);
  if (known === Known.Utf8) return text;
  // U+FFFD in the output may be a real U+FFFD in the input; only then pay for the exact check.
  if (text.includes('\uFFFD') && !isUtf8(buf.subarray(start, end))) return { issue: 'invalid-utf8' };
  if (text.includes('\u0000')) return { issue: 'nul-byte' };
  return text;
}

const BOM_UTF8 = [0xef, 0xbb, 0xbf];

/** The bytes start with a UTF-16 byte order mark (LE or BE): every line of such an input is undecodable. */
export function startsUtf16(b: Uint8Array): boolean {
  return (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff);
}

/** Offset of the first line end (LF or CR) at or after `pos`, or -1; `nextCR` is the first CR at or after `pos` (-1: none). */
function lineEnd(chunk: Buffer, pos: number, nextCR: number): number {
  if (nextCR === -1) return chunk.indexOf(NL, pos);
  const nl = chunk.indexOf(NL, pos);
  return nl === -1 || nextCR < nl ? nextCR : nl;
}

/** Lines cut and prepared ahead of their handler calls (see LineHandler.prepare). */
export const BATCH_LINES = 64;

/** Where the bytes sit in their file, for a part of it cut at a line end (the import's worker batches). */
export interface SplitFrom {
  /** Lines before these bytes: the first line here is number `linesBefore + 1`. */
  linesBefore: number;
  /** The bytes start the file (a byte order mark is looked for), or follow a line end inside it. */
  fileStart: boolean;
  /** Lines prepared ahead of their handler calls (default BATCH_LINES). */
  batchLines?: number;
}

export async function splitLines<P = undefined>(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  handler: LineHandler<P>,
  maxLineBytes = MAX_LINE_BYTES,
  from: SplitFrom = { linesBefore: 0, fileStart: true },
): Promise<LineStats> {
  let lineNo = from.linesBefore;
  const batchLines = from.batchLines ?? BATCH_LINES;
  let bytes = 0;
  let carry: Buffer[] = [];
  let carryLen = 0;
  let skipping = false; // inside an over-long line: drop bytes until the next newline
  // The first bytes are held until there are three (or the input ends), so a byte order
  // mark split across chunks is still recognised.
  let head: Buffer | undefined = from.fileStart ? Buffer.alloc(0) : undefined;

  // The batch: per line its text and what prepare made of it, or (text undefined) its issue
  // and size in bytes. Arrays reused from batch to batch.
  const texts: (string | undefined)[] = [];
  const prepared: (P | undefined)[] = [];
  const issues: LineIssue[] = [];
  const sizes: number[] = [];
  let batched = 0;

  const addLine = (buf: Buffer, start: number, end: number, known: Known): void => {
    const d = decode(buf, start, end, known);
    if (typeof d === 'string') {
      texts[batched] = d;
      prepared[batched] = handler.prepare?.(d);
      batched++;
    } else addIssue(d.issue, end - start);
  };
  const addIssue = (kind: LineIssue, size: number): void => {
    texts[batched] = undefined;
    issues[batched] = kind;
    sizes[batched] = size;
    batched++;
  };

  /**
   * Hands the batch to the handler in order; false when it asked to stop. Synchronous
   * unless the handler asks to wait: an await per line would cost more than the parse.
   */
  const flush = (from = 0): boolean | Promise<boolean> => {
    for (let i = from; i < batched; i++) {
      lineNo++;
      const text = texts[i];
      const r = text !== undefined ? handler.line(text, lineNo, prepared[i] as P) : handler.issue(issues[i]!, lineNo, sizes[i]!);
      texts[i] = undefined;
      prepared[i] = undefined;
      if (r === undefined) continue;
      if (r === STOP) return clear(false);
      return r.then((x) => (x === STOP ? clear(false) : flush(i + 1)));
    }
    return clear(true);
  };
  const clear = (result: boolean): boolean => {
    for (let i = 0; i < batched; i++) {
      texts[i] = undefined;
      prepared[i] = undefined;
    }
    batched = 0;
    return result;
  };

  /** Strips a UTF-8 BOM; returns undefined when the input is UTF-16 (reported, then stop). */
  const startOf = (b: Buffer): Buffer | undefined => {
    if (startsUtf16(b)) {
      lineNo = 1;
      // The size is the byte order mark's: the rest is never read, and how much of it the
      // first chunk held depends on the chunking (a property test found 3 against 4).
      handler.issue('utf-16', 1, 2);
      return undefined;
    }
    return b[0] === BOM_UTF8[0] && b[1] === BOM_UTF8[1] && b[2] === BOM_UTF8[2] ? b.subarray(3) : b;
  };

  // A CR ends a line; an LF right after it (in the same chunk or at the start of the next)
  // belongs to the same line end, so CRLF counts once.
  let afterCR = false;

  /** Splits one chunk; false when the handler asked to stop. */
  const feed = async (chunk: Buffer): Promise<boolean> => {
    let pos = 0;
    if (afterCR) {
      afterCR = false;
      if (chunk[0] === NL) pos = 1;
    }
    // Most inputs have no CR at all: then the only terminator is LF and one indexOf per
    // line finds it. The CR search is done once per chunk, then again only past each CR.
    let nextCR = chunk.indexOf(CR, pos);
    // One encoding check for all the lines that start and end inside this chunk, instead of
    // one per line: a line end byte never occurs inside a multi-byte UTF-8 sequence, so that
    // span is valid UTF-8 (or ASCII) exactly when each of its lines is. Lines from
    // `checkedFrom` up to `checkedTo` skip the per-line check; when the span fails, every
    // line is checked on its own, so the faulty one is still reported with its number.
    const checkedTo = nextCR === -1 ? chunk.lastIndexOf(NL) : Math.max(chunk.lastIndexOf(NL), chunk.lastIndexOf(CR));
    const checkedFrom = carryLen > 0 || skipping ? lineEnd(chunk, pos, nextCR) + 1 : pos;
    let known = Known.Nothing;
    if (checkedTo > checkedFrom) {
      const nul = chunk.indexOf(0, checkedFrom);
      if (nul === -1 || nul > checkedTo) {
        const span = chunk.subarray(checkedFrom, checkedTo);
        known = isAscii(span) ? Known.Ascii : isUtf8(span) ? Known.Utf8 : Known.Nothing;
      }
    }
    while (pos <= chunk.length) {
      if (nextCR !== -1 && nextCR < pos) nextCR = chunk.indexOf(CR, pos);
      const nl = lineEnd(chunk, pos, nextCR);
      if (nl === -1) {
        const rest = chunk.length - pos;
        if (rest === 0) break;
        if (!skipping && carryLen + rest > maxLineBytes) {
          skipping = true;
          carry = [];
        }
        if (!skipping) carry.push(chunk.subarray(pos));
        carryLen += rest;
        break;
      }
      if (skipping) {
        addIssue('too-long', carryLen + (nl - pos));
        skipping = false;
        carry = [];
        carryLen = 0;
      } else if (carryLen > 0) {
        if (carryLen + (nl - pos) > maxLineBytes) addIssue('too-long', carryLen + (nl - pos));
        else {
          carry.push(chunk.subarray(pos, nl));
          const joined = Buffer.concat(carry);
          addLine(joined, 0, joined.length, Known.Nothing);
        }
        carry = [];
        carryLen = 0;
      } else if (nl - pos > maxLineBytes) {
        addIssue('too-long', nl - pos);
      } else {
        addLine(chunk, pos, nl, pos >= checkedFrom ? known : Known.Nothing);
      }
      pos = nl + 1;
      if (chunk[nl] === CR) {
        if (pos === chunk.length) afterCR = true;
        else if (chunk[pos] === NL) pos++;
      }
      if (batched === batchLines) {
        const ok = flush();
        if (ok !== true && (ok === false || !(await ok))) return false;
      }
    }
    const ok = flush();
    return ok === true || (ok !== false && (await ok));
  };

  for await (const c of chunks) {
    let chunk = typeof c === 'string' ? Buffer.from(c) : c;
    bytes += chunk.length;
    if (head !== undefined) {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (head.length < 3) continue;
      const start = startOf(head);
      head = undefined;
      if (start === undefined) return { lines: lineNo, bytes, stopped: true };
      chunk = start;
    }
    if (!(await feed(chunk))) return { lines: lineNo, bytes, stopped: true };
  }
  if (head !== undefined && head.length > 0) {
    // The whole input was shorter than three bytes.
    const start = startOf(head);
    if (start === undefined || !(await feed(start))) return { lines: lineNo, bytes, stopped: true };
  }
  // Last line without a terminator (a truncated file, or simply no final newline).
  if (skipping) {
    lineNo++;
    handler.issue('too-long', lineNo, carryLen);
  } else if (carryLen > 0) {
    const joined = Buffer.concat(carry);
    addLine(joined, 0, joined.length, Known.Nothing);
    if ((await flush()) === false) return { lines: lineNo, bytes, stopped: true };
  }
  return { lines: lineNo, bytes, stopped: false };
}
