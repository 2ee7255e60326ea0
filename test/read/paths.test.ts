/**
 * expandPaths: files as given, directories recursively (payload extensions only, dot
 * directories and node_modules skipped), globs (*, **, ?, {a,b}), "-" for stdin, and the
 * "matched nothing" cases validate turns into exit 2.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathError, expandPaths, globRoot } from '../../src/read/paths.js';

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
    'sub/opsmeter.config.json',
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

  it("opsmeter's config file is no payload: skipped by directories and globs, read when named", async () => {
    expect(rel((await expandPaths([join(dir, '**/*.json')])).sources.map((s) => s.path))).not.toContain('sub/opsmeter.config.json');
    expect(rel((await expandPaths([join(dir, 'sub/opsmeter.config.json')])).sources.map((s) => s.path))).toEqual(['sub/opsmeter.config.json']);
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

describe('globs through picomatch', () => {
  // Files of their own, beside the shared tree (whose listings the tests above pin).
  beforeAll(() => {
    for (const f of ['classes/1.jsonl', 'classes/2.jsonl', 'classes/3.jsonl', 'classes/.dot.jsonl']) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), '{}\n');
    }
  });
  it('a character class: [12].jsonl matches 1.jsonl and 2.jsonl (it matched nothing before)', async () => {
    const { sources, emptyMatches } = await expandPaths([join(dir, 'classes/[12].jsonl')]);
    expect(rel(sources.map((s) => s.path))).toEqual(['classes/1.jsonl', 'classes/2.jsonl']);
    expect(emptyMatches).toEqual([]);
  });

  it('a dot file or dot folder the pattern names is matched; * alone does not match dot files', async () => {
    expect(rel((await expandPaths([join(dir, '.hidden/*.jsonl')])).sources.map((s) => s.path))).toEqual(['.hidden/h.jsonl']);
    expect(rel((await expandPaths([join(dir, 'classes/.*.jsonl')])).sources.map((s) => s.path))).toEqual(['classes/.dot.jsonl']);
    expect(rel((await expandPaths([join(dir, 'classes/*.jsonl')])).sources.map((s) => s.path))).toEqual(['classes/1.jsonl', 'classes/2.jsonl', 'classes/3.jsonl']);
  });

  it('node_modules is walked only when the pattern names it', async () => {
    expect(rel((await expandPaths([join(dir, '**/*.json')])).sources.map((s) => s.path))).not.toContain('node_modules/pkg/i.json');
    expect(rel((await expandPaths([join(dir, 'node_modules/**/*.json')])).sources.map((s) => s.path))).toEqual(['node_modules/pkg/i.json']);
  });

  it('a pattern starting /* starts at the root, one level deep, not in the working directory', async () => {
    expect(globRoot('/*.jsonl')).toEqual({ base: '/', glob: '*.jsonl', maxDepth: 1 });
    expect(globRoot('/*/x.jsonl')).toEqual({ base: '/', glob: '*/x.jsonl', maxDepth: 2 });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      // b.jsonl is in the working directory; "/*.jsonl" must not find it there.
      const { sources } = await expandPaths(['/*.jsonl']);
      expect(sources.map((s) => s.path)).not.toContain('b.jsonl');
      expect(sources.every((s) => s.path.startsWith('/'))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it('without ** the walk goes no deeper than the pattern; with ** it goes all the way', () => {
    expect(globRoot('logs/*/*.json')).toMatchObject({ base: 'logs', maxDepth: 2 });
    expect(globRoot('logs/**/*.json')).toMatchObject({ base: 'logs', maxDepth: Infinity });
    expect(globRoot('[12].jsonl')).toMatchObject({ base: '.', maxDepth: 1 });
  });

  it('an existing path with glob characters is taken literally', async () => {
    mkdirSync(join(dir, 'lit'), { recursive: true });
    writeFileSync(join(dir, 'lit', '[1].jsonl'), '{}\n');
    writeFileSync(join(dir, 'lit', '1.jsonl'), '{}\n');
    expect(rel((await expandPaths([join(dir, 'lit/[1].jsonl')])).sources.map((s) => s.path))).toEqual(['lit/[1].jsonl']);
  });
});
