/**
 * User-facing failures: one clear line, a documented exit code, no stack trace
 * (unless --debug). Anything else that escapes is a bug and is reported as such.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 2,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Exit codes shared by all commands (see README "Exit codes"). */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  policy: 3,
  auth: 4,
  gaveUp: 5,
  interrupted: 130,
} as const;
