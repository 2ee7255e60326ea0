/**
 * Expands the paths a user gives into sources: files as they are, directories recursively
 * (only payload extensions), globs (`*`, `**`, `?`, `{a,b}`), and "-" for stdin.
 */
import { EXIT, OpsmeterError } from '../errors.js';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { formatFromExtension, type Source } from './records.js';

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
const GLOB_CHARS = /[*?{[]/;

export interface ExpandOptions {
  stdinName?: string;
  /** Which files a directory contributes (default: payload files). */
  include?: RegExp;
}

export async function expandPaths(paths: readonly string[], opts: ExpandOptions = {}): Promise<{ sources: Source[]; emptyMatches: string[] }> {
  const sources: Source[] = [];
  const emptyMatches: string[] = [];
  const seen = new Set<string>();
  const include = opts.include ?? PAYLOAD_EXT;
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
      if (GLOB_CHARS.test(p)) {
        const matched = await glob(p);
        if (matched.length === 0) emptyMatches.push(p);
        matched.forEach(add);
        continue;
      }
      throw new PathError(`${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
    }
    if (st.isDirectory()) {
      const files = await walk(p, include);
      if (files.length === 0) emptyMatches.push(p);
      files.forEach(add);
    } else {
      add(p);
    }
  }
  return { sources, emptyMatches };
}

async function walk(dir: string, include: RegExp): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(full, include)));
    else if (e.isFile() && include.test(e.name)) out.push(full);
  }
  return out;
}

/** Glob → RegExp over '/'-separated relative paths. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end === -1) re += '\\{';
      else {
        re += '(?:' + pattern.slice(i + 1, end).split(',').map(escapeRe).join('|') + ')';
        i = end;
      }
    } else re += escapeRe(c);
  }
  return new RegExp('^' + re + '$');
}

function escapeRe(s: string): string {
  return s.replace(/[.+^$()|[\]\\]/g, '\\$&');
}

async function glob(pattern: string): Promise<string[]> {
  const norm = pattern.split(sep).join('/');
  const parts = norm.split('/');
  const firstGlob = parts.findIndex((s) => GLOB_CHARS.test(s));
  const base = parts.slice(0, firstGlob).join('/') || '.';
  const re = globToRegExp(parts.slice(firstGlob).join('/'));
  let files: string[];
  try {
    files = await walk(base, /./);
  } catch {
    return [];
  }
  // A glob selects exactly what it matches, whatever the extension.
  return files.filter((f) => re.test(relative(base, f).split(sep).join('/')));
}
