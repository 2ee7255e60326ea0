/**
 * Position lookups for records that have problems. Plain JSON.parse is the fast path;
 * only when a record needs a line/column do we re-parse it with jsonc-parser, which keeps
 * offsets. Deeply nested input can overflow jsonc-parser's recursion: we then fall back
 * to the record's own position rather than crash.
 */
import type * as JsoncParser from 'jsonc-parser';
import type { Node, ParseError } from 'jsonc-parser';

let jsonc: typeof JsoncParser | undefined;

/**
 * jsonc-parser is loaded on first need (a problem to locate, a syntax fault, a suspected
 * duplicate key), so linting a clean file never pays for it at start-up.
 */
export async function loadLocator(): Promise<void> {
  jsonc ??= await import('jsonc-parser');
}

export function locatorReady(): boolean {
  return jsonc !== undefined;
}

function parser(): typeof JsoncParser {
  if (!jsonc) throw new Error('internal: loadLocator() must be awaited before locating positions');
  return jsonc;
}

export interface Position {
  line: number;
  column: number;
  /** The text of that line, for code frames. */
  text?: string;
  /** Column of `text`'s first character, when it is not the line's start (a long line's tail). */
  textColumn?: number;
}

/** A line end: CRLF, LF or a lone CR (old Mac files, some Excel exports). */
const LINE_BREAK = /\r\n?|\n/g;
const TRAILING_BREAK = /(?:\r\n?|\n)$/;

const STRICT = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false };

export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => {
      const k = s.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^(0|[1-9]\d*)$/.test(k) ? Number(k) : k;
    });
}

/**
 * Maps string offsets to 1-based line/column for a multi-line text. LF, CRLF and a lone CR
 * each end a line, as the JSONL reader (src/read/lines.ts) counts them.
 */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    if (text.indexOf('\r') === -1) {
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
      return;
    }
    for (const m of text.matchAll(LINE_BREAK)) this.starts.push(m.index + m[0].length);
  }
  /**
   * `firstColumn` is the column the text starts at on its first line and `prefix` what
   * stands before it there (for the line's text), when the text starts mid-line (an array
   * element).
   */
  at(offset: number, firstLine = 1, text?: string, firstColumn = 1, prefix = ''): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const start = this.starts[lo]!;
    const pos: Position = { line: firstLine + lo, column: offset - start + (lo === 0 ? firstColumn : 1) };
    if (text !== undefined) {
      const end = lo + 1 < this.starts.length ? this.starts[lo + 1]! : text.length;
      pos.text = text.slice(start, end).replace(TRAILING_BREAK, '');
      if (lo === 0 && firstColumn !== 1) {
        pos.text = prefix + pos.text;
        if (firstColumn - prefix.length !== 1) pos.textColumn = firstColumn - prefix.length;
      }
    }
    return pos;
  }
}

/** Parses lazily, once, and answers "where is this pointer" for one JSON text. */
export class Locator {
  private tree: Node | undefined | null = null; // null = not parsed yet
  private index: LineIndex | undefined;

  constructor(
    private readonly text: string,
    private readonly firstLine = 1,
    /** Where the text starts on its first line, and the line's text before it (see LineIndex.at). */
    private readonly firstColumn = 1,
    private readonly prefix = '',
  ) {}

  private root(): Node | undefined {
    if (this.tree === null) {
      const { parseTree } = parser(); // outside the try: a missing loadLocator() is a bug, not deep input
      try {
        this.tree = parseTree(this.text, [], STRICT);
      } catch {
        this.tree = undefined; // nesting too deep for the recursive parser
      }
    }
    return this.tree;
  }

  /** False when the text nests too deeply to locate anything in it (positions fall back to its start). */
  get parsable(): boolean {
    return this.root() !== undefined;
  }

  position(offset: number): Position {
    this.index ??= new LineIndex(this.text);
    return this.index.at(offset, this.firstLine, this.text, this.firstColumn, this.prefix);
  }

  /**
   * Position of the value at `pointer` (relative to the record at `recordPointer`), or of
   * its key, or of the nearest existing ancestor when the value is missing.
   */
  locate(pointer: string, target: 'value' | 'key' | 'record', recordPointer = ''): Position {
    const root = this.root();
    if (!root) return this.position(firstNonSpace(this.text));
    const recordPath = pointerToPath(recordPointer);
    const { findNodeAtLocation } = parser();
    const record = findNodeAtLocation(root, recordPath) ?? root;
    if (target === 'record') return this.position(record.offset);
    let path = pointerToPath(pointer);
    while (path.length > 0) {
      const node = findNodeAtLocation(record, path);
      if (node) {
        if (target === 'key' && node.parent?.type === 'property') return this.position(node.parent.offset);
        return this.position(node.offset);
      }
      path = path.slice(0, -1);
    }
    return this.position(record.offset);
  }
}

function firstNonSpace(text: string): number {
  const m = /\S/.exec(text);
  return m ? m.index : 0;
}

/** Where a member of a top-level object starts: its key's opening quote, and its value. */
export interface MemberOffsets {
  key: number;
  value: number;
}

