/**
 * SIGINT, SIGTERM and SIGHUP for the commands that stop in order on them (`send`, `import`,
 * `import --send`): the first signal is handed to every part of the command listening (an
 * import, a send session), which stop reading, finish what they have and write their
 * summaries, then exit with the signal's code (130, 143, 129). A second signal quits at once
 * with that code; result files not yet complete are removed on the way out (result-file.ts).
 * SIGHUP — the terminal closed — is handled as SIGTERM is (docs/send.md "Journal and signals").
 */
import { SIGNAL_EXIT, SIGNAL_WORDS, type StopSignal } from '../errors.js';

const SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const listeners = new Set<(signal: StopSignal) => void>();
let installed = false;
let first: StopSignal | undefined;

function received(signal: StopSignal): void {
  if (first !== undefined) {
    // The terminal may be gone (SIGHUP): a failed write must not stop the exit.
    try {
      process.stderr.write(`\n${SIGNAL_WORDS[signal]} again: quitting without waiting\n`);
    } catch {
      // nothing to tell it to
    }
    process.exit(SIGNAL_EXIT[signal]);
  }
  first = signal;
  for (const listener of [...listeners]) listener(signal);
}

/**
 * Call `listener` on the first stop signal (at once if one came already); returns the function
 * that stops listening. The process keeps its handlers once installed, so a second signal
 * always quits with the signal's code rather than being the default kill.
 */
export function onStopSignal(listener: (signal: StopSignal) => void): () => void {
  if (!installed) {
    installed = true;
    for (const s of SIGNALS) process.on(s, received);
  }
  listeners.add(listener);
  if (first !== undefined) listener(first);
  return () => {
    listeners.delete(listener);
  };
}

/** The first stop signal received, if any. */
export function stopSignalReceived(): StopSignal | undefined {
  return first;
}
