/**
 * Command plans. A command's flag checking is a pure function of its parsed command line and
 * of what it may know about the process (planImport, planSend, planEmulate): it returns a
 * plain-object plan (what to read, what to write, the defaults it resolved, the target) or
 * the OpsmeterError the user is to see. The command's action then runs the plan. A plan does
 * no I/O: what needs a file or the network to decide (an API-key file, a config file, whether
 * a *.localhost name is this machine) is a step of the action, named in the plan's docs.
 * Tests call the plans in-process (test/helpers/command-line.ts parses as the CLI does).
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { OpsmeterError } from '../errors.js';

/** What a plan may know about the process it plans for: handed in, so a test can give any. */
export interface PlanEnv {
  /** The environment variables (process.env in a run). */
  vars: Readonly<Record<string, string | undefined>>;
  /** Stdin is not a terminal: a command given no paths reads it. */
  stdinPiped: boolean;
  /** The cores worker threads may use. */
  cores: number;
}

export function processEnv(): PlanEnv {
  return { vars: process.env, stdinPiped: !process.stdin.isTTY, cores: availableParallelism() };
}

/** A parsed command line: the operands, the flags (defaults applied), and which flags the user typed. */
export interface CommandLine<F> {
  paths: string[];
  flags: F;
  /** Attribute names of the flags given on the command line (not defaults, not the environment), in the command's option order. */
  given: ReadonlySet<string>;
}

export function commandLine<F>(paths: string[], flags: F, command: Command): CommandLine<F> {
  const given = command.options.map((o) => o.attributeName()).filter((name) => command.getOptionValueSource(name) === 'cli');
  return { paths, flags, given: new Set(given) };
}

/** Runs a plan builder that throws its usage errors, and returns the error instead. */
export function planOrError<T>(build: () => T): T | OpsmeterError {
  try {
    return build();
  } catch (e) {
    if (e instanceof OpsmeterError) return e;
    throw e;
  }
}

/** The plan, or its error thrown, for main.ts to print. */
export function orThrow<T>(plan: T | OpsmeterError): T {
  if (plan instanceof OpsmeterError) throw plan;
  return plan;
}
