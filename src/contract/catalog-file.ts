/**
 * Which catalog a run checks against, read from disk: `--catalog FILE` (or the API's
 * `catalog` option), else the cache `opsmeter catalog --fetch` writes, else the built-in
 * snapshot. One resolution for the CLI and the programmatic API, so both judge alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EXIT, OpsmeterError } from '../errors.js';
import { builtinCatalog, catalogFromJson, type Catalog } from './catalog.js';

/** Where `opsmeter catalog --fetch` keeps the refreshed catalog. */
export function catalogCachePath(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'opsmeter', 'catalog.json');
}

/** `file`, else the fetched cache, else the built-in snapshot. */
export function loadCatalog(file: string | undefined): Catalog {
  const path = file ?? (existsSync(catalogCachePath()) ? catalogCachePath() : undefined);
  if (!path) return builtinCatalog();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new OpsmeterError(`cannot read catalog ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.usage);
  }
  try {
    return catalogFromJson(JSON.parse(text), path);
  } catch (e) {
    throw new OpsmeterError(`catalog ${path} is not usable: ${(e as Error).message}`, EXIT.usage, file ? undefined : 'delete it or run `opsmeter catalog --fetch` again');
  }
}

/** How summaries name a catalog: "built-in snapshot, 2025-09-05". */
export function describeCatalog(c: Catalog): string {
  return `${c.source}, ${c.date}`;
}
