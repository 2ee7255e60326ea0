/**
 * What a walk for payload files skips by default, so that `opsmeter validate .` in any
 * repository checks its payloads alone (docs/validate.md, "Inputs"):
 *
 * - paths the repository's `.gitignore` files ignore (nested ones and negations, as git reads
 *   them, with `.git/info/exclude`), when the walk is inside a git work tree;
 * - JSON files that are well known not to be payloads: package manifests and lock files,
 *   TypeScript and other tools' configs, JSON Schemas, opsmeter's own config.
 *
 * (Dot folders, VCS folders among them, and `node_modules` are skipped by the walk itself.)
 * A path named on the command line is never skipped by these rules; a directory named there is
 * walked with them. Matching .gitignore patterns is the `ignore` package's (the one ESLint and
 * many others use): git's rules have corners (`**`, anchoring, directory-only patterns,
 * escapes) that a hand-written matcher would get wrong. It loads only when a walk meets a
 * .gitignore file.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Ignore } from 'ignore';
import { isToolFile } from '../tool-files.js';
import { gitWorkTree } from '../work-tree.js';

/**
 * Names of JSON files that hold something other than payloads: package manifests and lock
 * files (npm, NuGet, Composer, Bower), TypeScript/JavaScript and build tools' configs, .NET
 * settings, API descriptions. `tsconfig*.json`, `jsconfig*.json`, `appsettings*.json` and
 * `*.schema.json` are matched by pattern below. The pre-commit hook's `exclude`
 * (.pre-commit-hooks.yaml) says the same as a regex; a test keeps the two in step.
 */
export const NON_PAYLOAD_NAMES: readonly string[] = [
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'bower.json',
  'composer.json',
  'packages.lock.json',
  'project.assets.json',
  'global.json',
  'launchSettings.json',
  'lerna.json',
  'nx.json',
  'project.json',
  'workspace.json',
  'angular.json',
  'turbo.json',
  'vercel.json',
  'now.json',
  'firebase.json',
  'renovate.json',
  'tslint.json',
  'biome.json',
  'deno.json',
  'babel.config.json',
  'jest.config.json',
  'cspell.json',
  'typedoc.json',
  'api-extractor.json',
  'tsdoc.json',
  'components.json',
  'manifest.json',
  'cdk.json',
  'cdk.context.json',
  'openapi.json',
  'swagger.json',
  'schema.json',
];
const NON_PAYLOAD_SET: ReadonlySet<string> = new Set(NON_PAYLOAD_NAMES);
export const NON_PAYLOAD_PATTERN = /^(?:[tj]sconfig(?:[.-].*)?\.json|appsettings(?:\..*)?\.json|.+\.schema\.json)$/;

/** True for a file name that is well known not to hold payloads (or is opsmeter's config). */
export function isNonPayloadFile(name: string): boolean {
  return isToolFile(name) || NON_PAYLOAD_SET.has(name) || NON_PAYLOAD_PATTERN.test(name);
}

/** The rules of one .gitignore file (or .git/info/exclude), for the paths below its folder. */
interface IgnoreLevel {
  dir: string;
  rules: Ignore;
}

let makeIgnore: ((options?: { ignorecase?: boolean }) => Ignore) | undefined;

/** The .gitignore rules of one walk, from the work tree's root down to the folder being read. */
export class GitignoreRules {
  private constructor(
    /**
     * Levels by file, in the order read: .git/info/exclude, then each folder's .gitignore from
     * the root down (a folder is entered before the ones inside it, so a path's levels come
     * outermost first).
     */
    private readonly levels: Map<string, IgnoreLevel>,
  ) {}

  /**
   * The rules for a walk starting at `start` (a folder), or undefined outside a git work tree.
   * The .gitignore files of the folders above it, up to the work tree's root, apply as git
   * applies them, unless they ignore `start` itself: then the user named an ignored folder,
   * and only the .gitignore files inside it apply.
   */
  static async forWalk(start: string): Promise<GitignoreRules | undefined> {
    const root = gitWorkTree(start);
    if (root === undefined) return undefined;
    const from = resolve(start);
    const rules = new GitignoreRules(new Map());
    await rules.addFile(root, join(root, '.git', 'info', 'exclude'));
    // The folders above the walk's start, outermost first (none when it starts at the root).
    const above: string[] = [];
    for (let dir = from; dir !== root && dirname(dir) !== dir; ) {
      dir = dirname(dir);
      above.unshift(dir);
    }
    for (const dir of above) await rules.addFile(dir, join(dir, '.gitignore'));
    if (rules.ignores(from, true)) rules.levels.clear();
    return rules;
  }

  /** Reads a folder's own .gitignore, when the walk enters it and its listing has one. */
  async enter(dir: string, names: readonly string[]): Promise<void> {
    if (names.includes('.gitignore')) await this.addFile(resolve(dir), join(dir, '.gitignore'));
  }

  /**
   * Whether the rules ignore a path (absolute or relative to the working directory). The
   * deepest .gitignore that has a say decides (a negation there re-includes), as in git; a
   * path under an ignored folder is never reached, because the walk does not enter it.
   */
  ignores(path: string, isDir: boolean): boolean {
    if (this.levels.size === 0) return false;
    const full = resolve(path);
    const levels = [...this.levels.values()];
    for (let i = levels.length - 1; i >= 0; i--) {
      const level = levels[i]!;
      const rel = relative(level.dir, full);
      if (rel === '' || rel.startsWith('..')) continue;
      const result = level.rules.test(rel.split(sep).join('/') + (isDir ? '/' : ''));
      if (result.ignored) return true;
      if (result.unignored) return false;
    }
    return false;
  }

  private async addFile(dir: string, file: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return; // none, or unreadable: git reads nothing from it either
    }
    // require(), not import(): `ignore` is CommonJS, and import() of it runs Node's CommonJS
    // export scanner, which cost ~190M instructions more a run (callgrind) than require's ~15M.
    makeIgnore ??= createRequire(import.meta.url)('ignore') as typeof makeIgnore;
    this.levels.set(file, { dir, rules: makeIgnore!().add(text) });
  }
}
