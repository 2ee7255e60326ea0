/**
 * The one error model. Every failure a user can cause or fix (a bad flag, an unreadable
 * file, a refused key, an unreachable server) is an OpsmeterError carrying the message, a
 * hint and the exit code; `src/cli/main.ts` catches it once, prints one line (and the hint)
 * and exits with its code. Anything else that escapes is a bug, reported as such (exit 70).
 *
 * Layers below `src/cli/` subclass it where a caller may want to tell failures apart
 * (ConfigError, JournalError, PathError, ImportStop, …); none of them translate errors
 * into other errors on the way up.
 */

/** Exit codes shared by every command (README "Commands"; docs/*.md per command). */
export const EXIT = {
  /** Everything checked or sent as asked. */
  ok: 0,
  /** Findings: invalid payloads, rejected rows or events, a failed check or gate. */
  failed: 1,
  /** Usage, configuration or IO error: nothing was judged. */
  usage: 2,
  /** A 402 stopped the send (plan limit or hard budget). */
  policy: 3,
  /** The API key was refused (401/403). */
  auth: 4,
  /** Gave up: throttling, 5xx or network errors outlasted the retries. */
  gaveUp: 5,
  /** A bug in opsmeter: an error nobody anticipated. */
  internal: 70,
  /** Stopped by SIGHUP (128 + 1): the terminal went away. */
  hangup: 129,
  /** Stopped by SIGINT (128 + 2). */
  interrupted: 130,
  /** Stopped by SIGTERM (128 + 15). */
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The signals `send` and `import` stop on in order (finishing what they have, writing the
 * summary), and the exit code of each: 128 + the signal's number, as a shell reports a
 * process the signal killed.
 */
export const SIGNAL_EXIT = { SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated, SIGHUP: EXIT.hangup } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT;
/** How a summary names a stop by each signal. */
export const SIGNAL_WORDS: Record<StopSignal, string> = { SIGINT: 'interrupted', SIGTERM: 'terminated (SIGTERM)', SIGHUP: 'hung up (SIGHUP)' };

/** The exit codes of a stop by a signal: they win over any other outcome of the run. */
export const isSignalExit = (code: number): boolean => code === EXIT.interrupted || code === EXIT.terminated || code === EXIT.hangup;

export class OpsmeterError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, exitCode: ExitCode = EXIT.usage, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = hint;
  }
}
