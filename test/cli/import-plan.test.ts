/**
 * `opsmeter import`'s flags, in-process: the command line parsed as the CLI parses it and
 * planned by planImport (src/cli/import-plan.ts), with the exit code and stderr the CLI
 * would give (test/helpers/command-line.ts). The flag errors that need the input (a CSV
 * header, a file that does not exist) and one flag error end to end stay in import.test.ts
 * and import-send.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { checkFormatsFound, type ImportPlan } from '../../src/cli/import-plan.js';
import { plan, usageError } from '../helpers/command-line.js';

const F = 'fixtures/import';
const LITELLM = `${F}/litellm/spend.csv`;
const ANTHROPIC = 'fixtures/import/anthropic-batch/msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d_results.jsonl';
const KEY = 'om_live_IMPORT_SEND_42';
const env = { OPSMETER_API_KEY: KEY };
const noStack = (stderr: string) => expect(stderr).not.toMatch(/internal error|\n\s+at /);

async function planned(argv: string[], opts: Parameters<typeof plan>[1] = {}): Promise<ImportPlan> {
  const r = await plan(['import', ...argv], opts);
  if (!('plan' in r)) throw new Error(`expected a plan, got exit ${r.code}: ${r.stderr}`);
  return r.plan as ImportPlan;
}

describe('usage errors (exit 2, one clear line)', () => {
  it.each([
    [['import', `${F}/csv/requests.csv`, '--from', 'csv'], /--from csv needs --map for provider, model, inputTokens, outputTokens/],
    [['import', LITELLM, '--from', 'litellm', '--map', 'model=x'], /--map applies to --from csv and --from jsonl only/],
    [['import', `${F}/csv/requests.csv`, '--from', 'csv', '--map', 'tokens=x'], /"tokens" is not a payload field --map can fill/],
    [['import', LITELLM, '--from', 'helicone'], /argument 'helicone' is invalid/],
    [['import', LITELLM, '--from', 'litellm', '--hash-user-ids', ''], /--hash-user-ids needs a non-empty salt/],
  ])('%j', async (args, message) => {
    const r = await usageError(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });

  it('--batch-id, --model and --provider are checked before anything is read', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--from', 'litellm', '--batch-id', 'b1'], /--batch-id applies to --from openai-batch, anthropic-batch and bedrock \(batch output\) only/],
      [['--from', 'openai-batch', '--batch-id', 'has space'], /--batch-id must be 1–128 printable characters without spaces/],
      [['--from', 'litellm', '--model', 'm'], /--model applies to --from bedrock/],
      [['--from', 'bedrock', '--model', 'a b'], /--model must be a model id/],
      [['--provider', '-bad'], /--provider must be a provider id/],
    ];
    for (const [args, message] of cases) {
      const r = await usageError(['import', LITELLM, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('no paths and stdin a terminal: no input (a piped stdin is read instead)', async () => {
    const r = await usageError(['import', '--from', 'litellm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('opsmeter: no input: give export files, directories or globs, or pipe one on stdin\n  hint: opsmeter import spend.csv --from litellm\n');
    expect((await planned(['--from', 'litellm'], { stdinPiped: true })).paths).toEqual(['-']);
  });
});

describe('--send usage errors, before anything is read or sent', () => {
  it('refuses dataMode real without --allow-real (exit 2) and says what to do', async () => {
    for (const extra of [[], ['--data-mode', 'real']]) {
      const r = await usageError(['import', ANTHROPIC, '--from', 'anthropic-batch', ...extra, '--send', '--base-url', 'http://127.0.0.1:9'], { vars: env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('refusing to send');
      expect(r.stderr).toContain('--data-mode test');
      expect(r.stderr).toContain('--allow-real');
      expect(r.stderr).not.toContain('rows read'); // refused by the plan: the import never ran
      expect(r.stdout).toBe('');
    }
    // Only the default is named as such.
    expect((await usageError(['import', ANTHROPIC, '--send'], { vars: env })).stderr).toContain('dataMode "real" (the default of --data-mode)');
    expect((await usageError(['import', ANTHROPIC, '--send', '--data-mode', 'real'], { vars: env })).stderr).not.toContain('the default of');
  });

  it('send flags without --send, -o - with --send, no key, plain http', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--base-url', 'http://127.0.0.1:9'], env, /--base-url applies with --send only/],
      [['--journal', 'j.jsonl'], env, /--journal applies with --send only/],
      [['--dry-run'], env, /--dry-run applies with --send only/],
      [['--send', '-o', '-', '--data-mode', 'test'], env, /not to stdout/],
      [['--send', '--data-mode', 'test', '--base-url', 'http://127.0.0.1:9'], {}, /no API key/],
      [['--send', '--data-mode', 'test', '--base-url', 'http://example.com'], env, /refusing plain http/],
    ];
    for (const [extra, vars, re] of cases) {
      const r = await usageError(['import', ANTHROPIC, '--from', 'anthropic-batch', ...extra], { vars });
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr, extra.join(' ')).toMatch(re);
      expect(r.stderr).not.toMatch(/rows read|\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });

  it('--catalog and the config flags are the import\'s own: they need no --send', async () => {
    const p = await planned([LITELLM, '--catalog', 'c.json', '--no-config', '--rule', 'payload/missing-latency=off']);
    expect(p).toMatchObject({ catalog: 'c.json', config: { config: false, rule: [['payload/missing-latency', 'off']] } });
    expect(p.send).toBeUndefined();
  });

  it('a key file is read when the import starts, not by the plan; a dry run needs no key', async () => {
    const withFile = await planned([ANTHROPIC, '--send', '--data-mode', 'test', '--api-key-file', 'no/such/key.txt']);
    expect(withFile.send?.target).toEqual({ apiKeyFile: 'no/such/key.txt' });
    expect((await planned([ANTHROPIC, '--send', '--data-mode', 'test', '--dry-run'])).send?.dryRun).toBe(true);
  });
});

describe('the plan', () => {
  it('resolves the defaults, the outputs and the send', async () => {
    const p = await planned(
      [LITELLM, '--from', 'litellm', '-o', 'p.jsonl', '--rejects', 'r.jsonl', '--summary-json', 's.json', '--endpoint-tag', 'gateway', '--data-mode', 'test', '--send', '--concurrency', '2', '--base-url', 'http://127.0.0.1:9'],
      { vars: env },
    );
    expect(p).toMatchObject({
      paths: [LITELLM],
      from: 'litellm',
      map: {},
      defaults: { dataMode: 'test', environment: 'prod', endpointTag: 'gateway', promptVersion: undefined },
      output: 'p.jsonl',
      rejects: 'r.jsonl',
      summaryJson: 's.json',
      send: { target: { baseUrl: 'http://127.0.0.1:9' }, concurrency: 2, dryRun: false, allowReal: false, format: 'pretty' },
    });
    // `-o -` is stdout.
    expect((await planned([LITELLM, '-o', '-'])).output).toBeUndefined();
  });

  it('--map is parsed for the generic formats; the salt may come from OPSMETER_HASH_SALT', async () => {
    const p = await planned([`${F}/csv/requests.csv`, '--from', 'csv', '--map', 'provider=vendor', '--map', 'model=m', '--map', 'inputTokens=i', '--map', 'outputTokens=o']);
    expect(p.map).toEqual({ provider: 'vendor', model: 'm', inputTokens: 'i', outputTokens: 'o' });
    expect((await planned([LITELLM], { vars: { OPSMETER_HASH_SALT: 's3cret' } })).hashSalt).toBe('s3cret');
  });

  it('worker threads from OPSMETER_IMPORT_WORKERS (off, 1–8), else two on two cores when they are idle', async () => {
    expect((await planned([LITELLM])).parallel).toEqual({ threads: 2, minBytes: 8 * 1024 * 1024, whenIdle: true });
    expect((await planned([LITELLM], { vars: { OPSMETER_IDLE_CORES: '0.5' } })).parallel).toEqual({ threads: 2, minBytes: 8 * 1024 * 1024, whenIdle: true, idleCores: 0.5 });
    expect(await usageError(['import', LITELLM], { vars: { OPSMETER_IDLE_CORES: 'lots' } })).toMatchObject({ code: 2, stderr: 'opsmeter: OPSMETER_IDLE_CORES must be a number of cores (e.g. 1.5), got "lots"\n' });
    expect((await planned([LITELLM], { vars: { OPSMETER_IMPORT_WORKERS: 'off' } })).parallel).toBeUndefined();
    expect((await planned([LITELLM], { vars: { OPSMETER_IMPORT_WORKERS: '3' } })).parallel).toEqual({ threads: 3, minBytes: 0 });
    const bad = await usageError(['import', LITELLM], { vars: { OPSMETER_IMPORT_WORKERS: 'many' } });
    expect(bad).toMatchObject({ code: 2, stderr: 'opsmeter: OPSMETER_IMPORT_WORKERS must be off or a number of threads from 1 to 8, got "many"\n' });
  });

  it('checkFormatsFound: --batch-id and --model against what --from auto found', async () => {
    const p = await planned([ANTHROPIC, '--batch-id', 'msgbatch_1']);
    expect(checkFormatsFound(p, ['anthropic-batch'])).toBeUndefined();
    expect(checkFormatsFound(p, ['litellm'])?.message).toBe('--batch-id applies to openai-batch, anthropic-batch and bedrock files; --from auto chose litellm');
    const m = await planned([ANTHROPIC, '--model', 'amazon.titan-text-express-v1']);
    expect(checkFormatsFound(m, ['bedrock', 'litellm'])).toBeUndefined();
    expect(checkFormatsFound(m, ['codex', 'litellm'])?.message).toBe('--model applies to bedrock batch output; --from auto found codex, litellm');
  });
});

describe('--since / --until, --exclude, --report (issue 24)', () => {
  const ms = (iso: string) => Date.parse(iso);

  it('a date is a whole UTC day (--until to the next day\'s 00:00, not included); a date-time is that instant, UTC without a zone', async () => {
    expect((await planned([LITELLM, '--since', '2026-06-01', '--until', '2026-06-30'])).window).toEqual({
      since: ms('2026-06-01T00:00:00Z'),
      until: ms('2026-07-01T00:00:00Z'),
      sinceIso: '2026-06-01T00:00:00.000Z',
      untilIso: '2026-07-01T00:00:00.000Z',
    });
    const cases: [string, string][] = [
      ['2026-06-01T12:00', '2026-06-01T12:00:00.000Z'],
      ['2026-06-01 12:00:30', '2026-06-01T12:00:30.000Z'],
      ['2026-06-01T12:00:00.5Z', '2026-06-01T12:00:00.500Z'],
      ['2026-06-01T14:00:00+02:00', '2026-06-01T12:00:00.000Z'],
      ['2026-06-01T00:30:00-01:00', '2026-06-01T01:30:00.000Z'],
      ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ];
    for (const [value, iso] of cases) expect((await planned([LITELLM, '--since', value])).window, value).toMatchObject({ since: ms(iso), until: undefined, untilIso: null });
    // A date-time --until is exclusive as given: a minute later is the next minute, not the end of a day.
    expect((await planned([LITELLM, '--until', '2026-06-30T23:59'])).window?.until).toBe(ms('2026-06-30T23:59:00Z'));
    expect((await planned([LITELLM, '--since', '2026-06-01', '--until', '2026-06-01'])).window).toMatchObject({ since: ms('2026-06-01T00:00:00Z'), until: ms('2026-06-02T00:00:00Z') });
    expect((await planned([LITELLM])).window).toBeUndefined();
  });

  it.each([
    [['--since', '2026-02-29'], /--since "2026-02-29" is not an ISO date or date-time/],
    [['--since', '2026-06-31'], /--since "2026-06-31" is not an ISO date or date-time/],
    [['--until', '2026-06-01T24:00'], /--until "2026-06-01T24:00" is not an ISO date or date-time/],
    [['--until', '06/01/2026'], /--until "06\/01\/2026" is not an ISO date or date-time/],
    [['--until', '2026-06-01T12:00+25:00'], /not an ISO date or date-time/],
    [['--since', '2026-06-01T12:00Z', '--until', '2026-06-01T12:00Z'], /--since 2026-06-01T12:00Z is not before --until 2026-06-01T12:00Z: no row could be kept/],
    [['--report', '-'], /--report needs a file name/],
    [['--report', 'x.html', '-o', 'x.html'], /--report x\.html is also -o's file/],
    [['--report', 's.json', '--summary-json', 's.json'], /--report s\.json is also --summary-json's file/],
  ])('%j is a usage error', async (flags, message) => {
    const r = await usageError(['import', LITELLM, ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });

  it('--exclude is repeatable; --report is kept; the progress interval comes from OPSMETER_IMPORT_PROGRESS_MS', async () => {
    const p = await planned([LITELLM, '--exclude', '*.csv', '--exclude', 'archive/**', '--report', 'r.html']);
    expect(p).toMatchObject({ exclude: ['*.csv', 'archive/**'], report: 'r.html', progressEveryMs: 250 });
    expect((await planned([LITELLM], { vars: { OPSMETER_IMPORT_PROGRESS_MS: '0' } })).progressEveryMs).toBe(0);
    const bad = await usageError(['import', LITELLM], { vars: { OPSMETER_IMPORT_PROGRESS_MS: 'fast' } });
    expect(bad).toMatchObject({ code: 2, stderr: 'opsmeter: OPSMETER_IMPORT_PROGRESS_MS must be a whole number of milliseconds, got "fast"\n' });
  });
});

describe('--against and --tolerance (issue 26)', () => {
  it('--against takes the report files after the paths; --tolerance defaults to 1 %', async () => {
    expect((await planned([LITELLM, '--against', 'u1.json', 'u2.json'])).against).toEqual({ reports: ['u1.json', 'u2.json'], tolerancePct: 1 });
    expect((await planned([LITELLM, '--against', 'u.json', '--tolerance', '2.5%'])).against).toEqual({ reports: ['u.json'], tolerancePct: 2.5 });
    expect((await planned([LITELLM])).against).toBeUndefined();
  });

  it.each([
    [['--tolerance', '2'], /--tolerance applies with --against only/],
    [['--against', 'u.json', '--tolerance', 'lots'], /--tolerance takes a percentage ≥ 0/],
    [['--against', '-'], /--against takes report files, not stdin/],
    [['-o', 'u.json', '--against', 'u.json'], /--against u\.json is also -o's file/],
    [['--report', 'u.json', '--against', 'u.json'], /--report u\.json is also|--against u\.json is also --report's file/],
  ])('%j', async (args, message) => {
    const r = await usageError(['import', LITELLM, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });
});
