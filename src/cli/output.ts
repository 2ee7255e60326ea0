/**
 * Where output goes and whether it is coloured: machine output to stdout (or --output),
 * human progress and summaries to stderr; colour only on a TTY, never with NO_COLOR
 * or --no-color. This is the CLI's own state; renderers get a Paint as a parameter.
 */
import { createWriteStream } from 'node:fs';
import { EXIT, OpsmeterError } from '../errors.js';
import { colorAllowed, loadColors, PLAIN, type Paint } from '../terminal.js';

let colorWanted = true;
let colored: Paint | undefined;

export function setColor(wanted: boolean): void {
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

/** Write text to a file (--output) or stdout, surfacing write errors as user errors. */
export async function writeOutput(text: string, file: string | undefined): Promise<void> {
  if (!file || file === '-') {
    await new Promise<void>((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const s = createWriteStream(file);
    // Resolve on 'finish' only: end()'s callback also runs after a failed open (EISDIR,
    // EACCES), which used to report "written" and exit 0 with no report on disk.
    s.on('error', (e) => reject(new OpsmeterError(`cannot write ${file}: ${e.message}`, EXIT.usage)));
    s.on('finish', () => resolve());
    s.end(text);
  });
}
