/**
 * JUnit XML (one testsuite per file, one testcase per problem; a clean file is one
 * passing testcase). Errors — and warnings under --strict — are <failure>s.
 */
import type { Problem } from '../problem.js';
import type { Renderer } from './types.js';

const xml = (s: string) =>
  s
    // XML 1.0 cannot carry most control characters, even escaped.
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

export const renderJunit: Renderer = (result, ctx) => {
  const byFile = new Map<string, Problem[]>();
  for (const f of result.files) byFile.set(f.file, []);
  for (const p of result.problems) byFile.get(p.file)?.push(p);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  let total = 0;
  let failures = 0;
  const suites: string[] = [];
  for (const [file, problems] of byFile) {
    const cases: string[] = [];
    let suiteFailures = 0;
    if (problems.length === 0) cases.push(`    <testcase name="${xml(file)}" classname="opsmeter.validate"/>`);
    for (const p of problems) {
      const fails = p.severity === 'error' || ctx.strict;
      const name = xml(`${file}:${p.line}:${p.column} ${p.rule}`);
      const text = xml(`${p.file}:${p.line}:${p.column} ${p.pointer} ${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`);
      if (fails) {
        suiteFailures++;
        cases.push(`    <testcase name="${name}" classname="${xml(p.rule)}">\n      <failure type="${p.severity}" message="${xml(p.message)}">${text}</failure>\n    </testcase>`);
      } else {
        cases.push(`    <testcase name="${name}" classname="${xml(p.rule)}">\n      <system-out>warning: ${text}</system-out>\n    </testcase>`);
      }
    }
    total += cases.length;
    failures += suiteFailures;
    suites.push(`  <testsuite name="${xml(file)}" tests="${cases.length}" failures="${suiteFailures}" errors="0">\n${cases.join('\n')}\n  </testsuite>`);
  }
  out.push(`<testsuites name="opsmeter validate" tests="${total}" failures="${failures}" errors="0">`);
  out.push(...suites);
  out.push('</testsuites>');
  return out.join('\n') + '\n';
};
