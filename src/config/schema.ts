/**
 * The zod schema of opsmeter.config.json, and its JSON Schema (`opsmeter schema --config`,
 * for editor completion). Loaded only when a config file exists or its schema is asked
 * for. Every rule id the config may name is a property of `rules`, so editors complete
 * them and a typo is an unknown key.
 */
import { z } from 'zod';
import { CONFIGURABLE_RULE_IDS, LEVELS_TEXT } from '../contract/rule-settings.js';
import { ruleById } from '../contract/rules.js';

/** ESLint's spellings (words and numbers), and this tool's own "warning" (RULE_LEVEL_WORDS, RULE_LEVEL_NUMBERS). */
const level = z.union([z.enum(['off', 'warn', 'error', 'warning']), z.literal([0, 1, 2])]);

const rules = z.strictObject(
  Object.fromEntries(
    CONFIGURABLE_RULE_IDS.map((id) => {
      const r = ruleById(id)!;
      return [id, level.optional().describe(`${r.doc} Default: ${r.severity === 'warning' ? 'warn' : r.severity}.`)];
    }),
  ),
);

export const configSchema = z.strictObject({
  $schema: z.string().optional().describe('Where editors find this schema (`opsmeter schema --config -o opsmeter.config.schema.json`).'),
  rules: rules.optional().describe(`Severity per rule id: ${LEVELS_TEXT}. Applies to validate, the import gate and the send check (never the emulator).`),
  catalog: z.string().min(1).optional().describe('Catalog JSON to check against, relative to this file (--catalog and OPSMETER_CATALOG win).'),
  ignore: z.array(z.string().min(1)).optional().describe('Globs of payload files validate and send skip, relative to this file (picomatch syntax), e.g. "fixtures/bad/**". Import reads them anyway (its inputs are provider exports).'),
  maxWarnings: z.number().int().min(0).optional().describe('More warnings than this fail validate (exit 1); --max-warnings wins.'),
});

export type ConfigFileShape = z.infer<typeof configSchema>;

/** The top-level keys, for did-you-mean. */
export const CONFIG_KEYS: readonly string[] = Object.keys(configSchema.shape);

export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }),
    title: 'opsmeter.config.json',
  };
}