/**
 * The members of a text that is one JSON object, by one walk over its characters (no tree,
 * no recursion): for each top-level key, the offsets of the key and of its value, and the
 * object's own offset. Offsets are what the Locator would find for pointers of one segment,
 * at a fraction of a parse; the emulator locates every finding of every request this way.
 * Undefined when the text is not a JSON object, or holds a top-level key twice.
 */
export function topLevelMembers(text: string): { start: number; members: Map<string, MemberOffsets> } | undefined {
  const start = firstNonSpace(text);
  if (text.charCodeAt(start) !== 123) return undefined;
  const members = new Map<string, MemberOffsets>();
  const n = text.length;
  let depth = 0;
  for (let i = start; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const open = i;
      let escaped = false;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) {
          escaped = true;
          i++;
        } else if (d === 34) break;
      }
      if (depth !== 1) continue;
      let after = i + 1;
      while (after < n && isJsonSpace(text.charCodeAt(after))) after++;
      if (text.charCodeAt(after) !== 58) continue; // a string value, not a key
      let value = after + 1;
      while (value < n && isJsonSpace(text.charCodeAt(value))) value++;
      const key = escaped ? (JSON.parse(text.slice(open, i + 1)) as string) : text.slice(open + 1, i);
      if (members.has(key)) return undefined;
      members.set(key, { key: open, value });
      i = value - 1;
    } else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
  }
  return { start, members };
}

const isJsonSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

export interface SyntaxFault {
  offset: number;
  message: string;
}

const FRIENDLY: Record<string, string> = {
  InvalidSymbol: 'unexpected token',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a quoted property name',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected "," or a closing bracket',
  CloseBraceExpected: 'expected "}" — the object is not closed (truncated?)',
  CloseBracketExpected: 'expected "]" — the array is not closed (truncated?)',
  EndOfFileExpected: 'unexpected content after the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'control character inside a string',
};

/** Where and why JSON.parse failed on this text (jsonc-parser gives the offset). */
export function findSyntaxFault(text: string, parseMessage: string): SyntaxFault {
  const found = firstSyntaxError(text);
  if (found) return found;
  // jsonc-parser gave up (nesting too deep for its recursion): JSON.parse's own message.
  const pos = /position (\d+)/.exec(parseMessage);
  // "Unexpected end of JSON input" carries no position: the fault is at the end.
  const offset = pos ? Number(pos[1]) : /end of JSON input/.test(parseMessage) ? text.trimEnd().length : firstBadPrefix(text);
  return { offset, message: parseMessage.replace(/, ".*" is not valid JSON$/s, '') };
}

/** True when JSON.parse finds nothing wrong with `prefix` except that it ends too soon. */
function cleanPrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (e) {
    const m = (e as Error).message;
    const pos = /position (\d+)/.exec(m);
    return /end of JSON input/.test(m) || (pos !== null && Number(pos[1]) >= prefix.length);
  }
}

/**
 * Offset of the character JSON.parse stumbles on when its message gives none ("Unexpected
 * token 'x', … is not valid JSON"): a binary search for the shortest prefix that is wrong
 * in itself (about 20 parses of the text, iterative, so any nesting depth is fine).
 */
function firstBadPrefix(text: string): number {
  let lo = 0; // clean
  let hi = text.length; // not clean (the whole text failed)
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (cleanPrefix(text.slice(0, mid))) lo = mid;
    else hi = mid;
  }
  return hi - 1;
}

/** jsonc-parser's first complaint about this text, worded for people; undefined when it has none. */
export function firstSyntaxError(text: string): SyntaxFault | undefined {
  const { parseTree, printParseErrorCode } = parser();
  const errors: ParseError[] = [];
  try {
    parseTree(text, errors, STRICT);
  } catch {
    /* too deep: the caller falls back to JSON.parse's message */
  }
  const e = errors[0];
  return e ? wordSyntaxError(text, e, printParseErrorCode) : undefined;
}

/** One of jsonc-parser's complaints, worded for people. */
function wordSyntaxError(text: string, e: ParseError, print: typeof JsoncParser.printParseErrorCode, words = FRIENDLY): SyntaxFault {
  const code = print(e.error);
  const what = words[code] ?? FRIENDLY[code] ?? code;
  // jsonc-parser flags only the "-" of "-Infinity": look at the text, not the token.
  const special = /^(?:NaN|-?Infinity)/.exec(text.slice(e.offset, e.offset + 9));
  const token = special ? special[0] : text.slice(e.offset, e.offset + Math.min(Math.max(e.length, 1), 12));
  const hint = special ? ` (${special[0]} is not a JSON number)` : '';
  return { offset: e.offset, message: `${what}${token && what === 'unexpected token' ? ` ${JSON.stringify(token)}` : ''}${hint}` };
}

/** Where comments are allowed, a comment fault is an unclosed one. */
const JSONC_WORDS: Record<string, string> = {
  InvalidCommentToken: 'unterminated comment',
  UnexpectedEndOfComment: 'unterminated /* comment',
};

