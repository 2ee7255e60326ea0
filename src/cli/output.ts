/**
 * Where output goes and whether it is coloured: machine output to stdout (or --output),
 * human progress and summaries to stderr; colour only on a TTY, never with NO_COLOR
 * or --no-color.
 */
import { createWriteStream } from 'node:fs';
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

const STYLES = ['red', 'green', 'yellow', 'cyan', 'gray', 'dim', 'bold', 'underline'] as const;
export type Paint = Record<(typeof STYLES)[number], (s: string) => string>;

const plain: Paint = Object.fromEntries(STYLES.map((k) => [k, (s: string) => s])) as Paint;
let colored: Paint | undefined;

/**
 * Load chalk only when some output will be coloured: CI runs (no TTY, NO_COLOR) never
 * pay for it at start-up. Called once before a command runs.
 */
export async function prepareColor(): Promise<void> {
  if (colored || !(useColor(process.stdout) || useColor(process.stderr))) return;
  const { Chalk } = await import('chalk');
  const chalk = new Chalk({ level: 1 });
  colored = Object.fromEntries(STYLES.map((k) => [k, (s: string) => chalk[k](s)])) as Paint;
}

/** Styling functions: chalk's when `enabled` (and prepared), identity otherwise. */
export function paint(enabled: boolean): Paint {
  return enabled && colored ? colored : plain;
}

/** Write text to a file (--output) or stdout, surfacing write errors as user errors. */
export async function writeOutput(text: string, file: string | undefined): Promise<void> {
  if (!file || file === '-') {
    await new Promise<void>((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const s = createWriteStream(file);
    s.on('error', (e) => reject(new UserError(`cannot write ${file}: ${e.message}`, 2)));
    s.end(text, () => resolve());
  });
}
