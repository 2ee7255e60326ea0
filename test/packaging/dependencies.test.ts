/**
 * package.json's runtime dependencies are exactly the packages src/ imports: a package only
 * benches or tests use (csv-parse, the CSV bench's baseline) is a devDependency, so a user's
 * install does not fetch it, and nothing src/ imports is missing from a user's install. And
 * `engines` names the Node.js majors CI tests: the machine's (20) and those .ci/run installs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  engines: { node: string };
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The packages a file imports (static, dynamic and type imports), by package name. */
function packagesOf(file: string): string[] {
  // Comments name packages too (`import … from 'opsmeter'` in a usage note): not imports.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'".][^'"]*)['"]/g)) {
    const spec = m[1]!;
    if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
    found.push(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return found;
}

describe('runtime dependencies', () => {
  const imported = new Set(sources(join(ROOT, 'src')).flatMap(packagesOf));

  it('every package src/ imports is a runtime dependency', () => {
    expect(imported.size).toBeGreaterThan(5);
    expect([...imported].filter((p) => pkg.dependencies[p] === undefined)).toEqual([]);
  });

  it('every runtime dependency is imported by src/ (csv-parse, used only by a bench, is a devDependency)', () => {
    expect(Object.keys(pkg.dependencies).filter((p) => !imported.has(p))).toEqual([]);
    expect(pkg.devDependencies['csv-parse']).toBeDefined();
  });
});

describe('engines', () => {
  it('names exactly the Node.js majors CI runs the tests on: 20.19+ (the machine\'s) and the ones .ci/run installs', () => {
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    const installed = /^for major in ([\d ]+); do$/m.exec(ci)![1]!.split(' ');
    expect(installed).toEqual(['22', '24']);
    const ranges = pkg.engines.node.split(' || ');
    expect(ranges).toEqual(['^20.19.0', ...installed.map((m) => `^${m}.${m === '22' ? '12' : '0'}.0`)]);
    // 22.12 is the first 22 that loads ES modules from require() unflagged (the API's CommonJS use), as 20.19 is for 20.
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(20);
  });
});
