/**
 * src/cli/main.ts in-process: the program lists every command without loading its module
 * (startup.test.ts proves with the built CLI that --help and --version load none), and
 * `failure()` is what a user sees for each kind of error.
 */
import { Command, CommanderError, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, COMMANDS, defineCommand, failure } from '../../src/cli/main.js';
import { EXIT, OpsmeterError } from '../../src/errors.js';

describe('the command list', () => {
  it('each command\'s usage in COMMANDS is what commander derives from its defined flags and arguments', async () => {
    for (const entry of COMMANDS) {
      const cmd = new Command(entry.name);
      (await entry.load()).defineCommand(cmd);
      expect(new Help().subcommandTerm(cmd), entry.name).toBe(`${entry.name} ${entry.usage}`);
    }
  });

  it('--help reads the same with no command module loaded as with all of them loaded', async () => {
    const lazy = buildProgram();
    const loaded = buildProgram();
    for (const cmd of loaded.commands) await defineCommand(cmd);
    loaded.configureHelp({}); // commander's own listing, from the defined commands
    expect(lazy.helpInformation()).toBe(loaded.helpInformation());
    expect(lazy.commands.map((c) => c.name())).toEqual(['validate', 'import', 'reconcile', 'send', 'status', 'clean', 'emulate', 'smoke', 'schema', 'catalog', 'init', 'completion']);
    for (const cmd of lazy.commands) expect(cmd.options, cmd.name()).toEqual([]); // nothing was loaded
  });

  it('a command is defined once, however often it is asked for', async () => {
    const program = buildProgram();
    const send = program.commands.find((c) => c.name() === 'send')!;
    await defineCommand(send);
    const options = send.options.length;
    expect(options).toBeGreaterThan(10);
    await defineCommand(send);
    expect(send.options.length).toBe(options);
  });
});

describe('failure: the one place an error becomes stderr and an exit code', () => {
  it('commander: help and version exit 0, flag errors 2; commander has printed its own message', () => {
    expect(failure(new CommanderError(0, 'commander.version', '0.1.0'), false)).toEqual({ code: EXIT.ok, text: '' });
    expect(failure(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), false)).toEqual({ code: EXIT.usage, text: '' });
  });

  it('an OpsmeterError: its message and hint, its exit code, a stack trace only with --debug', () => {
    const e = new OpsmeterError('no API key', EXIT.usage, 'set OPSMETER_API_KEY');
    expect(failure(e, false)).toEqual({ code: 2, text: 'opsmeter: no API key\n  hint: set OPSMETER_API_KEY\n' });
    expect(failure(new OpsmeterError('gave up', EXIT.gaveUp), false)).toEqual({ code: EXIT.gaveUp, text: 'opsmeter: gave up\n' });
    expect(failure(e, true).text).toMatch(/^opsmeter: no API key\n {2}hint: set OPSMETER_API_KEY\nOpsmeterError: no API key\n\s+at /);
  });

  it('anything else is an internal error (70), asking for a report', () => {
    expect(failure(new TypeError('x is undefined'), false)).toEqual({
      code: EXIT.internal,
      text: 'opsmeter: internal error: x is undefined\n  (run again with --debug for the stack trace, and please report it)\n',
    });
    expect(failure(new TypeError('x is undefined'), true).text).toMatch(/^opsmeter: internal error: x is undefined\nTypeError: x is undefined\n\s+at /);
  });
});
