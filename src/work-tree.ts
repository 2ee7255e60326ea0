/**
 * The git work tree a path is in: the nearest folder at or above it that holds `.git` (a
 * directory, or the file a linked worktree or a submodule has). Config discovery stops there,
 * report paths start there, and the .gitignore files that apply are read from there down.
 * Only `existsSync` calls, no git process: a clone without git installed works alike.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The folders from `from` upwards, up to and including the work tree's root (or the file system's root outside one). */
export function* foldersUpToWorkTree(from: string): Generator<{ dir: string; isWorkTreeRoot: boolean }> {
  let dir = resolve(from);
  for (;;) {
    const isWorkTreeRoot = existsSync(join(dir, '.git'));
    yield { dir, isWorkTreeRoot };
    const parent = dirname(dir);
    if (isWorkTreeRoot || parent === dir) return;
    dir = parent;
  }
}

/** The root of the git work tree holding `from`, or undefined when it is in none. */
export function gitWorkTree(from: string): string | undefined {
  for (const { dir, isWorkTreeRoot } of foldersUpToWorkTree(from)) if (isWorkTreeRoot) return dir;
  return undefined;
}
