/**
 * Reading and checking one opsmeter.config.json. The file is JSON with comments (`//`,
 * `/* … *\/`) and trailing commas allowed, as tsconfig.json is. Every mistake in it — a
 * syntax fault, an unknown key, rule id or level, a value of the wrong type — is reported in
 * one ConfigFileError (exit 2), each with its line and column and a did-you-mean where one
 * is close, so a user fixes the file in one pass rather than one run per mistake.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Node } from 'jsonc-parser';
import type { LineIndex } from '../read/locate.js';
import { checkRuleId, closest, LEVELS_TEXT, levelSuggestion, RulePolicy, ruleLevel, type RuleLevel } from '../contract/rule-settings.js';
import { EXIT, OpsmeterError } from '../errors.js';

/** A config file that cannot be read or is not a valid config (exit 2); the API exports it. */
export class ConfigFileError extends OpsmeterError {}

const JSONC_HINT = 'the file is JSON with comments: // and /* */ comments and trailing commas are fine, the rest must be JSON';
const SCHEMA_HINT = '`opsmeter schema --config` prints the JSON Schema of the file (docs/validate.md, "Configuration")';

export interface OpsmeterConfig {
  /** The file it came from. */
  readonly path: string;
  /** Its folder: `catalog` and `ignore` are relative to it. */
  readonly dir: string;
  /** Rule id → level, in the reports' words (a file's "warn" or 1 reads as "warning"). */
  readonly rules: Readonly<Record<string, RuleLevel>>;
  /** Absolute path of the catalog file, if the config names one. */
  readonly catalog?: string;
  readonly ignore: readonly string[];
  readonly maxWarnings?: number;
}

/** One mistake in the file: where (a 0-based offset into the text) and what. */
interface Mistake {
  offset: number;
  message: string;
  /** What to do about this one mistake (a did-you-mean); the error's hint when it is alone. */
  fix?: string;
}

export async function loadConfigFile(path: string): Promise<OpsmeterConfig> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigFileError(
      `cannot read config ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? (e as Error).message)}`,
      EXIT.usage,
      'check the path of the config file, or run without one (--no-config; the API: config: false)',
    );
  }
  // Plain JSON is the common case and needs no parser module; comments, trailing commas and
  // mistakes (whose positions come from the parse tree) load jsonc-parser.
  let raw: unknown;
  let tree: Node | undefined;
  try {
    raw = JSON.parse(text);
  } catch {
    const locate = await import('../read/locate.js');
    const parsed = await locate.parseJsonc(text);
    if (parsed.faults.length > 0) {
      const mistakes = parsed.faults.map((f) => ({ offset: f.offset, message: f.message }));
      throw mistakesError(new locate.LineIndex(text), path, mistakes, `config ${path} is not valid JSON`, JSONC_HINT);
    }
    raw = parsed.value;
    tree = parsed.tree;
  }
  const { configSchema, CONFIG_KEYS } = await import('./schema.js');
  const checked = configSchema.safeParse(raw);
  if (!checked.success) {
    // Only a file with mistakes loads the reader of positions (the API's import stays light).
    const locate = await import('../read/locate.js');
    tree ??= (await locate.parseJsonc(text)).tree;
    const mistakes = checked.error.issues.flatMap((issue) => describeIssue(issue, raw, tree, CONFIG_KEYS));
    throw mistakesError(new locate.LineIndex(text), path, mistakes, `config ${path} has ${mistakes.length} mistakes`);
  }
  const c = checked.data;
  const dir = dirname(resolve(path));
  // The levels in the reports' words: a file may spell them as ESLint does ("warn", 1).
  const rules = Object.fromEntries(Object.entries(c.rules ?? {}).flatMap(([id, spelling]) => (spelling === undefined ? [] : [[id, ruleLevel(spelling)!]])));
  const config: { -readonly [K in keyof OpsmeterConfig]: OpsmeterConfig[K] } = { path, dir, rules, ignore: c.ignore ?? [] };
  if (c.catalog !== undefined) config.catalog = isAbsolute(c.catalog) ? c.catalog : resolve(dir, c.catalog);
  if (c.maxWarnings !== undefined) config.maxWarnings = c.maxWarnings;
  // Compile once here so a bad setting surfaces now, not in the middle of a run.
  new RulePolicy(config.rules);
  // Frozen: rule settings are compiled once per object (rulePolicy), so they must not change.
  Object.freeze(config.rules);
  Object.freeze(config.ignore);
  return Object.freeze(config);
}

