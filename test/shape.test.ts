/**
 * The shape of the code, held by a test so that it does not drift back (README "Development",
 * issue 20): no function in src/ over 250 lines, and the two pipelines' main functions short
 * loops with few mutable bindings — their state lives in the classes that apply a row
 * (importers/apply.ts, validate/run.ts), where it has names.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const SRC = join(ROOT, 'src');
const MAX_FUNCTION_LINES = 250;
const PIPELINE_LOOPS = [
  { file: 'src/importers/run.ts', name: 'runImport' },
  { file: 'src/validate/validate.ts', name: 'validateSourcesStreamed' },
];
const MAX_LOOP_LINES = 120;
const MAX_LOOP_LETS = 6;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

interface FunctionShape {
  file: string;
  name: string;
  lines: number;
  /** `let` bindings declared anywhere in the body, nested functions included (they share the closure's state). */
  lets: number;
}

function nameOf(node: ts.Node): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isFunctionExpression(node)) && node.name) return node.name.getText();
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText();
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText();
  return '(anonymous)';
}

function countLets(body: ts.Node): number {
  let lets = 0;
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclarationList(n) && n.flags & ts.NodeFlags.Let) lets += n.declarations.length;
    ts.forEachChild(n, visit);
  };
  visit(body);
  return lets;
}

function functionsIn(path: string): FunctionShape[] {
  const text = readFileSync(path, 'utf8');
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const out: FunctionShape[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      out.push({ file: relative(ROOT, path), name: nameOf(node), lines: end - start + 1, lets: countLets(node.body as ts.Node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

const shapes = sourceFiles(SRC).flatMap(functionsIn);

describe('the shape of src/', () => {
  it('finds the functions it measures', () => {
    // A parse that found nothing would pass every check below.
    expect(shapes.length).toBeGreaterThan(500);
    expect(shapes.some((s) => s.name === 'runImport')).toBe(true);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = shapes.filter((s) => s.lines > MAX_FUNCTION_LINES).map((s) => `${s.file}: ${s.name} (${s.lines} lines)`);
    expect(long).toEqual([]);
  });

  for (const { file, name } of PIPELINE_LOOPS) {
    it(`keeps ${name} a short loop (≤ ${MAX_LOOP_LINES} lines, ≤ ${MAX_LOOP_LETS} let bindings)`, () => {
      const found = shapes.filter((s) => s.file === file && s.name === name);
      expect(found).toHaveLength(1);
      expect(found[0]!.lines).toBeLessThanOrEqual(MAX_LOOP_LINES);
      expect(found[0]!.lets).toBeLessThanOrEqual(MAX_LOOP_LETS);
    });
  }

  it('counts lines and let bindings as it claims', () => {
    const probe = ts.createSourceFile('probe.ts', 'function f() {\n  let a = 1, b = 2;\n  const g = () => { let c = a; return c + b; };\n  return g();\n}\n', ts.ScriptTarget.Latest, true);
    const fn = probe.statements[0] as ts.FunctionDeclaration;
    expect(countLets(fn.body!)).toBe(3);
  });
});
