/**
 * GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=RULE::message`).
 * GitHub shows only 10 annotations per step, so the plain summary follows them.
 */
import { PLAIN } from '../terminal.js';
import type { Problem } from '../problem.js';
import { summaryLines } from './validate-summary.js';
import type { Renderer } from './types.js';

/** Escaping rules of the workflow-command syntax (data vs property values). */
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function annotation(p: Problem): string {
  const props = [`file=${escapeProperty(p.file)}`, `line=${p.line}`, `col=${p.column}`, `title=${escapeProperty(p.rule)}`].join(',');
  const text = `${p.message}${p.pointer ? ` (at ${p.pointer})` : ''}${p.hint ? ` — hint: ${p.hint}` : ''}`;
  return `::${p.severity === 'error' ? 'error' : 'warning'} ${props}::${escapeData(text)}`;
}

export const renderGithub: Renderer = (result, ctx) => {
  const lines = result.problems.map(annotation);
  lines.push(...summaryLines(result, { ...ctx, paint: PLAIN }));
  return lines.join('\n') + '\n';
};
