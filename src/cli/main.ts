/**
 * The commander program and the one place errors become exit codes. Each command is
 * registered by its own module (flags only); the module that does the work is imported
 * inside the action, so `opsmeter validate` never loads undici, csv-parse or the emulator.
 * An OpsmeterError prints its message and hint and exits with its code; anything else is
 * an internal error (exit 70).
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT, OpsmeterError } from '../errors.js';
import { VERSION } from '../version.js';
import { discardOutputOnClosedPipe, outputFailed, prepareColor, setColor } from './output.js';

type Register = (program: Command) => void;

/** Commands, each registered by its own module (cheap: only flags, no heavy imports). */
import { registerValidate } from './validate.js';
import { registerImport } from './import.js';
import { registerSend } from './send.js';
import { registerStatus } from './status.js';
import { registerClean } from './clean.js';
import { registerEmulate } from './emulate.js';
import { registerSmoke } from './smoke.js';
import { registerSchema } from './schema.js';
import { registerCatalog } from './catalog.js';

/** In the order `--help` lists them: the three jobs first, then the helpers. */
const COMMANDS: Register[] = [
  registerValidate,
  registerImport,
  registerSend,
  registerStatus,
  registerClean,
  registerEmulate,
  registerSmoke,
  registerSchema,
  registerCatalog,
];

export function buildProgram(): Command {
  const program = new Command('opsmeter')
    .description('Validate, import and send LLM cost telemetry for the Opsmeter.io ingest API.')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--no-color', 'disable colours (NO_COLOR is honoured too)'))
    .option('--debug', 'show stack traces for errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) })
    .exitOverride();
  program.hook('preAction', async (cmd) => {
    const o = cmd.optsWithGlobals();
    setColor(o.color !== false);
    await prepareColor();
  });
  for (const register of COMMANDS) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  discardOutputOnClosedPipe(process.stdout);
  discardOutputOnClosedPipe(process.stderr);
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    if (outputFailed()) process.exitCode = EXIT.usage;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; flag errors are usage errors (2).
      process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (e instanceof OpsmeterError) {
      process.stderr.write(`opsmeter: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
      if (debug && e.stack) process.stderr.write(e.stack + '\n');
      process.exitCode = e.exitCode;
      return;
    }
    const err = e as Error;
    process.stderr.write(`opsmeter: internal error: ${err?.message ?? String(e)}\n`);
    process.stderr.write(debug && err?.stack ? err.stack + '\n' : '  (run again with --debug for the stack trace, and please report it)\n');
    process.exitCode = EXIT.internal;
  }
}
