/**
 * `opsmeter emulate`'s flags, in-process: parsed as the CLI parses them (each value is
 * range-checked by its argument parser) and planned by planEmulate (src/cli/emulate-plan.ts).
 * emulate.test.ts keeps one bad flag end to end, and the errors a running server meets.
 */
import { describe, expect, it } from 'vitest';
import type { EmulatePlan } from '../../src/cli/emulate-plan.js';
import { plan, usageError } from '../helpers/command-line.js';

async function planned(argv: string[], vars: Record<string, string> = {}): Promise<EmulatePlan> {
  const r = await plan(['emulate', ...argv], { vars });
  if (!('plan' in r)) throw new Error(`expected a plan, got exit ${r.code}: ${r.stderr}`);
  return r.plan as EmulatePlan;
}

describe('opsmeter emulate flags', () => {
  it('bad flag values → exit 2 naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--port', '70000'], /--port/],
      [['--port', 'abc'], /--port/],
      [['--fail-rate', '1.5'], /--fail-rate takes a number between 0 and 1/],
      [['--fail-rate', 'x'], /--fail-rate/],
      [['--rate-limit', '0'], /--rate-limit takes a number > 0/],
      [['--budget-usd', '-1'], /--budget-usd/],
      [['--plan-limit', '2.5'], /--plan-limit/],
      [['--latency', '-5'], /--latency/],
      [['--seed', 'abc'], /--seed/],
      [['--retry-after', 'sometimes'], /--retry-after/],
    ];
    for (const [args, message] of cases) {
      const r = await usageError(['emulate', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('the fault knobs and the listening address, as given', async () => {
    const p = await planned(['--host', '0.0.0.0', '--port', '0', '--plan-limit', '1', '--fail-rate', '0', '--seed', '4', '--rate-limit', '100', '--retry-after', 'http-date', '--latency', '0', '--budget-usd', '5', '--store', 'rows.jsonl', '-v']);
    expect(p).toMatchObject({ host: '0.0.0.0', port: 0, store: 'rows.jsonl', verbose: true });
    expect(p.faults).toEqual({ planLimit: 1, planTier: 'Free', budgetUsd: 5, budgetMode: 'soft', rateLimit: 100, failRate: 0, latencyMs: 0, seed: 4, retryAfterMode: 'http-date' });
    expect(await planned([])).toMatchObject({ host: '127.0.0.1', port: 8787, faults: { budgetMode: 'soft', retryAfterMode: 'seconds' } });
  });

  it('the key: --api-key, else OPSMETER_EMULATOR_API_KEY, else OPSMETER_API_KEY, else the default; only the default is shown', async () => {
    expect((await planned([])).apiKey).toEqual({ value: 'om_test_local', shown: 'om_test_local' });
    expect((await planned([], { OPSMETER_API_KEY: 'k1' })).apiKey).toEqual({ value: 'k1', shown: '(from OPSMETER_API_KEY)' });
    expect((await planned([], { OPSMETER_API_KEY: 'k1', OPSMETER_EMULATOR_API_KEY: 'k2' })).apiKey).toEqual({ value: 'k2', shown: '(from OPSMETER_EMULATOR_API_KEY)' });
    expect((await planned(['--api-key', 'k3'], { OPSMETER_API_KEY: 'k1' })).apiKey).toEqual({ value: 'k3', shown: '(as given with --api-key)' });
  });

  it('the Bearer token: --bearer-token, else OPSMETER_EMULATOR_TOKEN, else the default; one with spaces is exit 2', async () => {
    expect((await planned([])).bearerToken).toEqual({ value: 'om_user_token_local', shown: 'om_user_token_local' });
    expect((await planned([], { OPSMETER_EMULATOR_TOKEN: 't1' })).bearerToken).toEqual({ value: 't1', shown: '(from OPSMETER_EMULATOR_TOKEN)' });
    expect(await usageError(['emulate', '--bearer-token', 'a b'])).toMatchObject({ code: 2, stderr: 'opsmeter: the Bearer token given with --bearer-token is empty or contains spaces\n' });
    expect(await usageError(['emulate'], { vars: { OPSMETER_EMULATOR_TOKEN: 'a b' } })).toMatchObject({ code: 2, stderr: 'opsmeter: the Bearer token from OPSMETER_EMULATOR_TOKEN is empty or contains spaces\n' });
  });

  it('a command (after --): a free port unless --port says otherwise, the report, what fails the run, the log format', async () => {
    const p = await planned(['--strict', '--max-warnings', '3', '--report', 'r.sarif', '--format', 'sarif', '--rule', 'payload/missing-latency=off', '--', 'python3', '-u', 'app.py', '--flag']);
    expect(p).toMatchObject({
      port: 0,
      command: { file: 'python3', args: ['-u', 'app.py', '--flag'] },
      report: { file: 'r.sarif', format: 'sarif' },
      strict: true,
      maxWarnings: 3,
      log: undefined,
      config: { rule: [['payload/missing-latency', 'off']] },
    });
    expect(await planned(['--port', '9000', '--', 'npm', 'test'])).toMatchObject({ port: 9000, command: { file: 'npm', args: ['test'] } });
    expect(await planned(['--report', 'r.txt'])).toMatchObject({ port: 8787, report: { file: 'r.txt', format: 'pretty' }, strict: false });
    expect((await planned(['--log-format', 'json'])).log).toBe('json');
    expect((await planned(['-v'])).log).toBe('text');
  });

  it('--format without --report, a bad format or log format, and an empty command are exit 2', async () => {
    expect(await usageError(['emulate', '--format', 'json', '--', 'npm', 'test'])).toMatchObject({
      code: 2,
      stderr: 'opsmeter: --format is the format of the report: give --report FILE too (or --report - for stdout)\n',
    });
    expect((await usageError(['emulate', '--report', 'r', '--format', 'xml'])).stderr).toMatch(/argument 'xml' is invalid/);
    expect((await usageError(['emulate', '--log-format', 'yaml'])).stderr).toMatch(/argument 'yaml' is invalid/);
    expect((await usageError(['emulate', '--', ''])).stderr).toContain('the command to run is empty');
    expect((await usageError(['emulate', '--max-warnings', '-1'])).code).toBe(2);
  });
});
