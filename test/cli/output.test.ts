/**
 * Colour: `--color` / `--no-color`, then FORCE_COLOR (0 or false off, anything else on, even
 * into a pipe; it beats NO_COLOR, as in Node), then NO_COLOR, then TERM=dumb, else the TTY.
 * The rule itself in-process (colorAllowed), then the built CLI: into a pipe, and on a real
 * terminal (util-linux `script` gives the child a pseudo-terminal; skipped, visibly, where
 * it is missing).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { colorAllowed } from '../../src/terminal.js';
import { BIN, FIXTURES, runCli, runProcess } from '../helpers/cli.js';

const ESC = /\x1b\[/;
const TTY = { isTTY: true };
const PIPE = { isTTY: false };
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
/** A file with warnings and an error: the pretty report colours both. */
const FILE = join(FIXTURES, 'payloads', 'broken', 'duplicate-keys.jsonl');

describe('colorAllowed', () => {
  it.each([
    ['a terminal', TTY, undefined, {}, true],
    ['a pipe', PIPE, undefined, {}, false],
    ['--no-color on a terminal', TTY, false, {}, false],
    ['--color into a pipe', PIPE, true, {}, true],
    ['--color beats NO_COLOR and FORCE_COLOR=0', PIPE, true, { NO_COLOR: '1', FORCE_COLOR: '0' }, true],
    ['--no-color beats FORCE_COLOR=1', TTY, false, { FORCE_COLOR: '1' }, false],
    ['FORCE_COLOR=0 on a terminal', TTY, undefined, { FORCE_COLOR: '0' }, false],
    ['FORCE_COLOR=false on a terminal', TTY, undefined, { FORCE_COLOR: 'false' }, false],
    ['FORCE_COLOR=1 into a pipe', PIPE, undefined, { FORCE_COLOR: '1' }, true],
    ['FORCE_COLOR=3 into a pipe', PIPE, undefined, { FORCE_COLOR: '3' }, true],
    ['FORCE_COLOR set empty (on, as Node and chalk read it)', PIPE, undefined, { FORCE_COLOR: '' }, true],
    ['FORCE_COLOR=1 beats NO_COLOR (as in Node)', PIPE, undefined, { FORCE_COLOR: '1', NO_COLOR: '1' }, true],
    ['NO_COLOR on a terminal', TTY, undefined, { NO_COLOR: '1' }, false],
    ['NO_COLOR set empty is not set', TTY, undefined, { NO_COLOR: '' }, true],
    ['TERM=dumb on a terminal', TTY, undefined, { TERM: 'dumb' }, false],
    ['TERM=xterm-256color on a terminal', TTY, undefined, { TERM: 'xterm-256color' }, true],
  ] as const)('%s', (_what, stream, wanted, env, expected) => {
    expect(colorAllowed(stream, wanted, env)).toBe(expected);
  });
});

describe('the built CLI, into a pipe', () => {
  const plain = { NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: undefined };

  it('no colour by default; --color and FORCE_COLOR=1 colour the pretty report; --no-color and FORCE_COLOR=0 do not', async () => {
    const none = await runCli(['validate', FILE], { env: plain });
    expect(none.code).toBe(1);
    expect(none.stdout).not.toMatch(ESC);
    const flag = await runCli(['validate', '--color', FILE], { env: plain });
    expect(flag.code).toBe(1);
    expect(flag.stdout).toMatch(ESC);
    // The report is the same text with the escape codes taken out.
    expect(flag.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toBe(none.stdout);
    const forced = await runCli(['validate', FILE], { env: { ...plain, FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(forced.stdout).toMatch(ESC);
    for (const args of [['--no-color', FILE], [FILE, '--no-color']]) {
      const off = await runCli(['validate', ...args], { env: { ...plain, FORCE_COLOR: '1' } });
      expect(off.stdout, args.join(' ')).not.toMatch(ESC);
    }
    const zero = await runCli(['validate', FILE], { env: { ...plain, FORCE_COLOR: '0' } });
    expect(zero.stdout).not.toMatch(ESC);
  });

  it('machine formats are never coloured, whatever is asked', async () => {
    const r = await runCli(['validate', '--color', '--format', 'json', FILE], { env: { ...plain, FORCE_COLOR: '1' } });
    expect(r.stdout).not.toMatch(ESC);
    expect(JSON.parse(r.stdout).summary.errors).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasScript)('the built CLI, on a terminal (script)', () => {
  /** Runs the CLI on a pseudo-terminal (its stdout and stderr both), with these variables. */
  const onTerminal = (args: string[], env: Record<string, string | undefined>) =>
    runProcess('script', ['-qec', [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], {
      env: { NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: 'xterm-256color', ...env },
    });

  it('colours by default; FORCE_COLOR=0, NO_COLOR, TERM=dumb and --no-color each turn it off', async () => {
    const on = await onTerminal(['validate', FILE], {});
    expect(on.code).toBe(1);
    expect(on.stdout).toMatch(ESC);
    for (const [what, env, args] of [
      ['FORCE_COLOR=0', { FORCE_COLOR: '0' }, []],
      ['NO_COLOR=1', { NO_COLOR: '1' }, []],
      ['TERM=dumb', { TERM: 'dumb' }, []],
      ['--no-color', {}, ['--no-color']],
    ] as const) {
      const r = await onTerminal(['validate', ...args, FILE], env);
      expect(r.code, what).toBe(1);
      expect(r.stdout, what).toMatch(/payload\/|json\//);
      expect(r.stdout, what).not.toMatch(ESC);
    }
    const both = await onTerminal(['validate', '--color', FILE], { TERM: 'dumb' });
    expect(both.stdout).toMatch(ESC);
  });
});
