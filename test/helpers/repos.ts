/** Throwaway git repositories for config discovery tests, and catching an expected failure. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export interface TempRepos {
  /** The folder they all live in (removed after the test file). */
  root: string;
  /** A fresh folder marked as a git root (a `.git` folder) holding the given files. */
  repo(files: Record<string, string>): string;
  /** A path under root that nothing uses yet (not created). */
  unused(name: string): string;
}

export function tempRepos(prefix: string): TempRepos {
  const root = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let dirs = 0;
  const unused = (name: string) => join(root, `${name}-${dirs++}`);
  return {
    root,
    unused,
    repo(files) {
      const dir = unused('repo');
      mkdirSync(join(dir, '.git'), { recursive: true });
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(join(dir, name, '..'), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      return dir;
    },
  };
}

/** The error a promise rejects with, or a function throws. */
export async function failure(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}
