/**
 * `opsmeter import … --against REPORT…` through the built CLI: the import's coverage of the
 * providers' reports at the end of its summary (with or without --report), the same rows as
 * `reconcile` gives for the import's summary, exit 1 outside --tolerance, and a report file
 * that cannot be read stopping the import before it starts (exit 2, nothing written).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const R = 'fixtures/reconcile';
const PAGE_1 = `${R}/openai-usage-2025-09-page-1.json`;
const PAGE_2 = `${R}/openai-usage-2025-09-page-2.json`;
const PAGE_2_HALF = `${R}/openai-usage-2025-09-page-2-half-missing.json`;
const OPENAI_LOGS = ['fixtures/import/openai-batch/batch_68c3a1e9f0b48190_output.jsonl', 'fixtures/import/openai-log/app-completions.jsonl'];

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-import-coverage-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const noStack = (stderr: string) => expect(stderr).not.toMatch(/internal error|\n\s+at /);
const coverageOf = (stderr: string) => stderr.slice(stderr.indexOf('  coverage against'));

describe('import --against', () => {
  it('pages that match, without --report: exit 0, the coverage lines after the summary', async () => {
    const out = join(tmp, 'match.jsonl');
    const r = await runCli(['import', ...OPENAI_LOGS, '-o', out, '--against', PAGE_1, PAGE_2]);
    noStack(r.stderr);
    expect(r.code, r.stderr).toBe(0);
    expect(coverageOf(r.stderr)).toBe(
      [
        '  coverage against OpenAI Usage API (completions) — 2 files, 3 days (2025-09-12 – 2025-09-14) · per UTC day × model: 12 of 12 rows within ±1%',
        "    · 1 payload without createdAt (the summary's undated): no day to compare on, not compared",
        '    · azure-openai: 1 payload (2025-09-14) and no report of this provider: not compared',
        '    · OpenAI usage: 5 partial payloads (usage incomplete): the imported figures of their rows are lower bounds',
        '  coverage: ✔ all 12 rows are within ±1%',
        '',
      ].join('\n'),
    );
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(24);
  });

  it('a day with half the usage missing: exit 1, the worst rows named, the panel in the report with the rows reconcile gives', async () => {
    const summaryFile = join(tmp, 'half-summary.json');
    const html = join(tmp, 'half.html');
    const r = await runCli(['import', ...OPENAI_LOGS, '-o', join(tmp, 'half.jsonl'), '--summary-json', summaryFile, '--report', html, '--against', PAGE_1, PAGE_2_HALF]);
    noStack(r.stderr);
    expect(r.code).toBe(1);
    const lines = coverageOf(r.stderr).split('\n');
    expect(lines[1]).toBe('    ✖ 2025-09-14  gpt-4o: 4,096 of 8,192 input tokens (50.0%)');
    expect(lines).toContain('    … 1 more row outside (the report\'s coverage panel, or opsmeter reconcile SUMMARY.json --against …, lists them)');
    expect(lines).toContain('  coverage: ✖ 6 of 12 rows outside ±1% on 2025-09-14; worst: 2025-09-14 gpt-4o, the import holds 50.0% of the input tokens OpenAI reported');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(`  report → ${html}`);

    // The panel holds the rows `reconcile` finds in the import's summary, in its order.
    const rec = await runCli(['reconcile', summaryFile, '--against', PAGE_1, PAGE_2_HALF, '--format', 'json']);
    expect(rec.code).toBe(1);
    const rows = JSON.parse(rec.stdout).rows as { day: string; model: string; status: string }[];
    const page = readFileSync(html, 'utf8');
    const panel = page.slice(page.indexOf('<section id="coverage">'), page.indexOf('</section>', page.indexOf('<section id="coverage">')));
    expect(panel).toContain('<p class="verdict bad" id="coverage-verdict">✖ 6 of 12 rows outside ±1% on 2025-09-14; worst: 2025-09-14 gpt-4o, the import holds 50.0% of the input tokens OpenAI reported</p>');
    const shown = [...panel.matchAll(/<tr class="([a-z-]+)"><td class="mark">.<\/td><td class="date">([\d-]+)<\/td><td class="name">([^<]+)<\/td>/g)].map((m) => ({ day: m[2], model: m[3], status: m[1] }));
    expect(shown).toEqual(rows.map(({ day, model, status }) => ({ day, model, status })));
    expect(panel).toMatch(/<td class="num" data-v="4096">4,096<\/td><td class="num" data-v="8192">8,192<\/td><td class="num" data-v="-4096">-4,096<\/td><td class="num off" data-v="0.5">50.0 %<\/td>/);
  });

  it('--tolerance decides: a 50 % gap is inside ±100 %, and the exit code is the import\'s', async () => {
    const r = await runCli(['import', ...OPENAI_LOGS, '-o', join(tmp, 'tol.jsonl'), '--against', PAGE_1, PAGE_2_HALF, '--tolerance', '100']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('  coverage: ✔ all 12 rows are within ±100%\n');
  });

  it('a report that cannot be read stops the import before it starts: exit 2, nothing written', async () => {
    const out = join(tmp, 'never.jsonl');
    const r = await runCli(['import', ...OPENAI_LOGS, '-o', out, '--against', 'fixtures/import/aggregate/openai-usage-completions.csv']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('  hint:')[0]).toBe("opsmeter: fixtures/import/aggregate/openai-usage-completions.csv is an OpenAI usage export (dashboard CSV / Usage API) as CSV: reconcile reads the API's JSON pages\n");
    expect(existsSync(out)).toBe(false);
    noStack(r.stderr);
  });

  it('usage errors: --tolerance without --against, a report that is also an output', async () => {
    const a = await runCli(['import', ...OPENAI_LOGS, '--tolerance', '2']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('opsmeter: --tolerance applies with --against only');
    const b = await runCli(['import', ...OPENAI_LOGS, '--summary-json', PAGE_1, '--against', PAGE_1]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`opsmeter: --against ${PAGE_1} is also --summary-json's file: the import would overwrite the report it is checked against`);
  });
});
