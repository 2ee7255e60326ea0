/**
 * The configuration flags every command that checks the contract shares (validate,
 * import, send): `--config FILE`, `--no-config` and the repeatable `--rule RULE=LEVEL`.
 * How they combine with opsmeter.config.json is src/config/settings.ts (the API uses it too).
 */
import type { Command } from 'commander';
import { parseRuleFlag, type RuleLevel } from '../contract/rule-settings.js';
import { resolveSettings as resolveRunSettings, type RunSettings } from '../config/settings.js';

export interface ConfigFlags {
  /** A path, false for --no-config, undefined to look for one. */
  config?: string | false;
  rule?: [string, RuleLevel][];
  /** validate's repeatable --ignore-pattern (the others do not take it). */
  ignorePattern?: string[];
}

const collectRule = (value: string, previous: [string, RuleLevel][] = []) => [...previous, parseRuleFlag(value)];

export function addConfigOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'use this opsmeter.config.json (default: the one in this folder or the nearest parent, up to the git root)')
    .option('--no-config', 'ignore opsmeter.config.json')
    .option('--rule <rule=level>', 'set a rule to off, warn or error (or 0, 1, 2; repeatable; beats the config file)', collectRule);
}

export function resolveSettings(flags: ConfigFlags, cwd = process.cwd()): Promise<RunSettings> {
  return resolveRunSettings({ config: flags.config, rules: flags.rule, cwd, ignorePatterns: flags.ignorePattern });
}
