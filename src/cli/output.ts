/**
 * Where output goes and whether it is coloured: machine output to stdout (or --output),
 * human progress and summaries to stderr; colour only on a TTY, never with NO_COLOR
 * or --no-color.
 */
import { createWriteStream } from 'node:fs';
import { Chalk, type ChalkInstance } from 'chalk';
import { UserError } from './errors.js';

let colorWanted = true;

export function setColor(wanted: boolean): void {
  colorWanted = wanted;
}

export function useColor(stream: NodeJS.WriteStream = process.stderr): boolean {
  if (!colorWanted) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

/** A chalk instance that colours only when `enabled` (a TTY, no NO_COLOR/--no-color). */
export function paint(enabled: boolean): ChalkInstance {
  return new Chalk({ level: enabled ? 1 : 0 });
}
export type Paint = ChalkInstance;

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
    s.on('error', (e) => reject(new UserError(`cannot write ${file}: ${e.message}`, 2)));
    s.on('finish', () => resolve());
    s.end(text);
  });
}
