/**
 * `opsmeter send`'s flags, in-process: the command line parsed as the CLI parses it and
 * planned by planSend (src/cli/send-plan.ts), with the exit code and stderr the CLI would
 * give (test/helpers/command-line.ts). send.test.ts keeps the errors that need a file and one
 * flag error end to end.
 */
import { describe, expect, it } from 'vitest';
import type { SendPlan } from '../../src/cli/send-plan.js';
import { plan, usageError } from '../helpers/command-line.js';

const KEY = 'om_live_SECRET_123';
const env = { OPSMETER_API_KEY: KEY };

async function planned(argv: string[], vars: Record<string, string> = env): Promise<SendPlan> {
  const r = await plan(['send', ...argv], { vars });
  if (!('plan' in r)) throw new Error(`expected a plan, got exit ${r.code}: ${r.stderr}`);
  return r.plan as SendPlan;
}

describe('usage errors exit 2 with one clear line', () => {
  it.each([
    [['send', '--test'], /no API key/],
    [['send', '--test', '--demo'], /one of --test and --demo/],
    [['send', '--test', 'x.jsonl'], /do not also give files/],
    [['send', 'x.jsonl', '--count', '3'], /--count applies to generated events/],
    [['send', '--test', '--environment', 'prod'], /staging or dev/],
    [['send', '--test', '--concurrency', '0'], /--concurrency takes a whole number ≥ 1/],
    [['send', '--test', '--rate', 'fast'], /--rate takes a number/],
  ])('%j', async (args, re) => {
    const r = await usageError(args as string[], { vars: args[1] === '--test' && args.length === 2 ? {} : env });
    expect(r.code, args.join(' ')).toBe(2);
    expect(r.stderr, args.join(' ')).toMatch(re);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses plain http:// to a non-loopback host without --allow-insecure (exit 2, nothing sent)', async () => {
    const r = await usageError(['send', '--test', '--base-url', 'http://opsmeter.example.invalid'], { vars: env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing plain http:// to opsmeter.example.invalid');
    expect(r.stderr).toContain('--allow-insecure');
    const env2 = await usageError(['send', '--test'], { vars: { ...env, OPSMETER_API_BASE_URL: 'http://10.1.2.3:8787' } });
    expect(env2.code).toBe(2);
    expect(env2.stderr).toContain('OPSMETER_API_BASE_URL');
  });

  it('--seed and --environment apply to generated events only; prod gets a hint', async () => {
    for (const flag of [['--seed', 's'], ['--environment', 'dev']]) {
      const r = await usageError(['send', 'x.jsonl', ...flag], { vars: env });
      expect(r.stderr).toBe(`opsmeter: ${flag[0]} applies to generated events (--test or --demo)\n  hint: payloads from files keep their own values\n`);
    }
    expect((await usageError(['send', '--demo', '--environment', 'prod'], { vars: env })).stderr).toMatch(/hint: test and demo events never go to environment prod/);
  });

  it('a key with spaces in OPSMETER_API_KEY is refused without repeating it', async () => {
    const r = await usageError(['send', '--test'], { vars: { OPSMETER_API_KEY: 'om_live SECRET' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the API key from OPSMETER_API_KEY contains spaces/);
    expect(r.stderr).not.toContain('SECRET');
  });
});

describe('the plan', () => {
  it('generated events: --test or --demo with their count, environment and seed', async () => {
    expect((await planned(['--test'])).input).toEqual({ generate: 'test', count: 1, environment: undefined, seed: undefined });
    expect((await planned(['--demo', '-n', '5', '--environment', 'staging', '--seed', 'fixed'])).input).toEqual({ generate: 'demo', count: 5, environment: 'staging', seed: 'fixed' });
  });

  it('payload files, or none: stdin (the action peeks at it)', async () => {
    expect((await planned(['a.jsonl', 'dir/'])).input).toEqual({ paths: ['a.jsonl', 'dir/'] });
    expect((await planned([])).input).toEqual({ paths: [] });
  });

  it('the session: defaults resolved, the target checked, the rate left to the target', async () => {
    const p = await planned(['--test', '--base-url', 'https://eu.example.com/proxy', '--journal', 'j.jsonl', '--max-retries', '0', '-v', '--format', 'json', '--use-demo-endpoint', '--allow-real']);
    expect(p.session).toEqual({
      target: { baseUrl: 'https://eu.example.com/proxy', apiKeyFile: undefined, allowInsecure: undefined },
      useDemoEndpoint: true,
      dryRun: false,
      allowReal: true,
      concurrency: 8,
      rate: undefined,
      timeout: 5000,
      maxRetries: 0,
      giveUpAfterMs: 20_000,
      journal: 'j.jsonl',
      verbose: true,
      format: 'json',
    });
  });

  it('a dry run needs no key; a key file is read when the send starts', async () => {
    expect((await planned(['--test', '--dry-run'], {})).session.dryRun).toBe(true);
    expect((await planned(['--test', '--api-key-file', 'no/such/file'], {})).session.target.apiKeyFile).toBe('no/such/file');
  });

  it('a *.localhost name passes: whether it is this machine is looked up when the send starts', async () => {
    expect((await planned(['--test', '--base-url', 'http://app.localhost:8787'])).session.target.baseUrl).toBe('http://app.localhost:8787');
    expect((await usageError(['send', '--test', '--base-url', 'http://app.example:8787'], { vars: env })).stderr).toMatch(/refusing plain http/);
  });

  it('opsmeter.config.json and --catalog are read by the action', async () => {
    const p = await planned(['--test', '--config', 'ci/opsmeter.json', '--catalog', 'c.json']);
    expect(p.config).toEqual({ config: 'ci/opsmeter.json', rule: undefined });
    expect(p.catalog).toBe('c.json');
    expect((await planned(['--test'], { ...env, OPSMETER_CATALOG: 'from-env.json' })).catalog).toBe('from-env.json');
  });
});
