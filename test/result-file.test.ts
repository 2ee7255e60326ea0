/**
 * Result files (src/result-file.ts): under their final name only when complete, never torn,
 * a failed run leaving nothing that looks like a result, temp files gone however the process
 * exits, and targets that are not regular files written directly.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWriteError, ResultFile, ResultFileError, writeResultFile } from '../src/result-file.js';
import { ROOT } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'opsmeter-result-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const folder = () => {
  const d = join(dir, `case-${n++}`);
  mkdirSync(d);
  return d;
};

describe('ResultFile', () => {
  it('writes beside the name, and only commit() puts the file under it', async () => {
    const d = folder();
    const file = await ResultFile.open(join(d, 'out.jsonl'));
    file.stream.write('{"a":1}\n');
    const during = readdirSync(d);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^\.out\.jsonl\.\d+-\d+\.tmp$/);
    file.stream.end('{"a":2}\n');
    await file.commit();
    expect(readdirSync(d)).toEqual(['out.jsonl']);
    expect(readFileSync(join(d, 'out.jsonl'), 'utf8')).toBe('{"a":1}\n{"a":2}\n');
  });

  it('a large file is flushed to disk as it grows (wrote()), and its content is whole', async () => {
    const d = folder();
    const file = await ResultFile.open(join(d, 'out.jsonl'), { flushEvery: 1024 });
    const line = '{"a":"' + 'x'.repeat(500) + '"}\n';
    for (let i = 0; i < 40; i++) {
      await new Promise<void>((resolve) => file.stream.write(line, () => resolve()));
      file.wrote();
    }
    file.stream.end();
    await file.commit();
    expect(readFileSync(join(d, 'out.jsonl'), 'utf8')).toBe(line.repeat(40));
  });

  it('a writer that ends while an early flush runs: the file is committed whole', async () => {
    const d = folder();
    const file = await ResultFile.open(join(d, 'out.jsonl'), { flushEvery: 1 });
    await new Promise<void>((resolve) => file.stream.write('{"a":1}\n', () => resolve()));
    file.wrote();
    file.stream.end('{"a":2}\n');
    await file.commit();
    expect(readFileSync(join(d, 'out.jsonl'), 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    expect(readdirSync(d)).toEqual(['out.jsonl']);
  });

  it('replaces an older result only when the new one is complete', async () => {
    const d = folder();
    const path = join(d, 'report.json');
    writeFileSync(path, 'old');
    const file = await ResultFile.open(path);
    file.stream.write('new');
    expect(readFileSync(path, 'utf8')).toBe('old');
    file.stream.end();
    await file.commit();
    expect(readFileSync(path, 'utf8')).toBe('new');
  });

  it('discard() leaves nothing that looks like a result: no temp file, and no older file under the name', async () => {
    const d = folder();
    const path = join(d, 'out.jsonl');
    writeFileSync(path, 'a result of an earlier run\n');
    const file = await ResultFile.open(path);
    file.stream.write('half a li');
    file.discard();
    expect(readdirSync(d)).toEqual([]);
  });

  it('keepPartial() keeps what was written as <name>.partial, and nothing under the name', async () => {
    const d = folder();
    const path = join(d, 'out.jsonl');
    writeFileSync(path, 'old\n');
    const file = await ResultFile.open(path);
    file.stream.end('{"a":1}\n');
    expect(await file.keepPartial()).toBe(`${path}.partial`);
    expect(readdirSync(d)).toEqual(['out.jsonl.partial']);
    expect(readFileSync(`${path}.partial`, 'utf8')).toBe('{"a":1}\n');
  });

  it('a folder that cannot be written, or a directory as the name, fails at open with the name (exit 2)', async () => {
    const d = folder();
    const missing = ResultFile.open(join(d, 'no', 'such', 'out.json'));
    await expect(missing).rejects.toBeInstanceOf(ResultFileError);
    await expect(missing).rejects.toThrow(`cannot write ${join(d, 'no', 'such', 'out.json')}: no such file or directory (ENOENT)`);
    await expect(ResultFile.open(d)).rejects.toThrow(`cannot write ${d}: illegal operation on a directory (EISDIR)`);
    expect(((await ResultFile.open(d).catch((e: unknown) => e)) as ResultFileError).exitCode).toBe(2);
  });

  it('a symbolic link: the file it names is replaced, the link stays', async () => {
    const d = folder();
    writeFileSync(join(d, 'real.json'), 'old');
    symlinkSync('real.json', join(d, 'link.json'));
    await writeResultFile(join(d, 'link.json'), 'new');
    expect(readFileSync(join(d, 'real.json'), 'utf8')).toBe('new');
    expect(readFileSync(join(d, 'link.json'), 'utf8')).toBe('new');
    expect(readdirSync(d).sort()).toEqual(['link.json', 'real.json']);
  });

  it.skipIf(!existsSync('/dev/null'))('a target that is not a regular file (/dev/null) is written directly and never removed', async () => {
    await writeResultFile('/dev/null', 'discarded\n');
    const file = await ResultFile.open('/dev/null');
    file.discard();
    expect(existsSync('/dev/null')).toBe(true);
  });

  it('writeResultFile writes chunks as they come', async () => {
    const d = folder();
    await writeResultFile(join(d, 'r.txt'), ['a', 'b', 'c']);
    expect(readFileSync(join(d, 'r.txt'), 'utf8')).toBe('abc');
  });

  it('a process that exits before committing (a second Ctrl-C) leaves no temp file (the built module)', async () => {
    const d = folder();
    const script = `
      const { ResultFile } = await import(${JSON.stringify(join(ROOT, 'dist', 'result-file.js'))});
      const f = await ResultFile.open(${JSON.stringify(join(d, 'out.jsonl'))});
      f.stream.write('x'.repeat(100000), () => process.exit(130));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(130);
    expect(readdirSync(d)).toEqual([]);
  });

  it('system errors read as words with their code, without the temp file\'s path', () => {
    expect(describeWriteError(Object.assign(new Error("ENOSPC: no space left on device, write '/x/.out.tmp'"), { code: 'ENOSPC', errno: -28 }))).toBe('no space left on device (ENOSPC)');
    expect(describeWriteError(new Error('plain'))).toBe('plain');
  });
});
