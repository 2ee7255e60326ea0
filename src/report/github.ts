/**
 * GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=RULE::message`).
 * GitHub shows only 10 annotations of each kind per step: errors are written first, so the
 * ones that fail the build are never lost among warnings in the log, and the plain summary
 * (which counts everything) follows them. Files are named from the repository's root.
 */
import { PLAIN } from '../terminal.js';
import type { Problem } from '../problem.js';
import { summaryLines } from './validate-summary.js';
import { joinLines, rootPaths, type Renderer } from './types.js';

/** Escaping rules of the workflow-command syntax (data vs property values). */
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function annotation(p: Problem, file: string): string {
  const props = [`file=${escapeProperty(file)}`, `line=${p.line}`, `col=${p.column}`, `title=${escapeProperty(p.rule)}`].join(',');
  const text = `${p.message}${p.pointer ? ` (at ${p.pointer})` : ''}${p.hint ? ` — hint: ${p.hint}` : ''}`;
  return `::${p.severity === 'error' ? 'error' : 'warning'} ${props}::${escapeData(text)}`;
}

export const streamGithub: Renderer = (result, ctx) => joinLines(githubLines(result, ctx));

function* githubLines(...[result, ctx]: Parameters<Renderer>): Generator<string> {
  // GitHub places an annotation by its path from the repository's root.
  const place = rootPaths(ctx);
  for (const p of result.problems) if (p.severity === 'error') yield annotation(p, place(p.file).path);
  for (const p of result.problems) if (p.severity !== 'error') yield annotation(p, place(p.file).path);
  yield* summaryLines(result, { ...ctx, paint: PLAIN });
}
