/**
 * The commander program and the one place errors become exit codes. The program knows each
 * command by its name, description and usage only (COMMANDS); the command's module (its
 * flags, plan and action) loads when that command runs or shows its help, so
 * `opsmeter --version` and `opsmeter --help` load none of them, and `opsmeter validate` never
 * loads undici, the price data or the emulator. An OpsmeterError prints its message and hint and
 * exits with its code; anything else is an internal error (exit 70).
 */
import { Command, CommanderError, Help, Option } from 'commander';
import { EXIT, isSignalExit, OpsmeterError } from '../errors.js';
import { VERSION } from '../version.js';
import { discardOutputOnClosedPipe, outputFailed, prepareColor, setColor } from './output.js';

/** A command module: it defines the flags, the help text and the action on the command main.ts made. */
export interface CommandModule {
  defineCommand(cmd: Command): void;
}

export interface CommandEntry {
  name: string;
  /** Shown by `opsmeter --help` and by the command's own help. */
  description: string;
  /**
   * What `opsmeter --help` lists after the name: what commander derives from the defined
   * command ("[options]" and its arguments), written here so listing it loads nothing
   * (test/cli/main.test.ts checks that the two agree).
   */
  usage: string;
  load(): Promise<CommandModule>;
}

/** In the order `--help` lists them: the three jobs first, then the helpers. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'validate',
    usage: '[options] [paths...]',
    description: 'lint payload files (JSON, JSON arrays, JSONL, stdin) against the ingest contract',
    load: () => watchingCores(import('./validate.js')),
  },
  {
    name: 'import',
    usage: '[options] [paths...]',
    description: 'convert provider usage exports and request logs (CSV / JSONL / JSON, .gz too) into payload JSONL',
    load: () => watchingCores(import('./import.js')),
  },
  { name: 'reconcile', usage: '[options] [payloads...]', description: "check imported payloads against the provider's own usage and cost reports (OpenAI and Anthropic admin APIs)", load: () => import('./reconcile.js') },
  {
    name: 'send',
    usage: '[options] [paths...]',
    description: 'send payloads, or generated test/demo events, and report what the API said',
    load: () => import('./send.js'),
  },
  { name: 'status', usage: '[options]', description: 'show plan usage and budget posture (GET /v1/diagnostics/workspace-status)', load: () => import('./status.js') },
  {
    name: 'clean',
    usage: '[options]',
    description: 'delete test or demo rows (DELETE /v1/ingest/test-data | demo-data, with a dashboard token)',
    load: () => import('./clean.js'),
  },
  {
    name: 'emulate',
    usage: '[options] [command...]',
    description: 'run a local Opsmeter-compatible ingest server; with -- COMMAND, run your app against it and report what it sent',
    load: () => import('./emulate.js'),
  },
  { name: 'smoke', usage: '[options]', description: 'check the whole integration path end to end (embedded emulator by default)', load: () => import('./smoke.js') },
  {
    name: 'schema',
    usage: '[options]',
    description: 'print the payload JSON Schema (draft 2020-12, generated from the contract); --config: that of opsmeter.config.json',
    load: () => import('./schema.js'),
  },
  {
    name: 'catalog',
    usage: '[options]',
    description: "list the provider/model ids Opsmeter recognises, with list prices from the estimates' source; --fetch refreshes the ids from the API",
    load: () => import('./catalog.js'),
  },
  {
    name: 'init',
    usage: '[options]',
    description: 'set up a repository: opsmeter.config.json and a sample payload, and print the CI step and pre-commit lines to add',
    load: () => import('./init.js'),
  },
  { name: 'completion', usage: '<shell>', description: 'print a shell completion script (bash, zsh or fish), generated from every command and flag', load: () => import('./completion.js') },
];

const entryNamed = (name: string) => COMMANDS.find((c) => c.name === name);

/**
 * A command that may read a large file in worker threads starts watching the cores as it loads
 * (src/read/idle-cores.ts): the sample that decides on the threads then spans its start-up.
 */
