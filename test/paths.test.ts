/**
 * expandPaths: files as given, directories recursively (payload extensions only, dot
 * directories and node_modules skipped), globs (*, **, ?, {a,b}), "-" for stdin, and the
 * "matched nothing" cases validate turns into exit 2.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathError, expandPaths, globToRegExp } from '../src/read/paths.js';

let dir: string;
const rel = (paths: string[]) => paths.map((p) => relative(dir, p).split('\\').join('/'));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-paths-'));
  const files = [
    'a.json',
    'b.jsonl',
    'c.ndjson',
    'notes.txt',
    'UPPER.JSONL',
    'sub/d.jsonl',
    'sub/e.json',
    'sub/deeper/f.jsonl',
    'sub/deeper/g.csv',
    '.hidden/h.jsonl',
    'node_modules/pkg/i.json',
    'other/j.jsonl',
    'other/k.json',
    'empty/readme.md',
  ];
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), '{}\n');
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('expandPaths', () => {
  it('a directory: payload files only, recursively, sorted, skipping dot dirs and node_modules', async () => {
    const { sources, emptyMatches } = await expandPaths([dir]);
    expect(rel(sources.map((s) => s.path))).toEqual([
      'UPPER.JSONL',
      'a.json',
      'b.jsonl',
      'c.ndjson',
      'other/j.jsonl',
      'other/k.json',
      'sub/d.jsonl',
      'sub/deeper/f.jsonl',
      'sub/e.json',
    ]);
    expect(emptyMatches).toEqual([]);
  });

  it('the format comes from the extension (undefined = sniff)', async () => {
    const { sources } = await expandPaths([join(dir, 'a.json'), join(dir, 'b.jsonl'), join(dir, 'c.ndjson'), join(dir, 'notes.txt'), join(dir, 'UPPER.JSONL')]);
    expect(sources.map((s) => s.format)).toEqual(['json', 'jsonl', 'jsonl', undefined, 'jsonl']);
  });

  it('a file is taken as given, whatever its extension', async () => {
    const { sources } = await expandPaths([join(dir, 'sub/deeper/g.csv')]);
    expect(rel(sources.map((s) => s.path))).toEqual(['sub/deeper/g.csv']);
  });

  it('each file once, even when named twice', async () => {
    const { sources } = await expandPaths([join(dir, 'a.json'), dir, join(dir, 'a.json')]);
    expect(sources.filter((s) => s.path.endsWith('a.json'))).toHaveLength(1);
  });

  it('a glob with ** matches at any depth (including none)', async () => {
    const { sources } = await expandPaths([join(dir, '**/*.jsonl')]);
    expect(rel(sources.map((s) => s.path))).toEqual(['b.jsonl', 'other/j.jsonl', 'sub/d.jsonl', 'sub/deeper/f.jsonl']);
  });

  it('a glob with {a,b} and ?', async () => {
    const { sources } = await expandPaths([join(dir, 'sub/*.{json,jsonl}'), join(dir, '?.ndjson')]);
    expect(rel(sources.map((s) => s.path))).toEqual(['sub/d.jsonl', 'sub/e.json', 'c.ndjson']);
  });

  it('a glob selects what it matches, even non-payload extensions', async () => {
    const { sources } = await expandPaths([join(dir, '**/*.csv')]);
    expect(rel(sources.map((s) => s.path))).toEqual(['sub/deeper/g.csv']);
  });

  it('a glob matching nothing and a directory without payload files are reported, not errors', async () => {
    const r = await expandPaths([join(dir, '**/*.yaml'), join(dir, 'empty'), join(dir, 'nope/*.json')]);
    expect(r.sources).toEqual([]);
    expect(r.emptyMatches).toEqual([join(dir, '**/*.yaml'), join(dir, 'empty'), join(dir, 'nope/*.json')]);
  });

  it('a missing plain path is a PathError naming it', async () => {
    await expect(expandPaths([join(dir, 'missing.jsonl')])).rejects.toThrow(PathError);
    await expect(expandPaths([join(dir, 'missing.jsonl')])).rejects.toThrow(`${join(dir, 'missing.jsonl')}: no such file or directory`);
  });

  it('"-" is stdin, named by --stdin-filename whose extension picks the format', async () => {
    expect((await expandPaths(['-'])).sources).toEqual([{ name: '<stdin>', path: '-', format: undefined }]);
    expect((await expandPaths(['-'], { stdinName: 'events.jsonl' })).sources).toEqual([{ name: 'events.jsonl', path: '-', format: 'jsonl' }]);
    expect((await expandPaths(['-'], { stdinName: 'event.json' })).sources[0]!.format).toBe('json');
  });

  it('relative globs resolve against the working directory', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const { sources } = await expandPaths(['other/*.json*']);
      expect(sources.map((s) => s.path)).toEqual(['other/j.jsonl', 'other/k.json']);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('globToRegExp', () => {
  it.each([
    ['*.jsonl', 'a.jsonl', true],
    ['*.jsonl', 'sub/a.jsonl', false],
    ['**/*.jsonl', 'a.jsonl', true],
    ['**/*.jsonl', 'x/y/a.jsonl', true],
    ['logs/**', 'logs/a/b.json', true],
    ['a?.json', 'ab.json', true],
    ['a?.json', 'a/.json', false],
    ['*.{json,jsonl}', 'a.json', true],
    ['*.{json,jsonl}', 'a.ndjson', false],
    ['a.b', 'axb', false],
    ['(x)+.json', '(x)+.json', true],
  ])('%s vs %s → %s', (glob, path, match) => {
    expect(globToRegExp(glob).test(path)).toBe(match);
  });
});
