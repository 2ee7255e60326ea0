/**
 * `opsmeter reconcile`'s flags, in-process: parsed as the CLI parses them and planned by
 * planReconcile (src/cli/reconcile-plan.ts), with the exit code and stderr the CLI would give.
 * The errors that need the files (missing, wrong shape) are in reconcile.test.ts, end to end.
 */
import { describe, expect, it } from 'vitest';
import type { ReconcilePlan } from '../../src/cli/reconcile-plan.js';
import { plan, usageError } from '../helpers/command-line.js';

const noStack = (stderr: string) => expect(stderr).not.toMatch(/internal error|\n\s+at /);

async function planned(argv: string[], opts: Parameters<typeof plan>[1] = {}): Promise<ReconcilePlan> {
  const r = await plan(['reconcile', ...argv], opts);
  if (!('plan' in r)) throw new Error(`expected a plan, got exit ${r.code}: ${r.stderr}`);
  return r.plan as ReconcilePlan;
}

describe('the plan', () => {
  it('defaults: ±1 %, every day, the dimensions read from metadata, pretty text, 50 rows', async () => {
    expect(await planned(['payloads.jsonl', '--against', 'a.json', 'b.json.gz'])).toEqual({
      payloads: ['payloads.jsonl'],
      reports: ['a.json', 'b.json.gz'],
      format: 'pretty',
      tolerancePct: 1,
      range: {},
      fields: { project: 'metadata.projectId', apiKey: 'metadata.apiKeyId', workspace: 'metadata.workspaceId' },
      maxRows: 50,
    });
  });

  it('every flag', async () => {
    const p = await planned([
      'p1.jsonl',
      'p2.jsonl',
      '--format',
      'json',
      '-o',
      'out.json',
      '--tolerance',
      '0.5%',
      '--since',
      '2025-11-01',
      '--until',
      '2025-11-30',
      '--field',
      'project=tenantId',
      '--field',
      'workspace=metadata.anthropicWorkspace',
      '--max-rows',
      '0',
      '--catalog',
      'ci/catalog.json',
      '--against',
      'usage/',
      '--against',
      'costs.json',
    ]);
    expect(p).toEqual({
      payloads: ['p1.jsonl', 'p2.jsonl'],
      reports: ['usage/', 'costs.json'],
      format: 'json',
      output: 'out.json',
      tolerancePct: 0.5,
      range: { since: '2025-11-01', until: '2025-11-30' },
      fields: { project: 'tenantId', apiKey: 'metadata.apiKeyId', workspace: 'metadata.anthropicWorkspace' },
      maxRows: 0,
      catalog: 'ci/catalog.json',
    });
  });

  it('payloads written after --against: the hint says where they go', async () => {
    const r = await usageError(['reconcile', '--against', 'usage.json', 'payloads.jsonl']);
    expect(r.stderr).toBe(
      'opsmeter: no payloads: give the payload files an import wrote, or pipe them on stdin\n  hint: --against takes every file after it: opsmeter reconcile payloads.jsonl --against usage.json (payload files first)\n',
    );
  });

  it('no payload paths: stdin when it is piped', async () => {
    expect((await planned(['--against', 'a.json'], { stdinPiped: true })).payloads).toEqual(['-']);
  });
});

describe('usage errors (exit 2, one clear line)', () => {
  it.each([
    [['reconcile', 'p.jsonl'], "opsmeter: no report to reconcile against: give the provider's usage or cost report pages with --against FILE…\n"],
    [['reconcile', '--against', 'a.json'], 'opsmeter: no payloads: give the payload files an import wrote, or pipe them on stdin\n'],
    [['reconcile', 'p.jsonl', '--against', 'a.json', '--tolerance', 'abc'], 'opsmeter: --tolerance takes a percentage ≥ 0 (e.g. 1, 0.5 or 2%), got "abc"\n'],
    [['reconcile', 'p.jsonl', '--against', 'a.json', '--tolerance', '-1'], 'opsmeter: --tolerance takes a percentage ≥ 0 (e.g. 1, 0.5 or 2%), got "-1"\n'],
    [['reconcile', 'p.jsonl', '--against', 'a.json', '--since', '2025-02-30'], 'opsmeter: --since takes a UTC date YYYY-MM-DD, got "2025-02-30"\n'],
    [['reconcile', 'p.jsonl', '--against', 'a.json', '--until', '1 Nov'], 'opsmeter: --until takes a UTC date YYYY-MM-DD, got "1 Nov"\n'],
    [['reconcile', 'p.jsonl', '--against', 'a.json', '--since', '2025-11-02', '--until', '2025-11-01'], 'opsmeter: --since 2025-11-02 is after --until 2025-11-01\n'],
    [['reconcile', 'p.jsonl', '--against', 'a.json', '--field', 'model=x'], /--field takes DIMENSION=FIELD with DIMENSION one of project, api-key, workspace/],
    [['reconcile', 'p.jsonl', '--against', 'a.json', '--field', 'project=metadata.a.b'], /--field takes DIMENSION=FIELD/],
    [['reconcile', 'p.jsonl', '--against', 'a.json', '--max-rows', '-3'], /--max-rows takes a whole number ≥ 0, got "-3"/],
    [['reconcile', 'p.jsonl', '--against', 'a.json', '--format', 'csv'], /argument 'csv' is invalid/],
  ])('%j', async (args, message) => {
    const r = await usageError(args as string[]);
    expect(r.code).toBe(2);
    if (typeof message === 'string') expect(r.stderr.split('  hint:')[0]).toBe(message);
    else expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });
});
