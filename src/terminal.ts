/**
 * Terminal concerns shared by every layer that renders text for people: the styling
 * functions (Paint), and the one self-rewriting progress line. Nothing here reads global
 * state: `src/cli/` decides whether to colour (colorAllowed, with its flags and environment) and
 * hands renderers the Paint and the stream to use.
 */

const STYLES = ['red', 'green', 'yellow', 'cyan', 'gray', 'dim', 'bold', 'underline'] as const;
export type Paint = Record<(typeof STYLES)[number], (s: string) => string>;

/** Styling that changes nothing: for files, pipes, CI logs and NO_COLOR. */
export const PLAIN: Paint = Object.fromEntries(STYLES.map((k) => [k, (s: string) => s])) as Paint;

/** chalk's styles. Loaded on demand: runs that colour nothing never pay chalk's start-up. */
export async function loadColors(): Promise<Paint> {
  const { Chalk } = await import('chalk');
  const chalk = new Chalk({ level: 1 });
  return Object.fromEntries(STYLES.map((k) => [k, (s: string) => chalk[k](s)])) as Paint;
}

/**
 * Whether text written to `stream` may be coloured, from the strongest say to the weakest:
 * `--color` / `--no-color` (`wanted`: true, false, or undefined when neither was given); then
 * FORCE_COLOR, as Node and chalk read it (0 or false: never; any other value, the empty
 * one included: always, even into a pipe — it beats NO_COLOR, as in Node); then NO_COLOR
 * (set and not empty: never); then TERM=dumb (a terminal without escape codes: never);
 * else only on a TTY.
 */
export function colorAllowed(stream: { isTTY?: boolean }, wanted: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (wanted !== undefined) return wanted;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** A single self-rewriting status line on a TTY; notices are printed above it. */
export class ProgressLine {
  private timer: NodeJS.Timeout | undefined;
  private render: (() => string) | undefined;
  private shown = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly enabled: boolean,
  ) {}

  start(render: () => string, everyMs = 200): void {
    if (!this.enabled) return;
    this.render = render;
    this.timer = setInterval(() => this.draw(), everyMs);
    this.timer.unref();
  }

  /** Redraw now (e.g. on a progress callback rather than a timer). */
  draw(): void {
    if (!this.render) return;
    const cols = this.out.columns || 100;
    this.out.write('\r\x1b[2K' + this.render().slice(0, cols - 1));
    this.shown = true;
  }

  note(line: string): void {
    if (this.shown) this.out.write('\r\x1b[2K');
    this.out.write(line + '\n');
    if (this.shown) this.draw();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.shown) this.out.write('\r\x1b[2K');
    this.shown = false;
    this.render = undefined;
  }
}