async function watchingCores(load: Promise<CommandModule>): Promise<CommandModule> {
  (await import('../read/idle-cores.js')).watchCores();
  return load;
}

export function buildProgram(): Command {
  const commanderHelp = new Help();
  const program = new Command('opsmeter')
    .description('Validate, import and send LLM cost telemetry for the Opsmeter.io ingest API.')
    .version(VERSION, '-V, --version')
    // Both spellings, so that neither is the default: without them the environment decides.
    .addOption(new Option('--color', 'colour the output even when it is not a terminal (FORCE_COLOR=1 does the same)'))
    .addOption(new Option('--no-color', 'no colours (NO_COLOR=1, FORCE_COLOR=0 and TERM=dumb do the same)'))
    .option('--debug', 'show stack traces for errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) })
    // The list of commands shows each one's usage without loading its module.
    .configureHelp({
      subcommandTerm: (cmd) => {
        const entry = entryNamed(cmd.name());
        return entry ? `${entry.name} ${entry.usage}` : commanderHelp.subcommandTerm(cmd);
      },
    })
    .exitOverride();
  for (const entry of COMMANDS) program.command(entry.name).description(entry.description);
  // Commander calls this before it parses a command's own flags: the moment to define them.
  program.hook('preSubcommand', (_program, cmd) => defineCommand(cmd));
  program.hook('preAction', async (cmd) => {
    const o = cmd.optsWithGlobals();
    setColor(typeof o.color === 'boolean' ? o.color : undefined);
    await prepareColor();
  });
  return program;
}

const defined = new WeakSet<Command>();

/** Loads a command's module and defines its flags, help and action on the command buildProgram made (once). */
export async function defineCommand(cmd: Command): Promise<void> {
  const entry = entryNamed(cmd.name());
  if (!entry || defined.has(cmd)) return;
  defined.add(cmd);
  (await entry.load()).defineCommand(cmd);
}

/**
 * `opsmeter help <command>` prints that command's help without the preSubcommand hook, so
 * its module is loaded first. The program's own flags take no value, so the first two words
 * that are not flags are "help" and the command.
 */
async function defineHelpTarget(program: Command, args: readonly string[]): Promise<void> {
  const [first, second] = args.filter((a) => !a.startsWith('-'));
  const target = first === 'help' && second !== undefined ? program.commands.find((c) => c.name() === second) : undefined;
  if (target) await defineCommand(target);
}

/** What main prints for an error (commander prints its own), and the exit code. */
export function failure(e: unknown, debug: boolean): { code: number; text: string } {
  // Help and version exit 0; flag errors are usage errors (2).
  if (e instanceof CommanderError) return { code: e.exitCode === 0 ? EXIT.ok : EXIT.usage, text: '' };
  if (e instanceof OpsmeterError) {
    const trace = debug && e.stack ? e.stack + '\n' : '';
    return { code: e.exitCode, text: `opsmeter: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}${trace}` };
  }
  const err = e as Error;
  const trace = debug && err?.stack ? err.stack + '\n' : '  (run again with --debug for the stack trace, and please report it)\n';
  return { code: EXIT.internal, text: `opsmeter: internal error: ${err?.message ?? String(e)}\n${trace}` };
}

export async function main(argv: string[]): Promise<void> {
  discardOutputOnClosedPipe(process.stdout);
  discardOutputOnClosedPipe(process.stderr);
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await defineHelpTarget(program, argv.slice(2));
    await program.parseAsync(argv);
    // A stop by a signal keeps its code: after SIGHUP the terminal is gone and writes to it fail.
    if (outputFailed() && !isSignalExit(Number(process.exitCode))) process.exitCode = EXIT.usage;
  } catch (e) {
    const { code, text } = failure(e, debug);
    if (text) process.stderr.write(text);
    process.exitCode = code;
  }
}
