/**
 * Reading and checking one opsmeter.config.json. The file is strict JSON; anything the
 * schema does not know (a key, a rule id, a level) is a ConfigFileError (exit 2) naming it,
 * with its line and a did-you-mean where one is close.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { closest, checkRuleId, RulePolicy, type RuleSettings } from '../contract/rule-settings.js';
import { EXIT, OpsmeterError } from '../errors.js';

/** A config file that cannot be read or is not a valid config (exit 2); the API exports it. */
export class ConfigFileError extends OpsmeterError {}

const SCHEMA_HINT = '`opsmeter schema --config` prints the JSON Schema of the file (docs/validate.md, "Configuration")';

export interface OpsmeterConfig {
  /** The file it came from. */
  readonly path: string;
  /** Its folder: `catalog` and `ignore` are relative to it. */
  readonly dir: string;
  readonly rules: RuleSettings;
  /** Absolute path of the catalog file, if the config names one. */
  readonly catalog?: string;
  readonly ignore: readonly string[];
  readonly maxWarnings?: number;
}

export async function loadConfigFile(path: string): Promise<OpsmeterConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigFileError(
      `cannot read config ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? (e as Error).message)}`,
      EXIT.usage,
      'check the path of the config file, or run without one (--no-config; the API: config: false)',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ConfigFileError(`config ${path} is not valid JSON: ${(e as Error).message}`, EXIT.usage, 'opsmeter.config.json is plain JSON (no comments, no trailing commas)');
  }
  const { configSchema, CONFIG_KEYS } = await import('./schema.js');
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = (key: string) => lineOf(text, key);
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      if (issue.path.length === 1 && issue.path[0] === 'rules') {
        // The rule registry words it (unknown id with a did-you-mean, or a fixed rule).
        try {
          checkRuleId(key);
        } catch (e) {
          const err = e as OpsmeterError;
          throw new ConfigFileError(`${path}${at(key)}: rules: ${err.message}`, EXIT.usage, err.hint ?? SCHEMA_HINT);
        }
      }
      const where = issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
      const s = issue.path.length === 0 ? closest(key, CONFIG_KEYS) : undefined;
      throw new ConfigFileError(
        `${path}${at(key)}: ${where}unknown key "${key}"`,
        EXIT.usage,
        s ? `did you mean "${s}"?` : `known keys: ${CONFIG_KEYS.join(', ')}`,
      );
    }
    const name = issue.path.map(String).join('.');
    const last = issue.path[issue.path.length - 1];
    const isLevel = issue.path[0] === 'rules' && issue.path.length === 2;
    const message = isLevel ? `rules["${String(last)}"] must be "off", "warning" or "error"` : `${name || 'the config'}: ${issue.message}`;
    throw new ConfigFileError(`${path}${last !== undefined ? at(String(last)) : ''}: ${message}`, EXIT.usage, isLevel ? 'e.g. "payload/missing-latency": "off"' : SCHEMA_HINT);
  }
  const c = parsed.data;
  const dir = dirname(resolve(path));
  const config: { -readonly [K in keyof OpsmeterConfig]: OpsmeterConfig[K] } = { path, dir, rules: (c.rules ?? {}) as RuleSettings, ignore: c.ignore ?? [] };
  if (c.catalog !== undefined) config.catalog = isAbsolute(c.catalog) ? c.catalog : resolve(dir, c.catalog);
  if (c.maxWarnings !== undefined) config.maxWarnings = c.maxWarnings;
  // Compile once here so a bad setting surfaces now, not in the middle of a run.
  new RulePolicy(config.rules);
  // Frozen: rule settings are compiled once per object (rulePolicy), so they must not change.
  Object.freeze(config.rules);
  Object.freeze(config.ignore);
  return Object.freeze(config);
}

/** ":LINE" of the first `"key"` in the text, or "" (the file is small; a text search is enough). */
function lineOf(text: string, key: string): string {
  const i = text.indexOf(JSON.stringify(key));
  if (i === -1) return '';
  // LF, CRLF and a lone CR each end a line, as everywhere else in this tool.
  return `:${text.slice(0, i).split(/\r\n?|\n/).length}`;
}
