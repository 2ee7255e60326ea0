/**
 * JUnit XML (one testsuite per file, one testcase per problem; a clean file is one
 * passing testcase). Errors — and warnings under --strict — are <failure>s. Files are named
 * from the repository's root, as the CI that shows the report names them.
 */
import type { Problem } from '../problem.js';
import { joinLines, rootPaths, type Renderer } from './types.js';

const xml = (s: string) =>
  s
    // XML 1.0 cannot carry most control characters, even escaped.
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

export const streamJunit: Renderer = (result, ctx) => joinLines(junitLines(result, ctx));

function* junitLines(...[result, ctx]: Parameters<Renderer>): Generator<string> {
  const fails = (p: Problem) => p.severity === 'error' || ctx.strict;
  const place = rootPaths(ctx);
  const named = (file: string) => place(file).path;
  // The counts head the document and each suite, so a first pass over the problems counts
  // them; the second writes them. Suites are per file name, in the order of the files.
  const suites = new Map<string, { problems: number; failures: number }>();
  for (const f of result.files) suites.set(f.file, { problems: 0, failures: 0 });
  for (const p of result.problems) {
    const suite = suites.get(p.file);
    if (!suite) continue;
    suite.problems++;
    if (fails(p)) suite.failures++;
  }
  let total = 0;
  let failures = 0;
  for (const s of suites.values()) {
    total += Math.max(1, s.problems);
    failures += s.failures;
  }
  yield '<?xml version="1.0" encoding="UTF-8"?>';
  const command = ctx.command ?? 'opsmeter validate';
  yield `<testsuites name="${xml(command)}" tests="${total}" failures="${failures}" errors="0">`;
  // Problems arrive file by file, so each suite's are the next ones, unless two files share
  // a name (one suite for both): then the problems are grouped in memory first.
  const shared = suites.size < result.files.length;
  const grouped = shared ? groupByFile(result.problems) : undefined;
  const stream = result.problems[Symbol.iterator]();
  for (const [file, suite] of suites) {
    yield `  <testsuite name="${xml(named(file))}" tests="${Math.max(1, suite.problems)}" failures="${suite.failures}" errors="0">`;
    if (suite.problems === 0) yield `    <testcase name="${xml(named(file))}" classname="opsmeter.validate"/>`;
    const mine = grouped?.get(file)?.[Symbol.iterator]() ?? stream;
    for (let i = 0; i < suite.problems; i++) {
      const p = mine.next().value as Problem;
      const name = xml(`${named(file)}:${p.line}:${p.column} ${p.rule}`);
      const text = xml(`${named(p.file)}:${p.line}:${p.column} ${p.pointer} ${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`);
      if (fails(p)) {
        yield `    <testcase name="${name}" classname="${xml(p.rule)}">\n      <failure type="${p.severity}" message="${xml(p.message)}">${text}</failure>\n    </testcase>`;
      } else {
        yield `    <testcase name="${name}" classname="${xml(p.rule)}">\n      <system-out>warning: ${text}</system-out>\n    </testcase>`;
      }
    }
    yield '  </testsuite>';
  }
  yield '</testsuites>';
}

function groupByFile(problems: Iterable<Problem>): Map<string, Problem[]> {
  const byFile = new Map<string, Problem[]>();
  for (const p of problems) {
    const list = byFile.get(p.file);
    if (list) list.push(p);
    else byFile.set(p.file, [p]);
  }
  return byFile;
}
