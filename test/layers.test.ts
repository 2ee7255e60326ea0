/**
 * The layers run one way: the entry points (`src/cli/`, and `src/api/`, the programmatic API)
 * → the core modules (validate, importers, ingest, emulator, smoke, report) → the foundations
 * (contract, read, and the neutral modules at the top of src/: errors, terminal, problem,
 * version). This reads every import specifier in src/ and fails naming the file and the
 * import that runs the wrong way. Only the entry points read OPSMETER_* environment
 * variables: the core is given what they say (options, parameters).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Top-level area of a path inside src/: "cli", "contract", … or "." for src/*.ts. */
const areaOf = (file: string) => {
  const rel = relative(SRC, file).split('/');
  return rel.length === 1 ? '.' : rel[0]!;
};

/** Relative import specifiers (static, dynamic and `import type`) of one file. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) found.push(m[1]!);
  return found;
}

const FOUNDATIONS = new Set(['contract', 'read', '.']);
const files = sourceFiles(SRC);
const edges = files.flatMap((file) => importsOf(file).map((spec) => ({ file, spec, from: areaOf(file), to: areaOf(resolve(dirname(file), spec)) })));

describe('layers', () => {
  it('finds the imports it checks (the scan is not empty)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(edges.some((e) => e.from === 'cli' && e.to === 'importers')).toBe(true);
  });

  it('no module below src/cli/ imports src/cli/', () => {
    const wrong = edges.filter((e) => e.from !== 'cli' && e.to === 'cli').map((e) => `${relative(ROOT, e.file)} imports ${e.spec}`);
    expect(wrong).toEqual([]);
  });

  it('nothing imports src/api/ (an entry point), and src/api/ does not import src/cli/', () => {
    const wrong = edges.filter((e) => (e.from !== 'api' && e.to === 'api') || (e.from === 'api' && e.to === 'cli')).map((e) => `${relative(ROOT, e.file)} imports ${e.spec}`);
    expect(wrong).toEqual([]);
    expect(edges.some((e) => e.from === 'api' && e.to === 'validate')).toBe(true);
  });

  it('contract/, read/ and the neutral top-level modules import only foundations', () => {
    const wrong = edges
      .filter((e) => FOUNDATIONS.has(e.from) && !FOUNDATIONS.has(e.to))
      .map((e) => `${relative(ROOT, e.file)} imports ${e.spec}`);
    expect(wrong).toEqual([]);
  });

  it('source comments cite files the repo ships (docs/), not the steering notes a clone lacks', () => {
    const outside = /\b(PRODUCT\.md|provider-formats\.md|opsmeter-api\.md|cli-anchors\.md)\b/;
    const wrong = files.filter((f) => outside.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
    expect(wrong).toEqual([]);
  });

  it('every docs/ file a source comment cites exists', () => {
    const cited = new Set(files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\bdocs\/([\w.-]+\.md)\b/g)].map((m) => m[1]!)));
    expect(cited.size).toBeGreaterThan(3);
    const missing = [...cited].filter((d) => !existsSync(join(ROOT, 'docs', d)));
    expect(missing).toEqual([]);
  });
});

/** Code without its comments (a comment may name a variable it does not read). */
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
const codeOf = (file: string) => withoutComments(readFileSync(file, 'utf8'));

/**
 * A file reads OPSMETER_* variables when its code does `process.env.OPSMETER_X` or
 * `process.env['OPSMETER_X']`, or uses process.env at all while naming an OPSMETER_ variable
 * (a lookup by a name held elsewhere, `env = process.env` as a default parameter).
 */
const opsmeterVariablesRead = (code: string): string[] => {
  if (!/\bprocess\.env\b/.test(code)) return [];
  return [...new Set([...code.matchAll(/\bOPSMETER_[A-Z0-9_]+/g)].map((m) => m[0]))].sort();
};

/** Entry points outside src/cli/ that read the environment, with what and why. */
const ALLOWED: Record<string, { reads: string[]; why: string }> = {
  'src/api/index.ts': {
    reads: ['OPSMETER_CATALOG'],
    why: "the programmatic API is an entry point too; its default catalog is the CLI's (docs/api.md, Environment)",
  },
};

describe('environment variables', () => {
  const readers = Object.fromEntries(
    files
      .filter((f) => areaOf(f) !== 'cli')
      .map((f) => [relative(ROOT, f), opsmeterVariablesRead(codeOf(f))] as const)
      .filter(([, names]) => names.length > 0),
  );

  it('the check sees a read (src/cli/ reads several)', () => {
    const cli = files.filter((f) => areaOf(f) === 'cli').flatMap((f) => opsmeterVariablesRead(codeOf(f)));
    expect(cli).toContain('OPSMETER_HASH_SALT'); // import's --hash-user-ids, read by commander
    expect(opsmeterVariablesRead("const k = process.env['OPSMETER_X'];")).toEqual(['OPSMETER_X']);
    expect(opsmeterVariablesRead('function f(env = process.env) { return env.OPSMETER_Y; }')).toEqual(['OPSMETER_Y']);
    expect(opsmeterVariablesRead(withoutComments('const a = 1; // process.env.OPSMETER_Z, in a comment'))).toEqual([]);
    // The core takes the environment as a parameter: naming the variables is not reading them.
    expect(opsmeterVariablesRead(codeOf(join(SRC, 'ingest', 'config.ts')))).toEqual([]);
  });

  it('no module outside src/cli/ reads OPSMETER_* variables, but the listed entry points (an entry that no longer reads is removed too)', () => {
    const expected = Object.fromEntries(Object.entries(ALLOWED).map(([file, a]) => [file, a.reads]));
    expect(readers, 'a core module reads the environment: take the value as an option or parameter, and read it in src/cli/').toEqual(expected);
  });
});
