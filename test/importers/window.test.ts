/**
 * `import --since/--until` and `--exclude` through the built CLI (issue 24): exactly the rows
 * in the window are kept, the others are skipped with their own reason and still counted in
 * `read`, the invariant holds; the edges of a day and of an instant; the same with worker
 * threads; files left out by --exclude are named and never read.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-window-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const F = (...p: string[]) => join(FIXTURES, 'import', ...p);

interface Summary {
  read: number;
  complete: number;
  partial: { total: number };
  skipped: { total: number; byReason: Record<string, number> };
  rejected: { total: number };
  invariantHolds: boolean;
  window: { since: string | null; until: string | null } | null;
  excluded: { globs: string[]; files: string[] };
  files: { file: string }[];
  leftOut: unknown[];
}

async function importWith(args: string[], env?: Record<string, string>) {
  const summaryFile = join(tmp, `summary-${Math.random().toString(36).slice(2)}.json`);
  const r = await runCli(['import', ...args, '--summary-json', summaryFile], { env });
  const summary = r.code === 2 ? undefined : (JSON.parse(readFileSync(summaryFile, 'utf8')) as Summary);
  const payloads = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { createdAt?: string; externalRequestId: string });
  return { ...r, summary, payloads };
}

const holds = (s: Summary) => {
  expect(s.invariantHolds).toBe(true);
  expect(s.read).toBe(s.complete + s.partial.total + s.skipped.total + s.rejected.total);
};

describe('--since / --until', () => {
  const OPENROUTER = F('openrouter', 'openrouter_activity_2026-06-28.csv');

  test('a real export: exactly the rows in [since, until) are kept; since is inclusive, until exclusive; the rest skipped with their reason, still read', async () => {
    const all = await importWith([OPENROUTER]);
    const since = '2026-06-28T03:50:11.440Z';
    const until = '2026-06-28T03:55:00.500Z';
    const r = await importWith([OPENROUTER, '--since', since, '--until', until]);
    expect(r.code).toBe(1); // the export's one ragged row is still rejected
    const inWindow = all.payloads.filter((p) => p.createdAt! >= since && p.createdAt! < until);
    expect(inWindow.map((p) => p.createdAt)).toEqual(['2026-06-28T03:50:11.440Z', '2026-06-28T03:51:40.010Z', '2026-06-28T03:53:21.999Z']);
    expect(r.payloads).toEqual(inWindow);
    const s = r.summary!;
    expect(s.read).toBe(all.summary!.read);
    expect(s.skipped.byReason).toEqual({ before_since: 2, after_until: 2 });
    expect(s.window).toEqual({ since, until });
    holds(s);
    expect(r.stderr).toContain(`  window: ${since} ≤ createdAt < ${until} (--since/--until, UTC): rows outside are skipped`);
    expect(r.stderr).toMatch(/skipped {2}4 {3}after_until 2 · before_since 2\n/);
  });

  test('dates are whole UTC days: --until D keeps all of D, not one ms of the next; rows without createdAt are skipped as no_date', async () => {
    const at = ['2026-05-31T23:59:59.999Z', '2026-06-01T00:00:00.000Z', '2026-06-15T12:00:00.000Z', '2026-06-30T23:59:59.999Z', '2026-07-01T00:00:00.000Z', undefined];
    const file = join(tmp, 'edges.jsonl');
    writeFileSync(file, at.map((ts, i) => JSON.stringify({ id: `r${i}`, model: 'gpt-4o-mini', in: 10, out: 2, ...(ts ? { ts } : {}) })).join('\n') + '\n');
    const map = ['--from', 'jsonl', '--map', "provider='openai'", '--map', 'model=model', '--map', 'inputTokens=in', '--map', 'outputTokens=out', '--map', 'externalRequestId=id', '--map', 'createdAt=ts'];
    const r = await importWith([file, ...map, '--since', '2026-06-01', '--until', '2026-06-30']);
    expect(r.code).toBe(0);
    expect(r.payloads.map((p) => p.createdAt)).toEqual(['2026-06-01T00:00:00.000Z', '2026-06-15T12:00:00.000Z', '2026-06-30T23:59:59.999Z']);
    expect(r.summary!.skipped.byReason).toEqual({ before_since: 1, after_until: 1, no_date: 1 });
    expect(r.summary!.window).toEqual({ since: '2026-06-01T00:00:00.000Z', until: '2026-07-01T00:00:00.000Z' });
    holds(r.summary!);
    // An offset is read as such: 02:00+02:00 is midnight UTC.
    const zoned = await importWith([file, ...map, '--since', '2026-06-01T02:00:00+02:00', '--until', '2026-06-15T12:00Z']);
    expect(zoned.payloads.map((p) => p.createdAt)).toEqual(['2026-06-01T00:00:00.000Z']);
    // Without a window, a row without createdAt is kept (priced at the import's time, in the "no date" group).
    const none = await importWith([file, ...map]);
    expect(none.payloads).toHaveLength(6);
    expect(none.summary!.window).toBeNull();
  });

  test('the same rows with worker threads and without', async () => {
    const batch = F('openai-batch', 'batch_68c3a1e9f0b48190_output.jsonl');
    const all = await importWith([batch, '--from', 'openai-batch'], { OPSMETER_IMPORT_WORKERS: 'off' });
    const times = [...new Set(all.payloads.flatMap((p) => (p.createdAt ? [p.createdAt] : [])))].sort();
    expect(times.length).toBeGreaterThan(2);
    const window = ['--since', times[1]!, '--until', times.at(-1)!];
    const off = await importWith([batch, '--from', 'openai-batch', ...window], { OPSMETER_IMPORT_WORKERS: 'off' });
    const threads = await importWith([batch, '--from', 'openai-batch', ...window], { OPSMETER_IMPORT_WORKERS: '2' });
    expect(off.payloads.map((p) => p.createdAt)).toEqual(all.payloads.map((p) => p.createdAt).filter((t) => t! >= times[1]! && t! < times.at(-1)!));
    expect(threads.stdout).toBe(off.stdout);
    expect(threads.summary).toEqual(off.summary);
    expect(off.summary!.skipped.byReason.before_since).toBeGreaterThan(0);
    expect(off.summary!.skipped.byReason.after_until).toBeGreaterThan(0);
    expect(off.summary!.skipped.byReason.no_date).toBe(1); // the file's one line without a created time
    holds(off.summary!);
  });

  test.each([
    [['--since', '2026-13-01'], /--since "2026-13-01" is not an ISO date or date-time/],
    [['--until', 'yesterday'], /--until "yesterday" is not an ISO date or date-time/],
    [['--since', '2026-06-02', '--until', '2026-06-01'], /--since 2026-06-02 is not before --until 2026-06-01/],
  ])('%j is a usage error (exit 2), nothing read', async (flags, message) => {
    const r = await runCli(['import', OPENROUTER, ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('--exclude', () => {
  const dir = join(tmp, 'exports');
  mkdirSync(join(dir, 'archive'), { recursive: true });
  cpSync(F('litellm', 'spend.csv'), join(dir, 'spend.csv'));
  cpSync(F('anthropic-log', 'messages.jsonl'), join(dir, 'messages.jsonl'));
  cpSync(F('openrouter', 'openrouter_activity_2026-06-28.csv'), join(dir, 'archive', 'openrouter.csv'));
  writeFileSync(join(dir, 'archive', 'notes.json'), '{"todo": "not an export"}\n');

  test('a glob with a slash matches paths, one without matches file names; excluded files are named and never read', async () => {
    const r = await importWith([dir, '--exclude', `${dir}/archive/**`, '--exclude', '*.csv']);
    expect(r.code).toBe(0); // the unknown notes.json was excluded, so nothing is left out
    expect(r.summary!.files.map((f) => f.file)).toEqual([join(dir, 'messages.jsonl')]);
    expect(r.summary!.excluded).toEqual({ globs: [`${dir}/archive/**`, '*.csv'], files: [join(dir, 'archive', 'notes.json'), join(dir, 'archive', 'openrouter.csv'), join(dir, 'spend.csv')] });
    expect(r.summary!.leftOut).toEqual([]);
    expect(r.stderr).toContain(`  excluded by --exclude ${dir}/archive/**, *.csv: 3 files not read`);
    const alone = await importWith([join(dir, 'messages.jsonl')]);
    expect(r.stdout).toBe(alone.stdout);
  });

  test('relative paths match relative globs; excluding every file is a usage error', async () => {
    const rel = await importWith([join('fixtures', 'import', 'gemini'), '--exclude', 'fixtures/import/gemini/vertex/**', '--exclude', 'rejects.jsonl']);
    expect(rel.code).toBe(0);
    expect(rel.summary!.files.map((f) => f.file)).toEqual([join('fixtures', 'import', 'gemini', 'batch-output.jsonl'), join('fixtures', 'import', 'gemini', 'generate-content.jsonl')]);
    const none = await runCli(['import', dir, '--exclude', '**']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('nothing to import: --exclude ** leaves out every file (4)');
  });
});
