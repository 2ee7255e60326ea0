import { isAbsolute, relative, resolve, sep } from 'node:path';
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
  /**
   * pretty only: past this many problems of one rule, the rest are not printed one by one but
   * counted on one line per rule, with their first locations (undefined: every kept problem is
   * printed, as under an explicit --max-errors).
   */
  groupAfter?: number;
  /**
   * The repository's root (the git work tree, or GITHUB_WORKSPACE) and the run's working
   * directory: the CI formats (github, sarif, junit) name files from the root, as GitHub and
   * code-scanning dashboards place them, whatever folder the run started in.
   */
  root?: { dir: string; cwd: string };
}

/** How the CI formats name a problem's file: its path from the root, and whether it lies inside it. */
export interface RootPath {
  /** From the root with `/` when inside it; else the path as given (absolute if it was). */
  path: string;
  inRoot: boolean;
}

/**
 * The path-from-root function of a run (memoised per file: a report names few files, many
 * times). Stdin without a name stays "<stdin>"; a --stdin-filename is a path like any other.
 */
export function rootPaths(ctx: Pick<RenderContext, 'root'>): (file: string) => RootPath {
  const root = ctx.root;
  const cache = new Map<string, RootPath>();
  return (file) => {
    let found = cache.get(file);
    if (found === undefined) {
      // A Windows path (in a --stdin-filename, or a report made there) uses "\\": URIs and GitHub take "/".
      const slashed = file.split(sep).join('/').replace(/\\/g, '/');
      found = { path: slashed, inRoot: false };
      if (root !== undefined && file !== '<stdin>') {
        const rel = relative(root.dir, resolve(root.cwd, slashed));
        if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) found = { path: rel.split(sep).join('/'), inRoot: true };
      }
      cache.set(file, found);
    }
    return found;
  };
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
