/** Human output: problems grouped by file, each with a code frame and its rule id. */
import type { Problem } from '../problem.js';
import { summaryLines } from './validate-summary.js';
import type { Renderer } from './types.js';

const FRAME_WIDTH = 100;

/** One source line, clipped around the column so long JSONL lines stay readable. */
function frame(p: Problem, gutter: string): string[] {
  if (p.excerpt === undefined) return [];
  const text = p.excerpt.replace(/\t/g, ' ');
  // The caret's place in the excerpt, which may begin after the line's start.
  const shown = (p.excerptColumn ?? 1) > 1;
  const column = p.column - (p.excerptColumn ?? 1) + 1;
  let start = 0;
  if (text.length > FRAME_WIDTH) start = Math.max(0, Math.min(column - 1 - Math.floor(FRAME_WIDTH / 3), text.length - FRAME_WIDTH));
  const cut = start > 0 || shown;
  const clipped = (cut ? '…' : '') + text.slice(start, start + FRAME_WIDTH) + (start + FRAME_WIDTH < text.length ? '…' : '');
  const caretAt = column - 1 - start + (cut ? 1 : 0);
  const num = String(p.line);
  return [`${gutter}${num} | ${clipped}`, `${gutter}${' '.repeat(num.length)} | ${' '.repeat(Math.max(0, caretAt))}^`];
}

export const renderPretty: Renderer = (result, ctx) => {
  const c = ctx.paint;
  const out: string[] = [];
  let current: string | undefined;
  for (const p of result.problems) {
    if (p.file !== current) {
      if (current !== undefined) out.push('');
      out.push(c.underline(p.file));
      current = p.file;
    }
    const sev = p.severity === 'error' ? c.red('error  ') : c.yellow('warning');
    out.push(`  ${c.dim(`${p.line}:${p.column}`.padEnd(8))} ${sev}  ${p.message}  ${c.gray(p.rule)}`);
    const gutter = '           ';
    if (p.pointer !== '') out.push(`${gutter}${c.gray('at ' + p.pointer)}`);
    for (const l of frame(p, gutter)) out.push(c.dim(l));
    if (p.hint) out.push(`${gutter}${c.cyan('hint:')} ${p.hint}`);
  }
  if (out.length > 0) out.push('');
  out.push(...summaryLines(result, ctx));
  return out.join('\n') + '\n';
};
