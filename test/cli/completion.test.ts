/**
 * `opsmeter completion bash|zsh|fish`, through the built CLI: each script names every command
 * and every visible flag of the program (read off commander, so a command added later is in
 * them with no edit: shown with a made-up one in-process); bash and fish are run for real on
 * what a user types (Tab after `opsmeter val`, `--fo`, `--format `, `completion `, a path);
 * zsh is checked for syntax and registered with compinit. A shell that is missing is
 * reported as skipped (.ci/run installs zsh and fish with apt-get).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completionScript, describeProgram, SHELLS } from '../../src/cli/completion.js';
import { buildProgram, defineCommand } from '../../src/cli/main.js';
import { runCli, runProcess } from '../helpers/cli.js';

const has = (shell: string) => spawnSync(shell, ['--version'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-completion-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const scripts: Record<string, string> = {};

beforeAll(async () => {
  for (const shell of SHELLS) {
    const r = await runCli(['completion', shell]);
    expect(r.code, r.stderr).toBe(0);
    scripts[shell] = r.stdout;
    writeFileSync(join(tmp, `opsmeter.${shell}`), r.stdout);
  }
  mkdirSync(join(tmp, 'work', 'payloads'), { recursive: true });
  writeFileSync(join(tmp, 'work', 'payloads', 'a.jsonl'), '{}\n');
});

describe('the scripts come from the program', () => {
  it('each names every command and every visible flag of every command', async () => {
    const program = buildProgram();
    for (const c of program.commands) await defineCommand(c);
    const spec = describeProgram(program);
    expect(spec.commands.map((c) => c.name)).toEqual(expect.arrayContaining(['validate', 'import', 'send', 'init', 'completion']));
    for (const shell of SHELLS) {
      for (const c of spec.commands) {
        expect(scripts[shell], `${shell}: ${c.name}`).toContain(c.name);
        for (const f of c.flags) {
          // fish writes "-l format"; bash and zsh write "--format".
          const long = f.long ? (shell === 'fish' ? `-l ${f.long.slice(2)}` : f.long) : undefined;
          if (long) expect(scripts[shell], `${shell}: ${c.name} ${f.long}`).toContain(long);
        }
      }
    }
    // send's hidden --api-key (refused: a key never goes in a flag) is never offered; its --api-key-file is.
    const send = spec.commands.find((c) => c.name === 'send')!.flags.map((f) => f.long);
    expect(send).toContain('--api-key-file');
    expect(send).not.toContain('--api-key');
  });

  it('a command or flag added to the program is in every script, with its choices, with no edit to the generator', () => {
    const program = new Command('opsmeter').option('--debug', 'show stack traces');
    program
      .command('reconcile')
      .description('compare what was sent with what the API billed')
      .argument('[paths...]')
      .option('--since <date>', 'from this day on (repeatable)')
      .option('--ledger <file>', 'the ledger file')
      .addOption(new Option('--by <key>', 'group by').choices(['day', 'model']));
    const spec = describeProgram(program);
    expect(spec.commands).toEqual([
      {
        name: 'reconcile',
        description: 'compare what was sent with what the API billed',
        args: 'files',
        flags: [
          { long: '--since', description: 'from this day on (repeatable)', value: 'free', repeatable: true },
          { long: '--ledger', description: 'the ledger file', value: 'files', repeatable: false },
          { long: '--by', description: 'group by', value: ['day', 'model'], repeatable: false },
          { short: '-h', long: '--help', description: 'display help', value: 'none', repeatable: false },
        ],
      },
    ]);
    expect(completionScript(spec, 'bash')).toContain('--by) COMPREPLY=($(compgen -W "day model" -- "$cur")); return ;;');
    expect(completionScript(spec, 'zsh')).toContain(`'*--since=[from this day on (repeatable)]:value: '`);
    expect(completionScript(spec, 'fish')).toContain(`complete -c opsmeter -n '__fish_seen_subcommand_from reconcile' -l by -x -a 'day model' -d 'group by'`);
  });

  it('a shell it does not know is a usage error (exit 2)', async () => {
    const r = await runCli(['completion', 'powershell']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/value 'powershell' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish/);
    expect(r.stdout).toBe('');
  });
});

describe.skipIf(!has('bash'))('bash, run on what a user types', () => {
  /** COMPREPLY after Tab on these words (the last is the word being completed). */
  async function tab(...words: string[]): Promise<string[]> {
    const script = `source "${join(tmp, 'opsmeter.bash')}"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _opsmeter; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = await runProcess('bash', ['-c', script], { cwd: join(tmp, 'work') });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  }

  it('commands, flags, flag values, shells and paths', async () => {
    expect(await tab('opsmeter', 'val')).toEqual(['validate']);
    expect(await tab('opsmeter', 'co')).toEqual(['completion']);
    expect(await tab('opsmeter', '--no')).toEqual(['--no-color']);
    expect(await tab('opsmeter', 'validate', '--fo')).toEqual(['--format']);
    expect(await tab('opsmeter', 'validate', '--format', '')).toEqual(['pretty', 'json', 'github', 'sarif', 'junit']);
    expect(await tab('opsmeter', 'validate', '--ignore-p')).toEqual(['--ignore-pattern']);
    expect(await tab('opsmeter', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
    expect(await tab('opsmeter', 'validate', 'pay')).toEqual(['payloads']);
    expect(await tab('opsmeter', '--debug', 'validate', '--strict', 'payloads/')).toEqual(['payloads/a.jsonl']);
    expect(await tab('opsmeter', 'import', '--from', 'lite')).toEqual(['litellm']);
  });
});

describe.skipIf(!has('fish'))('fish, run on what a user types (complete -C)', () => {
  async function tab(line: string): Promise<string[]> {
    const r = await runProcess('fish', ['--no-config', '-c', `source "${join(tmp, 'opsmeter.fish')}"; complete -C "${line}"`], { cwd: join(tmp, 'work') });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!);
  }

  it('commands, flags, flag values, shells and paths', async () => {
    expect(await tab('opsmeter val')).toEqual(['validate']);
    expect(await tab('opsmeter validate --fo')).toEqual(['--format']);
    expect((await tab('opsmeter validate --format ')).sort()).toEqual(['github', 'json', 'junit', 'pretty', 'sarif']);
    expect((await tab('opsmeter completion ')).sort()).toEqual(['bash', 'fish', 'zsh']);
    expect(await tab('opsmeter validate pay')).toEqual(['payloads/']);
    expect(await tab('opsmeter --no-c')).toEqual(['--no-color']);
  });
});

describe.skipIf(!has('zsh'))('zsh', () => {
  it('the script parses, and compinit registers it for opsmeter (sourced, and autoloaded from fpath)', async () => {
    const file = join(tmp, 'opsmeter.zsh');
    const syntax = await runProcess('zsh', ['-n', file]);
    expect(syntax.code, syntax.stderr).toBe(0);
    expect(scripts.zsh!.split('\n')[0]).toBe('#compdef opsmeter');
    const sourced = await runProcess('zsh', ['-f', '-c', `autoload -Uz compinit && compinit -u -D && source "${file}" && print -r -- "$_comps[opsmeter]"`]);
    expect(sourced.stdout.trim(), sourced.stderr).toBe('_opsmeter');
    const fpathDir = join(tmp, 'zfunc');
    mkdirSync(fpathDir, { recursive: true });
    writeFileSync(join(fpathDir, '_opsmeter'), scripts.zsh!);
    const autoloaded = await runProcess('zsh', ['-f', '-c', `fpath=("${fpathDir}" $fpath); autoload -Uz compinit && compinit -u -D && print -r -- "$_comps[opsmeter]"`]);
    expect(autoloaded.stdout.trim(), autoloaded.stderr).toBe('_opsmeter');
  });
});