/**
 * A JSON-with-comments document (comments and trailing commas allowed, as in tsconfig.json),
 * for opsmeter.config.json: its parse tree, and every syntax fault (not only the first, so a
 * file's mistakes are all reported in one run), worded as for payloads. Loads jsonc-parser.
 */
export async function parseJsonc(text: string): Promise<{ tree: Node | undefined; faults: SyntaxFault[]; value: unknown }> {
  const { parseTree, getNodeValue, printParseErrorCode } = await import('jsonc-parser');
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: false, allowTrailingComma: true, allowEmptyContent: false });
  const faults = errors.map((e) => wordSyntaxError(text, e, printParseErrorCode, JSONC_WORDS));
  return { tree, faults, value: tree === undefined ? undefined : getNodeValue(tree) };
}

/**
 * The first key that occurs twice in one object, with its offset. Used on every .json file
 * and on a JSONL line only when mayHaveDuplicateKeys says the fast check cannot rule it out.
 */
export function findDuplicateKey(text: string): { key: string; offset: number; pointer: string } | undefined {
  const stack: { keys: Set<string>; path: string }[] = [];
  const containers: (string | number)[] = [];
  const arrayIndex: number[] = [];
  let found: { key: string; offset: number; pointer: string } | undefined;
  let pendingKey: string | undefined;
  const childPath = (): string => {
    // Path of the value about to start, relative to the current container.
    const top = stack[stack.length - 1];
    if (containers[containers.length - 1] === 'a') {
      const i = arrayIndex[arrayIndex.length - 1]!;
      return (top?.path ?? '') + '/' + i;
    }
    return (top?.path ?? '') + '/' + escapePointerToken(pendingKey ?? '');
  };
  try {
    parser().visit(
      text,
      {
        onObjectBegin: () => {
          const path = stack.length === 0 && containers.length === 0 ? '' : childPath();
          stack.push({ keys: new Set(), path });
          containers.push('o');
          return undefined;
        },
        onObjectEnd: () => {
          stack.pop();
          containers.pop();
          bumpArray();
        },
        onArrayBegin: () => {
          const path = stack.length === 0 && containers.length === 0 ? '' : childPath();
          stack.push({ keys: new Set(), path });
          containers.push('a');
          arrayIndex.push(0);
          return undefined;
        },
        onArrayEnd: () => {
          stack.pop();
          containers.pop();
          arrayIndex.pop();
          bumpArray();
        },
        onObjectProperty: (property, offset) => {
          const top = stack[stack.length - 1]!;
          if (!found && top.keys.has(property)) found = { key: property, offset, pointer: top.path + '/' + escapePointerToken(property) };
          top.keys.add(property);
          pendingKey = property;
        },
        onLiteralValue: () => bumpArray(),
      },
      STRICT,
    );
  } catch {
    return undefined; // too deep to scan; JSON.parse already accepted it
  }
  return found;

  function bumpArray(): void {
    if (containers[containers.length - 1] === 'a') arrayIndex[arrayIndex.length - 1]!++;
  }
}

function escapePointerToken(k: string): string {
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Cheap pre-check for duplicate keys on the hot path: false only when the text cannot hold
 * a duplicate. Every key in the text is a string whose closing quote is unescaped (an even
 * run of backslashes before it) and is followed, after optional white space, by `:`. Inside
 * a string a quote is always escaped, so counting such quote-colon pairs counts every key in
 * the text at least once (a string value that starts with white space and a colon adds a
 * count: that only sends the line to the precise scan). JSON.parse keeps one key per name,
 * so when the count equals the keys it kept, no key was lost to a duplicate.
 */
export function mayHaveDuplicateKeys(text: string, value: unknown): boolean {
  return keysDiffer(value, quoteColons(text));
}

/**
 * The same check with the members already counted (a JSON array's element: the splitter's
 * scan counts the colons outside strings, which in a text JSON.parse accepted is exactly one
 * per member, so the text is not searched again).
 */
export function keysDiffer(value: unknown, members: number): boolean {
  return countKeys(value, 0) !== members;
}

function quoteColons(text: string): number {
  let raw = 0;
  // Searching for the colon, then looking back for the quote, is about twice as fast as
  // searching for '":': quotes are everywhere in JSON, colons are rare, so the search
  // skips long runs instead of stopping at every quote.
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) {
    let q = i - 1;
    let c = text.charCodeAt(q);
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(--q);
    if (c !== 34) continue;
    let slashes = 0;
    for (let j = q - 1; j >= 0 && text.charCodeAt(j) === 92; j--) slashes++;
    if ((slashes & 1) === 0) raw++;
  }
  return raw;
}

/** Keys in a parsed value; -1 when nesting is too deep to walk (the precise scan decides). */
function countKeys(v: unknown, depth: number): number {
  if (typeof v !== 'object' || v === null) return 0;
  if (depth > 64) return -1;
  let n = 0;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === 'object' && x !== null) {
        const c = countKeys(x, depth + 1);
        if (c < 0) return -1;
        n += c;
      }
    }
    return n;
  }
  for (const k in v) {
    n++;
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'object' && x !== null) {
      const c = countKeys(x, depth + 1);
      if (c < 0) return -1;
      n += c;
    }
  }
  return n;
}
