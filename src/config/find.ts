/**
 * Finding opsmeter.config.json as ESLint and Spectral users expect: in the current folder
 * or the nearest parent, stopping at the git root (a folder holding `.git`, a directory
 * or a worktree's file) so a config outside the repository never applies by surprise.
 * Only `existsSync` calls: a run without a config loads nothing else (no zod).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { foldersUpToWorkTree } from '../work-tree.js';
import { CONFIG_FILE_NAME } from '../tool-files.js';

export function findConfigFile(from: string): string | undefined {
  for (const { dir } of foldersUpToWorkTree(from)) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
