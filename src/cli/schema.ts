/** `opsmeter schema` — the payload JSON Schema, generated from the zod schema. */
import type { Command } from 'commander';
import { writeOutput } from './output.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the payload JSON Schema (draft 2020-12, generated from the contract)')
    .option('-o, --output <file>', 'write the schema to a file')
    .action(async (flags: { output?: string }) => {
      const { payloadJsonSchema } = await import('../contract/schema.js');
      await writeOutput(JSON.stringify(payloadJsonSchema(), null, 2) + '\n', flags.output);
    });
}
