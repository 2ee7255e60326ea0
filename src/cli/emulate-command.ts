/**
 * `opsmeter emulate -- CMD ARGS…`: the team's command, run against the emulator
 * (docs/emulate.md, "Testing your app"). It runs without a shell, with stdin, stdout and
 * stderr inherited; SIGINT, SIGTERM and SIGHUP sent to opsmeter are passed on to it, and
 * opsmeter waits for it to end before it reports. Without a command, the same signals stop
 * the emulator.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { printable } from '../emulator/printable.js';

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The stop signals, listened for from the start: the first stops a server; with a command, each is passed on. */
export class StopSignals {
  /** Resolves with the first stop signal received (a server's end). */
  readonly stopped: Promise<NodeJS.Signals>;
  private handler: (signal: NodeJS.Signals) => void = () => {};
  private readonly on = (signal: NodeJS.Signals) => this.handler(signal);

  constructor() {
    this.stopped = new Promise((resolve) => (this.handler = resolve));
    for (const signal of STOP_SIGNALS) process.on(signal, this.on);
  }

  /** From now on, each signal goes to `receiver` instead. */
  passTo(receiver: (signal: NodeJS.Signals) => void): void {
    this.handler = receiver;
  }

  remove(): void {
    for (const signal of STOP_SIGNALS) process.off(signal, this.on);
  }
}

export interface CommandExit {
  /** The command's exit code; 128 + the signal's number when a signal ended it; 127/126 when it could not be run. */
  code: number;
  /** "`npm test` exited 0", "`npm test` was ended by SIGTERM", "`nope` could not be run: …". */
  summary: string;
}

/** The command as one could type it again: arguments with spaces, quotes or shell characters are quoted. */
export function shownCommand(command: { file: string; args: string[] }): string {
  return [command.file, ...command.args].map((a) => (a === '' || /[\s"'$`\\]/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

/** Run the command to its end, passing the stop signals on; never rejects. */
export function runCommand(command: { file: string; args: string[] }, env: NodeJS.ProcessEnv, signals: StopSignals): Promise<CommandExit> {
  const shown = `\`${printable(shownCommand(command))}\``;
  return new Promise((resolve) => {
    const child = spawn(command.file, command.args, { stdio: 'inherit', env });
    signals.passTo((signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      // Not found, or not executable: what a shell answers with 127 and 126.
      const code = e.code === 'ENOENT' ? 127 : 126;
      const why = e.code === 'ENOENT' ? 'no such command (it is run without a shell: is it on PATH?)' : (e.code ?? e.message);
      resolve({ code, summary: `${shown} could not be run: ${why}` });
    });
    child.once('exit', (code, signal) => {
      if (signal) resolve({ code: 128 + (constants.signals[signal] ?? 0), summary: `${shown} was ended by ${signal}` });
      else resolve({ code: code ?? 1, summary: `${shown} exited ${code}` });
    });
  });
}
