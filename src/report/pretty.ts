/**
 * Human output: problems grouped by file, each with a code frame and its rule id. With
 * `groupAfter` (the CLI's default), a rule's first few problems are printed in full and the
 * rest counted on one line per rule, with their first locations: 2,000 payloads that all lack
 * a promptVersion read as three blocks and one line, not 2,000 blocks. Every problem found is
 * either printed or counted there (the counts are the run's exact ones, `byRule`), so the
 * summary's "not shown" line gives way to a note on how to list them all.
 */
import { ruleById } from '../contract/rules.js';
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

/** How many later locations a grouped rule's line names. */
const GROUP_LOCATIONS = 3;

function* prettyLines(...[result, ctx]: Parameters<Renderer>): Generator<string> {
  const c = ctx.paint;
  const groupAfter = ctx.groupAfter ?? Infinity;
  /** Per rule: problems printed in full, and the locations of the next few that were not. */
  const shown = new Map<string, number>();
  const later = new Map<string, string[]>();
  let current: string | undefined;
  for (const p of result.problems) {
    const n = shown.get(p.rule) ?? 0;
    if (n >= groupAfter) {
      const places = later.get(p.rule) ?? [];
      if (places.length < GROUP_LOCATIONS) later.set(p.rule, [...places, `${p.file}:${p.line}:${p.column}`]);
      continue;
    }
    shown.set(p.rule, n + 1);
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
  const grouped = ctx.groupAfter === undefined ? [] : groupedLines(result, ctx, shown, later);
  yield* grouped;
  yield* summaryLines(result, ctx, grouped.length > 0);
}

/**
 * One line per rule with problems not printed in full: how many more, and where the first
 * of them are. Warnings that --quiet counted without listing are the summary's to mention.
 */
function groupedLines(result: Parameters<Renderer>[0], ctx: Parameters<Renderer>[1], shown: Map<string, number>, later: Map<string, string[]>): string[] {
  const c = ctx.paint;
  const rows: [string, string, string][] = [];
  for (const [rule, count] of Object.entries(result.byRule)) {
    const more = count - (shown.get(rule) ?? 0);
    if (more <= 0) continue;
    const level = ctx.ruleSettings?.[rule] ?? ruleById(rule)?.severity ?? 'error';
    if (level === 'warning' && result.quietWarnings > 0) continue;
    const places = later.get(rule) ?? [];
    const noun = level === 'error' ? (more === 1 ? 'error' : 'errors') : more === 1 ? 'warning' : 'warnings';
    const word = `${thousands(more)} more ${noun}`;
    rows.push([rule, level === 'error' ? c.red(word) : c.yellow(word), places.length === 0 ? '' : `${places.join(', ')}${more > places.length ? ', …' : ''}`]);
  }
  if (rows.length === 0) return [];
  const width = Math.max(...rows.map(([rule]) => rule.length));
  return [
    c.bold('more of the same rule (counted, not listed; --max-errors N lists each one):'),
    ...rows.map(([rule, count, places]) => `  ${c.gray(rule.padEnd(width))}  ${count}${places ? `  ${places}` : ''}`),
    '',
  ];
}

/** 1234567 → "1,234,567" (as the summary writes counts). */
const thousands = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
