/**
 * The configuration flags every command that checks the contract shares (validate,
 * import, send): `--config FILE`, `--no-config` and the repeatable `--rule RULE=LEVEL`,
 * and how they combine with opsmeter.config.json into the settings a run uses.
 * Precedence: --rule over the file's `rules`; --catalog (or OPSMETER_CATALOG) over the
 * file's `catalog`; --max-warnings over `maxWarnings`.
 */
import { relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { parseRuleFlag, RulePolicy, type RuleLevel } from '../contract/rule-settings.js';
import type { OpsmeterConfig } from '../config/load.js';
import type { Source } from '../read/records.js';

export interface ConfigFlags {
  /** A path, false for --no-config, undefined to look for one. */
  config?: string | false;
  rule?: [string, RuleLevel][];
}

export interface RunSettings {
  config?: OpsmeterConfig;
  /** The rule settings in force (file, then --rule); undefined when they change nothing. */
  rules?: RulePolicy;
  /** The config's catalog (absolute), when it names one. */
  catalog?: string;
  maxWarnings?: number;
  /** Sources minus those the config's `ignore` globs match (stdin is never ignored). */
  filter(sources: readonly Source[]): Promise<{ kept: Source[]; ignored: number }>;
}

const collectRule = (value: string, previous: [string, RuleLevel][] = []) => [...previous, parseRuleFlag(value)];

export function addConfigOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'use this opsmeter.config.json (default: the one in this folder or the nearest parent, up to the git root)')
    .option('--no-config', 'ignore opsmeter.config.json')
    .option('--rule <rule=level>', 'set a rule to off, warning or error (repeatable; beats the config file)', collectRule);
}

export async function resolveSettings(flags: ConfigFlags, cwd = process.cwd()): Promise<RunSettings> {
  let config: OpsmeterConfig | undefined;
  if (flags.config !== false) {
    const { findConfigFile } = await import('../config/find.js');
    const path = flags.config !== undefined ? resolve(cwd, flags.config) : findConfigFile(cwd);
    if (path !== undefined) config = await (await import('../config/load.js')).loadConfigFile(path);
  }
  const merged: Record<string, RuleLevel> = { ...(config?.rules ?? {}) };
  for (const [id, level] of flags.rule ?? []) merged[id] = level;
  const policy = new RulePolicy(merged);
  const settings: RunSettings = { filter: async (sources) => ({ kept: [...sources], ignored: 0 }) };
  if (config) settings.config = config;
  if (!policy.isDefault) settings.rules = policy;
  if (config?.catalog !== undefined) settings.catalog = config.catalog;
  if (config?.maxWarnings !== undefined) settings.maxWarnings = config.maxWarnings;
  if (config && config.ignore.length > 0) {
    const { dir, ignore } = config;
    settings.filter = async (sources) => {
      const { default: picomatch } = await import('picomatch');
      const isIgnored = picomatch(ignore as string[], { dot: true });
      const kept = sources.filter((s) => s.path === '-' || !isIgnored(relative(dir, resolve(cwd, s.path)).split(sep).join('/')));
      return { kept, ignored: sources.length - kept.length };
    };
  }
  return settings;
}
