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
}

export interface RunSettings {
  config?: OpsmeterConfig;
  /** The rule settings in force (file, then explicit); undefined when they change nothing. */
  rules?: RulePolicy;
  /** The config's catalog (absolute), when it names one. */
  catalog?: string;
  maxWarnings?: number;
  /** Sources minus those the config's `ignore` globs match (stdin is never ignored). */
  filter(sources: readonly Source[]): Promise<{ kept: Source[]; ignored: number }>;
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
  const settings: RunSettings = { filter: async (sources) => ({ kept: [...sources], ignored: 0 }) };
  if (config) settings.config = config;
  if (!policy.isDefault) settings.rules = policy;
  if (config?.catalog !== undefined) settings.catalog = config.catalog;
  if (config?.maxWarnings !== undefined) settings.maxWarnings = config.maxWarnings;
  if (config && config.ignore.length > 0) settings.filter = ignoreFilter(config, cwd);
  return settings;
}

/** The rule settings of a config with explicit ones laid over, rule by rule. */
export function mergeRules(config: OpsmeterConfig | undefined, rules: RuleSettings | undefined): RuleSettings | undefined {
  if (config === undefined) return rules;
  if (rules === undefined) return config.rules;
  return { ...config.rules, ...rules };
}

/** Drops the sources a config's `ignore` globs match, by their path relative to the config's folder. */
function ignoreFilter(config: OpsmeterConfig, cwd: string): RunSettings['filter'] {
  const { dir, ignore } = config;
  return async (sources) => {
    const { default: picomatch } = await import('picomatch');
    const isIgnored = picomatch(ignore as string[], { dot: true });
    const kept = sources.filter((s) => s.path === '-' || !isIgnored(relative(dir, resolve(cwd, s.path)).split(sep).join('/')));
    return { kept, ignored: sources.length - kept.length };
  };
}
