/**
 * GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=RULE::message`).
 * GitHub shows only 10 annotations of each kind per step: errors are written first, so the
 * ones that fail the build are never lost among warnings in the log, and the plain summary
 * (which counts everything) follows them.
 */
import { PLAIN } from '../terminal.js';
import type { Problem } from '../problem.js';
import { summaryLines } from './validate-summary.js';
import { joinLines, type Renderer } from './types.js';

/** Escaping rules of the workflow-command syntax (data vs property values). */
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function annotation(p: Problem): string {
  const props = [`file=${escapeProperty(p.file)}`, `line=${p.line}`, `col=${p.column}`, `title=${escapeProperty(p.rule)}`].join(',');
  const text = `${p.message}${p.pointer ? ` (at ${p.pointer})` : ''}${p.hint ? ` — hint: ${p.hint}` : ''}`;
  return `::${p.severity === 'error' ? 'error' : 'warning'} ${props}::${escapeData(text)}`;
}

export const streamGithub: Renderer = (result, ctx) => joinLines(githubLines(result, ctx));

function* githubLines(...[result, ctx]: Parameters<Renderer>): Generator<string> {
  for (const p of result.problems) if (p.severity === 'error') yield annotation(p);
  for (const p of result.problems) if (p.severity !== 'error') yield annotation(p);
  yield* summaryLines(result, { ...ctx, paint: PLAIN });
}
