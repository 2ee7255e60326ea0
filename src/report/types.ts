import type { Paint } from '../terminal.js';
import type { ValidateOutcome } from '../validate/validate.js';

export interface RenderContext {
  /** Styles for human text (PLAIN when the output is not a colour terminal). */
  paint: Paint;
  strict: boolean;
  /** More warnings than this fail the run (--max-warnings). */
  maxWarnings?: number;
  /** Rule settings that differ from the defaults (config file, --rule), for the summary; id → level. */
  ruleSettings?: Readonly<Record<string, string>>;
  version: string;
  /** Terminal width (columns) when printing to a TTY; undefined for files, pipes and logs. */
  width?: number;
  /** Catalog snapshot date and origin, for the summary line. */
  catalog: string;
  /** What was checked, for the summary line; default "N files, M payloads checked against the contract (catalog …)". */
  scope?: string;
  /** The command the report is of: JUnit's `testsuites` name; default "opsmeter validate". */
  command?: string;
}

/**
 * A renderer turns one validate result into the text of one output format, in chunks: the
 * problems may be read back from temp files (a report with millions of them is never one
 * string in memory), and the caller writes each chunk as it comes. Joined, the chunks are
 * the whole text.
 */
export type Renderer = (result: ValidateOutcome, ctx: RenderContext) => Iterable<string>;

/** A renderer's whole text as one string (for results with few problems, and tests). */
export const wholeText =
  (render: Renderer) =>
  (...args: Parameters<Renderer>): string =>
    [...render(...args)].join('');

/** Chunks this size or a little over are handed on (one write each). */
const CHUNK = 64 * 1024;

/** `lines.join('\n') + '\n'`, in chunks of about 64 KB. */
export function* joinLines(lines: Iterable<string>): Generator<string> {
  let buf = '';
  for (const line of lines) {
    buf += line + '\n';
    if (buf.length >= CHUNK) {
      yield buf;
      buf = '';
    }
  }
  if (buf !== '') yield buf;
}

const ITEMS = '\u0000items';

/**
 * `JSON.stringify(doc, null, 2) + '\n'` where one array in `doc` (given as the placeholder
 * `STREAMED`) holds `toJson` of each of `items`, written one item at a time: byte for byte
 * what JSON.stringify writes for the whole array (each item at its indentation, `[]` when
 * there are none).
 */
export function* jsonWithStreamedArray<T>(doc: unknown, items: Iterable<T>, toJson: (item: T) => unknown): Generator<string> {
  const text = JSON.stringify(doc, null, 2);
  const marker = JSON.stringify(ITEMS);
  const at = text.indexOf(marker);
  const lineStart = text.lastIndexOf('\n', at) + 1;
  const indent = ' '.repeat(text.slice(lineStart).search(/\S/)) + '  ';
  let buf = text.slice(0, at);
  let n = 0;
  for (const item of items) {
    buf += (n++ === 0 ? '[\n' : ',\n') + indent + JSON.stringify(toJson(item), null, 2).replace(/\n/g, '\n' + indent);
    if (buf.length >= CHUNK) {
      yield buf;
      buf = '';
    }
  }
  buf += n === 0 ? '[]' : '\n' + indent.slice(2) + ']';
  yield buf + text.slice(at + marker.length) + '\n';
}

/** The placeholder for the array jsonWithStreamedArray writes item by item. */
export const STREAMED = ITEMS as unknown as never[];
