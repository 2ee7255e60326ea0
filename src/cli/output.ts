/**
 * Where output goes and whether it is coloured: machine output to stdout (or --output),
 * human progress and summaries to stderr; colour as `--color`/`--no-color`, FORCE_COLOR,
 * NO_COLOR, TERM=dumb and the TTY say (colorAllowed). This is the CLI's own state;
 * renderers get a Paint as a parameter.
 */
import { EXIT } from '../errors.js';
import { drained, writeResultFile } from '../result-file.js';
import { colorAllowed, loadColors, PLAIN, type Paint } from '../terminal.js';

/** --color (true), --no-color (false), or neither (undefined: the environment and the TTY decide). */
let colorWanted: boolean | undefined;
let colored: Paint | undefined;

export function setColor(wanted: boolean | undefined): void {
  colorWanted = wanted;
}

export function useColor(stream: { isTTY?: boolean } = process.stderr): boolean {
  return colorAllowed(stream, colorWanted, process.env);
}

/**
 * Load chalk only when some output will be coloured: CI runs (no TTY, NO_COLOR) never
 * pay for it at start-up. Called once before a command runs.
 */
export async function prepareColor(): Promise<void> {
  if (colored || !(useColor(process.stdout) || useColor(process.stderr))) return;
  colored = await loadColors();
}

/** Styling functions: chalk's when `enabled` (and prepared), identity otherwise. */
export function paint(enabled: boolean): Paint {
  return enabled && colored ? colored : PLAIN;
}

/** The Paint for text written to `stream`. */
export function paintFor(stream: { isTTY?: boolean }): Paint {
  return paint(useColor(stream));
}

const isClosedPipe = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code === 'EPIPE';
let writeFailed = false;

/** True when stdout or stderr failed for a reason other than a closed pipe: main then exits 2. */
export function outputFailed(): boolean {
  return writeFailed;
}

/**
 * A reader that goes away (`opsmeter … | head -1`) closes our stdout: the next write fails
 * with EPIPE, which Node raises as an unhandled 'error' event, i.e. a stack trace. Instead,
 * the rest of the output is discarded and the command finishes its work, so it exits with
 * the code its documentation gives for what it found, as it would have with the whole
 * output read. The same for stderr (`2>&1 | head`). Installed once, by main().
 */
export function discardOutputOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (!isClosedPipe(e)) {
      // Not a closed pipe (EIO, ENOSPC on a redirect): the output is incomplete, so say so
      // where it still can be said, and fail.
      if (!writeFailed && stream !== process.stderr) process.stderr.write(`opsmeter: cannot write the output: ${e.code ?? e.message}\n`);
      writeFailed = true;
      process.exitCode = EXIT.usage; // main sets it again if the command's own code came later
      return;
    }
    const discard = (_chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    };
    stream.write = discard as typeof stream.write;
    stream.emit('drain'); // release writers waiting for back-pressure to ease
  });
}

/**
 * Write text to a file (--output) or stdout, surfacing write errors as user errors. The text
 * may come in chunks (a report read back from temp files): each is written as it comes,
 * waiting while the stream's buffer is full, so a long report never sits whole in memory.
 * A file is a result file (src/result-file.ts): complete under its name, or absent.
 */
export async function writeOutput(text: string | Iterable<string>, file: string | undefined): Promise<void> {
  const chunks = typeof text === 'string' ? [text] : text;
  if (!file || file === '-') {
    // A closed pipe is not an error of this command (see discardOutputOnClosedPipe).
    // Any other failure is reported once by that handler and makes main exit 2.
    const out = process.stdout;
    for (const chunk of chunks) {
      if (out.destroyed) return;
      if (!out.write(chunk)) await drained(out);
    }
    await new Promise<void>((resolve) => out.write('', () => resolve()));
    return;
  }
  await writeResultFile(file, chunks);
}
