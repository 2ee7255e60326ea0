/**
 * What a payload walk skips by default: .gitignore'd paths (nested files, negations,
 * directory-only patterns, .git/info/exclude), checked against git itself (`git ls-files`
 * over the same tree); JSON files well known not to be payloads; and what a user names, which
 * is always read. Walks for other files (import's `include`) skip none of it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandPaths } from '../../src/read/paths.js';
import { GitignoreRules, isNonPayloadFile, NON_PAYLOAD_NAMES } from '../../src/read/walk-rules.js';
import { gitWorkTree } from '../../src/work-tree.js';
import { ROOT } from '../helpers/cli.js';

const hasGit = spawnSync('git', ['--version'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-walk-rules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tree(root: string, files: Record<string, string>): string {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

const rel = (root: string, paths: string[]) => paths.map((p) => relative(root, p).split('\\').join('/')).sort();
const walked = async (root: string, path = root) => rel(root, (await expandPaths([path])).sources.map((s) => s.path));

describe('well-known non-payload JSON', () => {
  it.each([
    'package.json',
    'package-lock.json',
    'npm-shrinkwrap.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'tsconfig-base.json',
    'jsconfig.json',
    'opsmeter.config.json',
    'opsmeter.config.schema.json',
    'payload.schema.json',
    'composer.json',
    'renovate.json',
    'biome.json',
    'turbo.json',
    'appsettings.Development.json',
    'packages.lock.json',
  ])('%s is no payload', (name) => expect(isNonPayloadFile(name)).toBe(true));

  it.each(['events.json', 'payloads.jsonl', 'package.jsonl', 'mytsconfig.json', 'schema-v2.json', 'lock.json'])('%s may be one', (name) =>
    expect(isNonPayloadFile(name)).toBe(false),
  );
});

describe("the pre-commit hook's exclude says the same", () => {
  // A plain YAML scalar, and a regex Python's re and JavaScript read alike.
  const exclude = new RegExp(/^ {2}exclude: (.+)$/m.exec(readFileSync(join(ROOT, '.pre-commit-hooks.yaml'), 'utf8'))![1]!);
  const SAMPLES = [...NON_PAYLOAD_NAMES, 'opsmeter.config.json', 'opsmeter.config.schema.json', 'tsconfig.json', 'tsconfig.build.json', 'jsconfig.json', 'appsettings.Production.json', 'event.schema.json'];
  const PAYLOADS = ['events.json', 'payloads.jsonl', 'package.jsonl', 'mypackage.json', 'schema-v2.json', 'config.json', 'day-1.ndjson', 'tsconfig.jsonl'];

  it.each(SAMPLES)('%s: excluded by the hook, at the root and in a folder, and skipped by a walk', (name) => {
    expect(isNonPayloadFile(name)).toBe(true);
    expect(exclude.test(name)).toBe(true);
    expect(exclude.test(`apps/web/${name}`)).toBe(true);
  });

  it.each(PAYLOADS)('%s: neither excluded nor skipped', (name) => {
    expect(isNonPayloadFile(name)).toBe(false);
    expect(exclude.test(name)).toBe(false);
    expect(exclude.test(`payloads/${name}`)).toBe(false);
  });
});

describe('a payload walk in a git work tree', () => {
  let root: string;
  beforeAll(() => {
    root = tree(join(tmp, 'repo'), {
      '.git/info/exclude': 'local-only/\n',
      '.gitignore': ['# build output', 'dist/', '*.tmp.json', 'generated/**', '!generated/keep.json', 'logs/*.jsonl', '!logs/important.jsonl', '/top-only.json', 'cache'].join('\n'),
      'payloads/a.jsonl': '{}\n',
      'payloads/b.json': '{}\n',
      'payloads/x.tmp.json': '{}\n',
      'payloads/.gitignore': 'draft-*.jsonl\n!draft-final.jsonl\n',
      'payloads/draft-1.jsonl': '{}\n',
      'payloads/draft-final.jsonl': '{}\n',
      'payloads/nested/.gitignore': '/only-here.json\n',
      'payloads/nested/only-here.json': '{}\n',
      'payloads/nested/c.jsonl': '{}\n',
      'payloads/top-only.json': '{}\n',
      'top-only.json': '{}\n',
      'dist/out.json': '{}\n',
      'generated/gen.json': '{}\n',
      'generated/keep.json': '{}\n',
      'logs/day.jsonl': '{}\n',
      'logs/important.jsonl': '{}\n',
      'local-only/mine.jsonl': '{}\n',
      'cache/c.json': '{}\n',
      'src/cache': '',
      'package.json': '{"name":"x"}\n',
      'tsconfig.json': '{ // comments\n "compilerOptions": {}, }\n',
      'node_modules/pkg/package.json': '{}\n',
      'node_modules/pkg/data.json': '{}\n',
    });
  });

  it('finds its work tree by the .git folder', () => {
    expect(gitWorkTree(join(root, 'payloads', 'nested'))).toBe(root);
    expect(gitWorkTree(tmp)).toBeUndefined();
  });

  it('skips what .gitignore (nested, negated, anchored, directory-only) and .git/info/exclude ignore, and non-payload names', async () => {
    expect(await walked(root)).toEqual([
      'generated/keep.json',
      'logs/important.jsonl',
      'payloads/a.jsonl',
      'payloads/b.json',
      'payloads/draft-final.jsonl',
      'payloads/nested/c.jsonl',
      'payloads/top-only.json',
    ]);
  });

  it.skipIf(!hasGit)('agrees with git: what it walks is what `git ls-files --others --exclude-standard` lists, less the non-payload names', async () => {
    const git = spawnSync('git', ['init', '-q'], { cwd: root });
    expect(git.status).toBe(0);
    const listed = spawnSync('git', ['ls-files', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' });
    expect(listed.status).toBe(0);
    const byGit = listed.stdout
      .split('\0')
      .filter((f) => /\.(json|jsonl|ndjson)$/.test(f) && !f.startsWith('node_modules/') && !isNonPayloadFile(f.split('/').at(-1)!))
      .sort();
    expect(byGit.length).toBeGreaterThan(5);
    expect(await walked(root)).toEqual(byGit);
  });

  it('a walk from a sub-folder applies the .gitignore files above it', async () => {
    expect(await walked(root, join(root, 'payloads'))).toEqual(['payloads/a.jsonl', 'payloads/b.json', 'payloads/draft-final.jsonl', 'payloads/nested/c.jsonl', 'payloads/top-only.json']);
  });

  it('a folder named on the command line is walked even when ignored (or inside an ignored one), with the .gitignore files inside it', async () => {
    expect(await walked(root, join(root, 'dist'))).toEqual(['dist/out.json']);
    expect(await walked(root, join(root, 'local-only'))).toEqual(['local-only/mine.jsonl']);
    mkdirSync(join(root, 'dist', 'deep'));
    writeFileSync(join(root, 'dist', 'deep', 'd.jsonl'), '{}\n');
    writeFileSync(join(root, 'dist', '.gitignore'), 'out.json\n');
    expect(await walked(root, join(root, 'dist'))).toEqual(['dist/deep/d.jsonl']);
    expect(await walked(root, join(root, 'dist', 'deep'))).toEqual(['dist/deep/d.jsonl']);
    // A folder that is not ignored itself keeps the rules above it: `generated/**` ignores its files, not it.
    expect(await walked(root, join(root, 'generated'))).toEqual(['generated/keep.json']);
  });

  it('a file named on the command line is always read: ignored, or no payload by its name', async () => {
    const named = ['dist/out.json', 'payloads/x.tmp.json', 'package.json', 'tsconfig.json'].map((f) => join(root, f));
    expect(rel(root, (await expandPaths(named)).sources.map((s) => s.path))).toEqual(['dist/out.json', 'package.json', 'payloads/x.tmp.json', 'tsconfig.json']);
  });

  it('a glob skips ignored files and non-payload names, unless it writes the name out', async () => {
    expect(rel(root, (await expandPaths([join(root, '**/*.json')])).sources.map((s) => s.path))).toEqual(['generated/keep.json', 'payloads/b.json', 'payloads/top-only.json']);
    expect(rel(root, (await expandPaths([join(root, '*/package.json'), join(root, '{package,tsconfig}.json')])).sources.map((s) => s.path))).toEqual([
      'package.json',
      'tsconfig.json',
    ]);
  });

  it('a walk for other files (import: `include`) reads ignored files and any name', async () => {
    const all = rel(root, (await expandPaths([root], { include: /\.(json|jsonl)$/ })).sources.map((s) => s.path));
    expect(all).toEqual(expect.arrayContaining(['dist/out.json', 'logs/day.jsonl', 'package.json', 'tsconfig.json', 'payloads/draft-1.jsonl']));
    expect(all.some((f) => f.startsWith('node_modules/'))).toBe(false);
  });

  it('outside a git work tree no .gitignore applies (as in git), the names still do', async () => {
    const plain = tree(join(tmp, 'plain'), { '.gitignore': 'ignored/\n', 'ignored/a.jsonl': '{}\n', 'b.jsonl': '{}\n', 'package.json': '{}\n' });
    expect(await GitignoreRules.forWalk(plain)).toBeUndefined();
    expect(await walked(plain)).toEqual(['b.jsonl', 'ignored/a.jsonl']);
  });
});
