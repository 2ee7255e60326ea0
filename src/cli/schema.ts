/**
 * `opsmeter schema` — the payload JSON Schema, generated from the zod schema;
 * `opsmeter schema --config` — the JSON Schema of opsmeter.config.json (for editors).
 */
import type { Command } from 'commander';
import { writeOutput } from './output.js';

export function defineCommand(cmd: Command): void {
  cmd
    .option('--config', 'print the JSON Schema of opsmeter.config.json instead (for editor completion)')
    .option('-o, --output <file>', 'write the schema to a file')
    .addHelpText('after', '\nExamples:\n  opsmeter schema -o payload.schema.json\n  opsmeter schema --config -o opsmeter.config.schema.json   # then "$schema": "./opsmeter.config.schema.json"')
    .action(async (flags: { output?: string; config?: boolean }) => {
      const schema = flags.config ? (await import('../config/schema.js')).configJsonSchema() : (await import('../contract/schema.js')).payloadJsonSchema();
      await writeOutput(JSON.stringify(schema, null, 2) + '\n', flags.output);
    });
}