/**
 * The error for a file's mistakes. One keeps the one-line form, `FILE:LINE:COLUMN: what`
 * (after the title for a syntax fault), with its fix as the hint; several are listed one a
 * line, each with its fix, in the order they stand in the file.
 */
function mistakesError(lines: LineIndex, path: string, mistakes: Mistake[], title: string, hint = SCHEMA_HINT): ConfigFileError {
  const at = (m: Mistake) => {
    const { line, column } = lines.at(m.offset);
    return `${path}:${line}:${column}`;
  };
  const sorted = [...mistakes].sort((a, b) => a.offset - b.offset);
  if (sorted.length === 1) {
    const [m] = sorted as [Mistake];
    const what = hint === JSONC_HINT ? `${title}: ${at(m)}: ${m.message}` : `${at(m)}: ${m.message}`;
    return new ConfigFileError(what, EXIT.usage, m.fix ?? hint);
  }
  const list = sorted.map((m) => `\n  ${at(m)}: ${m.message}${m.fix ? ` — ${m.fix}` : ''}`).join('');
  return new ConfigFileError(`${title}:${list}`, EXIT.usage, hint);
}

/** A zod issue of the config schema, as the mistakes a person made (an unrecognized_keys issue names several). */
function describeIssue(issue: import('zod').core.$ZodIssue, raw: unknown, tree: Node | undefined, knownKeys: readonly string[]): Mistake[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const offset = keyOffset(tree, [...path, key]);
      if (path.length === 1 && path[0] === 'rules') {
        // The rule registry words it (an unknown id with a did-you-mean, or a fixed rule).
        try {
          checkRuleId(key);
        } catch (e) {
          const err = e as OpsmeterError;
          return { offset, message: `rules: ${err.message}`, fix: err.hint };
        }
      }
      const where = path.length === 0 ? '' : `${path.join('.')}: `;
      const s = path.length === 0 ? closest(key, knownKeys) : undefined;
      return { offset, message: `${where}unknown key "${key}"`, fix: s ? `did you mean "${s}"?` : `known keys: ${knownKeys.join(', ')}` };
    });
  }
  const offset = valueOffset(tree, path);
  if (path[0] === 'rules' && path.length === 2) {
    const given = (raw as { rules: Record<string, unknown> }).rules[String(path[1])];
    const s = levelSuggestion(given);
    return [
      {
        offset,
        message: `rules["${String(path[1])}"] must be ${LEVELS_TEXT}, got ${JSON.stringify(given)}`,
        fix: s ? `did you mean ${/^\d$/.test(s) ? s : `"${s}"`}?` : 'e.g. "payload/missing-latency": "warn"',
      },
    ];
  }
  const name = path.map(String).join('.');
  return [{ offset, message: `${name || 'the config'}: ${issue.message}` }];
}

type JsonPath = (string | number)[];

/** The node at a path in the parse tree (jsonc-parser's findNodeAtLocation, without loading it again). */
function nodeAt(tree: Node | undefined, path: JsonPath): Node | undefined {
  let node = tree;
  for (const segment of path) {
    if (node === undefined) return undefined;
    if (node.type === 'object' && typeof segment === 'string') {
      // The last of equal keys: JSON.parse keeps the last value too.
      const member = node.children?.filter((p) => p.children?.[0]?.value === segment).at(-1);
      node = member?.children?.[1];
    } else if (node.type === 'array' && typeof segment === 'number') {
      node = node.children?.[segment];
    } else {
      return undefined;
    }
  }
  return node;
}

/** Offset of the value at a path, or of its nearest ancestor that exists (the file's start at worst). */
function valueOffset(tree: Node | undefined, path: JsonPath): number {
  for (let n = path.length; n >= 0; n--) {
    const node = nodeAt(tree, path.slice(0, n));
    if (node) return node.offset;
  }
  return 0;
}

/** Offset of the key of the member at a path (an unknown key is pointed at by its name). */
function keyOffset(tree: Node | undefined, path: JsonPath): number {
  const value = nodeAt(tree, path);
  return value?.parent?.children?.[0]?.offset ?? valueOffset(tree, path.slice(0, -1));
}
