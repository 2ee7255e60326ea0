/**
 * Flag errors without a child process. `parse` parses a command line in this process with the
 * CLI's own program (src/cli/main.ts: every command's flags, argument parsers and choices) and
 * stops before the action; `plan` then runs the command's plan function (import, send,
 * emulate). Both answer what `opsmeter ARGS` would exit with and print on stderr for an error
 * — commander's own message, or main.ts's `failure()` text for an OpsmeterError — or the plan.
 * As runCli, no ambient OPSMETER_* variable is seen: only `vars`.
 */
import type { Command } from 'commander';
import { planEmulate } from '../../src/cli/emulate-plan.js';
import { planImport } from '../../src/cli/import-plan.js';
import { planReconcile } from '../../src/cli/reconcile-plan.js';
import { buildProgram, defineCommand, failure } from '../../src/cli/main.js';
import { commandLine, type CommandLine, type PlanEnv } from '../../src/cli/plan.js';
import { planSend } from '../../src/cli/send-plan.js';
import { OpsmeterError } from '../../src/errors.js';

export interface Failed {
  code: number;
  stderr: string;
  /** What reached stdout before the error (commander writes help there). */
  stdout: string;
}

export interface EnvOptions {
  /** The environment variables the command sees (none of the test process's OPSMETER_*). */
  vars?: Record<string, string>;
  /** Stdin is a pipe (a command with no paths reads it); default false, a terminal. */
  stdinPiped?: boolean;
}

/** The flags of whichever command was parsed: each plan function takes its own command's. */
type AnyLine = CommandLine<any>;

/** Sets process.env's OPSMETER_* variables to `vars` while `run` runs: commander reads `.env()` options from it. */
async function withVars<T>(vars: Record<string, string>, run: () => Promise<T>): Promise<T> {
  const saved = Object.entries(process.env).filter(([k]) => k.startsWith('OPSMETER_'));
  for (const [k] of saved) delete process.env[k];
  Object.assign(process.env, vars);
  try {
    return await run();
  } finally {
    for (const k of Object.keys(vars)) delete process.env[k];
    for (const [k, v] of saved) process.env[k] = v;
  }
}

/** `argv` without "opsmeter": parsed, or the parse error as the CLI reports it. */
export async function parse(argv: string[], opts: EnvOptions = {}): Promise<{ line: AnyLine } | Failed> {
  const program = buildProgram();
  let stderr = '';
  let stdout = '';
  const output = { writeErr: (s: string) => (stderr += s), writeOut: (s: string) => (stdout += s) };
  for (const c of [program, ...program.commands]) c.configureOutput(output);
  const cmd = program.commands.find((c) => c.name() === argv[0]);
  if (cmd) {
    await defineCommand(cmd);
    cmd.configureOutput(output);
  }
  let line: AnyLine | undefined;
  cmd?.action(function (this: Command) {
    line = commandLine((this.processedArgs[0] as string[] | undefined) ?? [], this.opts(), this);
  });
  try {
    await withVars(opts.vars ?? {}, () => program.parseAsync(['node', 'opsmeter', ...argv]));
  } catch (e) {
    const f = failure(e, false);
    return { code: f.code, stderr: stderr + f.text, stdout };
  }
  if (!line) throw new Error(`parse: ${argv.join(' ')} ran no command`);
  return { line };
}

const PLANS: Record<string, (line: AnyLine, env: PlanEnv) => unknown> = {
  import: planImport,
  send: planSend,
  emulate: planEmulate,
  reconcile: planReconcile,
};

/** `argv` parsed and planned: the plan, or the error as the CLI reports it (exit code and stderr). */
export async function plan(argv: string[], opts: EnvOptions = {}): Promise<{ plan: unknown } | Failed> {
  const parsed = await parse(argv, opts);
  if (!('line' in parsed)) return parsed;
  const planner = PLANS[argv[0]!];
  if (!planner) throw new Error(`plan: ${argv[0]} has no plan function`);
  const result = planner(parsed.line, { vars: opts.vars ?? {}, stdinPiped: opts.stdinPiped ?? false, cores: 2 });
  if (result instanceof OpsmeterError) {
    const f = failure(result, false);
    return { code: f.code, stderr: f.text, stdout: '' };
  }
  return { plan: result };
}

/** The error of a command line that must fail (the test fails with the plan when it does not). */
export async function usageError(argv: string[], opts: EnvOptions = {}): Promise<Failed> {
  const r = argv[0] !== undefined && argv[0] in PLANS ? await plan(argv, opts) : await parse(argv, opts);
  if ('code' in r) return r;
  throw new Error(`${argv.join(' ')}: expected an error, got ${JSON.stringify('plan' in r ? r.plan : r.line.flags)}`);
}
