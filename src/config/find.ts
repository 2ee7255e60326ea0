/**
 * Finding opsmeter.config.json as ESLint and Spectral users expect: in the current folder
 * or the nearest parent, stopping at the git root (a folder holding `.git`, a directory
 * or a worktree's file) so a config outside the repository never applies by surprise.
 * Only `existsSync` calls: a run without a config loads nothing else (no zod).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CONFIG_FILE_NAME } from '../tool-files.js';

export function findConfigFile(from: string): string | undefined {
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    if (existsSync(join(dir, '.git'))) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
