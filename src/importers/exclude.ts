/**
 * `import --exclude GLOB`: files the paths expand to that the import does not read. A glob
 * with a slash matches the file's path as the import names it (relative paths stay relative:
 * `logs/archive/**`); one without matches the file's name in any folder (`*.csv`), as a
 * .gitignore line does. Matching is picomatch's, as for the paths themselves
 * (src/read/paths.ts), with dot files included: leaving a file out is never a surprise.
 * Stdin is never excluded. docs/import.md "--exclude".
 */
import picomatch from 'picomatch';
import type { Source } from '../read/records.js';

export function excludeSources(sources: readonly Source[], globs: readonly string[]): { kept: Source[]; excluded: Source[] } {
  if (globs.length === 0) return { kept: [...sources], excluded: [] };
  // picomatch's own `basename` option also applies to globs with a slash (and then never matches): the two kinds are kept apart.
  const byPath = picomatch(
    globs.filter((g) => g.includes('/')),
    { dot: true },
  );
  const byName = picomatch(
    globs.filter((g) => !g.includes('/')),
    { dot: true },
  );
  const kept: Source[] = [];
  const excluded: Source[] = [];
  for (const s of sources) {
    const path = s.path.split('\\').join('/').replace(/^(\.\/)+/, '');
    if (s.path !== '-' && (byPath(path) || byName(path.slice(path.lastIndexOf('/') + 1)))) excluded.push(s);
    else kept.push(s);
  }
  return { kept, excluded };
}
