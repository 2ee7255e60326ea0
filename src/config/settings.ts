/**
 * The settings a run uses, from opsmeter.config.json and what the caller gives explicitly
 * (the CLI's --config/--no-config/--rule, the API's config/rules options), in one place so
 * `opsmeter validate` and the API's validateFiles combine them alike. Precedence: explicit
 * rules over the file's `rules` (rule by rule); an explicit catalog (or OPSMETER_CATALOG)
 * over the file's `catalog`; an explicit maxWarnings over `maxWarnings`.
 */
import { relative, resolve, sep } from 'node:path';
import { RulePolicy, type RuleLevel, type RuleSettings } from '../contract/rule-settings.js';
import type { Source } from '../read/records.js';
import type { OpsmeterConfig } from './load.js';

export interface SettingsRequest {
  /** A config file (relative to cwd), false for none, one already loaded, or undefined to look for one from cwd. */
  config?: string | false | OpsmeterConfig;
  /** Rule levels that beat the file's, rule by rule (later entries win). */
  rules?: readonly (readonly [string, RuleLevel])[];
  /** Where a config file is looked for and relative paths start; default process.cwd(). */
  cwd?: string;
  /** Globs of files to skip, relative to `cwd` (the CLI's repeatable --ignore-pattern, ESLint's spelling). */
  ignorePatterns?: readonly string[];
}

/** What a run skipped, and why (the CLI says it on stderr). */
export interface Skipped {
  kept: Source[];
  /** How many sources were skipped in all. */
  ignored: number;
  /** How many of them by --ignore-pattern, and by the config's `ignore` (a file both name counts for the pattern). */
  byPattern: number;
  byConfig: number;
}

export interface RunSettings {
  config?: OpsmeterConfig;
  /** The rule settings in force (file, then explicit); undefined when they change nothing. */
  rules?: RulePolicy;
  /** The config's catalog (absolute), when it names one. */
  catalog?: string;
  maxWarnings?: number;
  /** Sources minus those --ignore-pattern or the config's `ignore` globs match (stdin is never ignored). */
  filter(sources: readonly Source[]): Promise<Skipped>;
}

/** The config a request names: loaded (or found and loaded), or undefined for none. */
export async function configFor(request: SettingsRequest['config'], cwd: string): Promise<OpsmeterConfig | undefined> {
  if (request === false) return undefined;
  if (typeof request === 'object' && request !== null) return request;
  const { findConfigFile } = await import('./find.js');
  const path = request !== undefined ? resolve(cwd, request) : findConfigFile(cwd);
  return path === undefined ? undefined : (await import('./load.js')).loadConfigFile(path);
}

export async function resolveSettings(request: SettingsRequest): Promise<RunSettings> {
  const cwd = request.cwd ?? process.cwd();
  const config = await configFor(request.config, cwd);
  const merged: Record<string, RuleLevel> = { ...(config?.rules ?? {}) };
  for (const [id, level] of request.rules ?? []) merged[id] = level;
  const policy = new RulePolicy(merged);
  const settings: RunSettings = { filter: ignoreFilter(request.ignorePatterns ?? [], config, cwd) };
  if (config) settings.config = config;
  if (!policy.isDefault) settings.rules = policy;
  if (config?.catalog !== undefined) settings.catalog = config.catalog;
  if (config?.maxWarnings !== undefined) settings.maxWarnings = config.maxWarnings;
  return settings;
}

/** The rule settings of a config with explicit ones laid over, rule by rule. */
export function mergeRules(config: OpsmeterConfig | undefined, rules: RuleSettings | undefined): RuleSettings | undefined {
  if (config === undefined) return rules;
  if (rules === undefined) return config.rules;
  return { ...config.rules, ...rules };
}

/**
 * Drops the sources that --ignore-pattern (relative to cwd) or the config's `ignore` globs
 * (relative to the config's folder) match. picomatch loads only when there are globs.
 */
function ignoreFilter(patterns: readonly string[], config: OpsmeterConfig | undefined, cwd: string): RunSettings['filter'] {
  const configured = config?.ignore ?? [];
  if (patterns.length === 0 && configured.length === 0) return async (sources) => ({ kept: [...sources], ignored: 0, byPattern: 0, byConfig: 0 });
  return async (sources) => {
    const { default: picomatch } = await import('picomatch');
    const byPattern = globMatcher(picomatch, patterns, cwd, cwd);
    const byConfig = config ? globMatcher(picomatch, configured, config.dir, cwd) : () => false;
    const skipped = { byPattern: 0, byConfig: 0 };
    const kept = sources.filter((s) => {
      if (s.path === '-') return true;
      if (byPattern(s.path)) skipped.byPattern++;
      else if (byConfig(s.path)) skipped.byConfig++;
      else return true;
      return false;
    });
    return { kept, ignored: skipped.byPattern + skipped.byConfig, ...skipped };
  };
}

/**
 * Whether globs (picomatch syntax, dot files included) match a path, relative to `base`.
 * A glob that matches a folder matches everything in it, so `fixtures/bad`, `fixtures/bad/`
 * and `fixtures/bad/**` all skip that folder, as in ESLint and .gitignore.
 */
function globMatcher(picomatch: typeof import('picomatch'), globs: readonly string[], base: string, cwd: string): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  const isMatch = picomatch(
    globs.map((g) => g.replace(/\/+$/, '')),
    { dot: true },
  );
  return (path) => {
    const rel = relative(base, resolve(cwd, path)).split(sep).join('/');
    for (let p = rel; p !== '' && p !== '.' && p !== '..'; p = p.slice(0, Math.max(0, p.lastIndexOf('/')))) {
      if (isMatch(p)) return true;
    }
    return false;
  };
}
