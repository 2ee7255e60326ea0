/**
 * Expands the paths a user gives into sources: files as they are, directories recursively
 * (only payload extensions), globs (picomatch: `*`, `**`, `?`, `[12]`, `{a,b}`), and "-" for
 * stdin. A path that exists is taken literally even when it holds glob characters.
 *
 * Walks (directories and globs) skip dot folders (VCS folders among them) and
 * `node_modules`; a walk for payloads also skips what the repository's .gitignore files
 * ignore and JSON files well known not to be payloads (walk-rules.ts). A file named on the
 * command line is always read.
 */
import { EXIT, OpsmeterError } from '../errors.js';
import { readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import picomatch from 'picomatch';
import { formatFromExtension, type Source } from './records.js';
import { isToolFile } from '../tool-files.js';
import { GitignoreRules, isNonPayloadFile } from './walk-rules.js';

/** A path that cannot be read or expanded (exit 2). */
export class PathError extends OpsmeterError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
  }
}

/** Directories and globs that gave no payload files: a usage error (validate's CLI and API). */
export function noPayloadFiles(emptyMatches: readonly string[], hint: string): PathError {
  return new PathError(`no payload files (*.json, *.jsonl, *.ndjson) in ${emptyMatches.map((p) => `"${p}"`).join(', ')}`, hint);
}

const PAYLOAD_EXT = /\.(json|jsonl|ndjson)$/i;

export interface ExpandOptions {
  stdinName?: string;
  /**
   * Which files a directory contributes (default: payload files). A walk for other files
   * (import's provider exports, often kept in a folder .gitignore'd for what it holds)
   * reads what .gitignore ignores and any JSON name.
   */
  include?: RegExp;
}

/** What a walk leaves out: dot folders and node_modules always; for payloads, also ignored and non-payload files. */
interface WalkFilter {
  /** .gitignore rules (payload walks inside a git work tree). */
  gitignore?: GitignoreRules;
  /** Skip JSON files well known not to be payloads (payload walks). */
  payloadsOnly: boolean;
}

async function walkFilter(start: string, payloadsOnly: boolean): Promise<WalkFilter> {
  if (!payloadsOnly) return { payloadsOnly };
  const gitignore = await GitignoreRules.forWalk(start);
  return gitignore ? { payloadsOnly, gitignore } : { payloadsOnly };
}

export async function expandPaths(paths: readonly string[], opts: ExpandOptions = {}): Promise<{ sources: Source[]; emptyMatches: string[] }> {
  const sources: Source[] = [];
  const emptyMatches: string[] = [];
  const seen = new Set<string>();
  const include = opts.include ?? PAYLOAD_EXT;
  const payloadsOnly = opts.include === undefined;
  const add = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    sources.push({ name: path, path, format: formatFromExtension(path) });
  };
  for (const p of paths) {
    if (p === '-') {
      sources.push({ name: opts.stdinName ?? '<stdin>', path: '-', format: opts.stdinName ? formatFromExtension(opts.stdinName) : undefined });
      continue;
    }
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      if (picomatch.scan(p).isGlob) {
        const matched = await glob(p, payloadsOnly);
        if (matched.length === 0) emptyMatches.push(p);
        matched.forEach(add);
        continue;
      }
      throw new PathError(`${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
    }
    if (st.isDirectory()) {
      const files = await walk(p, include, await walkFilter(p, payloadsOnly));
      if (files.length === 0) emptyMatches.push(p);
      files.forEach(add);
    } else {
      add(p);
    }
  }
  return { sources, emptyMatches };
}

async function walk(dir: string, include: RegExp, filter: WalkFilter): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  await filter.gitignore?.enter(dir, entries.map((e) => e.name));
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      if (!filter.gitignore?.ignores(full, true)) out.push(...(await walk(full, include, filter)));
    } else if (e.isFile() && include.test(e.name) && !isToolFile(e.name) && !skipped(filter, full, e.name)) {
      out.push(full);
    }
  }
  return out;
}

/** A payload walk's file that is ignored or no payload by its name. */
function skipped(filter: WalkFilter, full: string, name: string): boolean {
  return filter.payloadsOnly && (isNonPayloadFile(name) || filter.gitignore?.ignores(full, false) === true);
}

/**
 * Where a glob's walk starts and how deep it may go: the literal prefix (picomatch's scan,
 * so `/*.jsonl` starts at "/" rather than at the working directory) and, without `**`, no
 * deeper than the pattern has segments (so `/*.jsonl` reads one directory, not the disk).
 */
export function globRoot(pattern: string): { base: string; glob: string; maxDepth: number } {
  const { base, glob } = picomatch.scan(pattern.split(sep).join('/'));
  const segments = glob.split('/');
  return { base: base || '.', glob, maxDepth: segments.some((s) => s.includes('**')) ? Infinity : segments.length };
}

/**
 * Files a glob matches, sorted. Matching is picomatch's (character classes, braces,
 * extglobs); `*` and `**` do not match dot files or folders unless the pattern names them
 * (`.hidden/*.jsonl`, or a `.` at the start of a segment), as in a shell. node_modules and .git
 * are walked only when the pattern names them. A payload glob skips what .gitignore ignores
 * below its literal start, and the well-known non-payload names unless its last segment is
 * one written out (`apps/{web,api}/package.json`).
 */
async function glob(pattern: string, payloadsOnly: boolean): Promise<string[]> {
  const root = globRoot(pattern);
  const matches = picomatch(root.glob, { dot: false });
  const named = new Set(root.glob.split('/'));
  const lastSegment = root.glob.split('/').at(-1) ?? '';
  // `{package,tsconfig}.json` writes its names out; `*.json` and `[pt]*.json` do not.
  const namesItsFile = !/[*?[]|[@!+]\(/.test(lastSegment);
  const filter = await walkFilter(root.base, payloadsOnly);
  const out: string[] = [];
  const visit = async (dir: string, rel: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // an unreadable folder matches nothing, as in a shell
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    await filter.gitignore?.enter(dir, entries.map((e) => e.name));
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if ((e.name === 'node_modules' || e.name === '.git') && !named.has(e.name)) continue;
        if (filter.gitignore?.ignores(full, true)) continue;
        if (depth + 1 < root.maxDepth) await visit(full, path, depth + 1);
      } else if (e.isFile() && matches(path) && !isToolFile(e.name)) {
        if (filter.payloadsOnly && filter.gitignore?.ignores(full, false)) continue;
        if (filter.payloadsOnly && !namesItsFile && isNonPayloadFile(e.name)) continue;
        out.push(full);
      }
    }
  };
  await visit(root.base, '', 0);
  return out;
}
