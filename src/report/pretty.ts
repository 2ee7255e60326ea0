/** Human output: problems grouped by file, each with a code frame and its rule id. */
import type { Problem } from '../problem.js';
import { summaryLines } from './validate-summary.js';
import { joinLines, wholeText, type Renderer } from './types.js';

/** Characters of source shown when the output is not a terminal (a file, a pipe, a CI log). */
const FRAME_WIDTH = 100;
/** Never narrower than this, however narrow the terminal: a frame must show some context. */
const MIN_FRAME_WIDTH = 20;

/**
 * One source line, clipped around the column so long JSONL lines stay readable. On a
 * terminal the window shrinks so the whole frame line (gutter, line number, both ellipses)
 * fits in `columns - 1`: a wrapped line would push the caret off the column it marks.
 */
function frame(p: Problem, gutter: string, columns: number | undefined): string[] {
  if (p.excerpt === undefined) return [];
  const text = p.excerpt.replace(/\t/g, ' ');
  const num = String(p.line);
  const chrome = gutter.length + num.length + 3 + 2; // " | " and two ellipses
  const width = columns === undefined ? FRAME_WIDTH : Math.max(MIN_FRAME_WIDTH, Math.min(FRAME_WIDTH, columns - 1 - chrome));
  // The caret's place in the excerpt, which may begin after the line's start (the tail of
  // a long line before an element of a one-line JSON array): then it starts with "…" too.
  const column = p.column - (p.excerptColumn ?? 1) + 1;
  let start = 0;
  if (text.length > width) start = Math.max(0, Math.min(column - 1 - Math.floor(width / 3), text.length - width));
  const cut = start > 0 || (p.excerptColumn ?? 1) > 1;
  const clipped = (cut ? '…' : '') + text.slice(start, start + width) + (start + width < text.length ? '…' : '');
  const caretAt = column - 1 - start + (cut ? 1 : 0);
  return [`${gutter}${num} | ${clipped}`, `${gutter}${' '.repeat(num.length)} | ${' '.repeat(Math.max(0, caretAt))}^`];
}

export const streamPretty: Renderer = (result, ctx) => joinLines(prettyLines(result, ctx));

export const renderPretty = wholeText(streamPretty);

function* prettyLines(...[result, ctx]: Parameters<Renderer>): Generator<string> {
  const c = ctx.paint;
  let current: string | undefined;
  for (const p of result.problems) {
    if (p.file !== current) {
      if (current !== undefined) yield '';
      yield c.underline(p.file);
      current = p.file;
    }
    const sev = p.severity === 'error' ? c.red('error  ') : c.yellow('warning');
    yield `  ${c.dim(`${p.line}:${p.column}`.padEnd(8))} ${sev}  ${p.message}  ${c.gray(p.rule)}`;
    const gutter = '           ';
    if (p.pointer !== '') yield `${gutter}${c.gray('at ' + p.pointer)}`;
    for (const l of frame(p, gutter, ctx.width)) yield c.dim(l);
    if (p.hint) yield `${gutter}${c.cyan('hint:')} ${p.hint}`;
  }
  if (current !== undefined) yield '';
  yield* summaryLines(result, ctx);
}
