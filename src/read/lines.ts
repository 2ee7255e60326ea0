/**
 * A streaming line splitter that keeps line numbers: UTF-8 BOM and CRLF accepted, every
 * line counted (blank ones too), a line over the cap reported and skipped instead of
 * buffered, invalid UTF-8 and NUL bytes flagged. The handler is synchronous on the hot
 * path and may return a promise to apply back-pressure, or STOP to end early.
 */

export const MAX_LINE_BYTES = 10 * 1024 * 1024;
export const STOP = Symbol('stop');

export type LineIssue = 'too-long' | 'invalid-utf8' | 'nul-byte';

export interface LineHandler {
  /** text has no line terminator. Return STOP to end, or a promise to wait for. */
  line(text: string, lineNo: number): void | typeof STOP | Promise<void | typeof STOP>;
  /** A line that could not be decoded; its text is not passed on. */
  issue(kind: LineIssue, lineNo: number, bytes: number): void | typeof STOP;
}

export interface LineStats {
  lines: number;
  bytes: number;
  stopped: boolean;
}

const NL = 10;
const CR = 13;

function decode(buf: Buffer, start: number, end: number): string | LineIssue {
  if (end > start && buf[end - 1] === CR) end--;
  const text = buf.toString('utf8', start, end);
  // U+FFFD in the output but not as bytes EF BF BD in the input means invalid UTF-8.
  if (text.includes('\uFFFD') && buf.subarray(start, end).indexOf('\uFFFD', 0, 'utf8') === -1) return 'invalid-utf8';
  if (text.includes('\u0000')) return 'nul-byte';
  return text;
}

export async function splitLines(
  chunks: AsyncIterable<Buffer | string>,
  handler: LineHandler,
  maxLineBytes = MAX_LINE_BYTES,
): Promise<LineStats> {
  let lineNo = 0;
  let bytes = 0;
  let carry: Buffer[] = [];
  let carryLen = 0;
  let skipping = false; // inside an over-long line: drop bytes until the next newline
  let first = true;

  // Synchronous unless the handler asks to wait: an await per line would cost more than the parse.
  const emit = (buf: Buffer, start: number, end: number): boolean | Promise<boolean> => {
    lineNo++;
    const d = decode(buf, start, end);
    const r = typeof d === 'string' ? handler.line(d, lineNo) : handler.issue(d, lineNo, end - start);
    if (r === undefined) return true;
    if (r === STOP) return false;
    return r.then((x) => x !== STOP);
  };

  for await (const c of chunks) {
    let chunk = typeof c === 'string' ? Buffer.from(c) : c;
    bytes += chunk.length;
    if (first) {
      first = false;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    let pos = 0;
    while (pos <= chunk.length) {
      const nl = chunk.indexOf(NL, pos);
      if (nl === -1) {
        const rest = chunk.length - pos;
        if (rest === 0) break;
        if (skipping) break;
        if (carryLen + rest > maxLineBytes) {
          skipping = true;
          carry = [];
          carryLen += rest;
          break;
        }
        carry.push(chunk.subarray(pos));
        carryLen += rest;
        break;
      }
      let ok: boolean | Promise<boolean>;
      if (skipping) {
        lineNo++;
        ok = handler.issue('too-long', lineNo, carryLen + (nl - pos)) !== STOP;
        skipping = false;
        carry = [];
        carryLen = 0;
      } else if (carryLen > 0) {
        if (carryLen + (nl - pos) > maxLineBytes) {
          lineNo++;
          ok = handler.issue('too-long', lineNo, carryLen + (nl - pos)) !== STOP;
        } else {
          carry.push(chunk.subarray(pos, nl));
          const joined = Buffer.concat(carry);
          ok = emit(joined, 0, joined.length);
        }
        carry = [];
        carryLen = 0;
      } else if (nl - pos > maxLineBytes) {
        lineNo++;
        ok = handler.issue('too-long', lineNo, nl - pos) !== STOP;
      } else {
        ok = emit(chunk, pos, nl);
      }
      if (ok !== true && (ok === false || !(await ok))) return { lines: lineNo, bytes, stopped: true };
      pos = nl + 1;
    }
  }
  // Last line without a terminator (a truncated file, or simply no final newline).
  if (skipping) {
    lineNo++;
    handler.issue('too-long', lineNo, carryLen);
  } else if (carryLen > 0) {
    const joined = Buffer.concat(carry);
    if ((await emit(joined, 0, joined.length)) === false) return { lines: lineNo, bytes, stopped: true };
  }
  return { lines: lineNo, bytes, stopped: false };
}
