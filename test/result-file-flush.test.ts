/**
 * A result file's early flush that fails (src/result-file.ts, ResultFile.wrote): the file fails
 * as on a failed write — commit() throws, and nothing is left under its name. The disk's error
 * is simulated: fdatasync answers EIO.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fdatasync = (_fd: number, cb: (e: NodeJS.ErrnoException | null) => void) =>
    setImmediate(() => cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5 })));
  return { ...fs, default: { ...fs, fdatasync }, fdatasync };
});

const { ResultFile, ResultFileError } = await import('../src/result-file.js');

const dir = mkdtempSync(join(tmpdir(), 'opsmeter-result-flush-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ResultFile early flush', () => {
  it('an early flush that fails fails the file: commit() throws with the error in words, nothing under the name', async () => {
    const file = await ResultFile.open(join(dir, 'out.jsonl'), { flushEvery: 1 });
    await new Promise<void>((resolve) => file.stream.write('{"a":1}\n', () => resolve()));
    file.wrote();
    file.stream.end();
    const done = file.commit();
    await expect(done).rejects.toThrow(ResultFileError);
    await expect(done).rejects.toThrow(/cannot write .*out\.jsonl: i\/o error \(EIO\)|cannot write .*out\.jsonl: .*EIO/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
