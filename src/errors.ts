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
  /** Stopped by SIGINT (128 + 2). */
  interrupted: 130,
  /** Stopped by SIGTERM (128 + 15). */
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

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
