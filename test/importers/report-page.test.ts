/**
 * The HTML report's page (src/importers/report-page.ts), in process: one self-contained file
 * (no URL to fetch, a policy that forbids fetching), every value escaped, the biggest spender
 * first, every day in the chart and its table, and users never by their raw ids when they are
 * not hashed. test/importers/report-browser.test.ts opens a real import's page in Chromium.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import type { Payload } from '../../src/contract/fields.js';
import { buildSummary, ImportTally, userSpend, type SummaryContext } from '../../src/importers/import-summary.js';
import { reportPage } from '../../src/importers/report-page.js';
import { CostLedger } from '../../src/prices/ledger.js';
import { PriceBook } from '../../src/prices/library.js';

let book: PriceBook;
beforeAll(async () => {
  book = await PriceBook.load(new Date('2026-12-01T00:00:00Z'));
});
const NOW = Date.parse('2026-12-01T12:00:00Z');

function page(rows: Partial<Payload>[], opts: { hashed?: boolean; ctx?: Partial<SummaryContext> } = {}) {
  const tally = new ImportTally(new CostLedger(book, 'jsonl', NOW), { costs: new CostLedger(book, 'jsonl', NOW, { split: 'price-period' }), sums: new Map() });
  for (const r of rows) {
    tally.countPayload({ provider: 'openai', status: 'success', metadata: { source: 'jsonl' }, ...r } as Payload, true, []);
    tally.read++;
  }
  tally.countSkip('not_a_request');
  tally.countReject('row has 7 cells, the header has 32', 'spend.csv', 11);
  tally.read += 2;
  const ctx: SummaryContext = {
    format: 'jsonl',
    chosenBy: 'flag',
    catalog: builtinCatalog(),
    defaults: { dataMode: 'real', environment: 'prod', endpointTag: undefined, promptVersion: undefined },
    userIdsHashed: opts.hashed === true,
    output: 'stdout',
    now: new Date(NOW).toISOString(),
    ...opts.ctx,
  };
  const summary = buildSummary(tally, ctx);
  return { summary, html: reportPage(summary, { users: userSpend(tally), generatedAt: ctx.now!, version: '0.1.0' }) };
}

const ROWS: Partial<Payload>[] = [
  { model: 'gpt-4o-mini', inputTokens: 1000, outputTokens: 100, createdAt: '2026-06-01T10:00:00.000Z', endpointTag: 'support.reply', userId: 'alice@example.com' },
  { model: 'o3', inputTokens: 200_000, outputTokens: 40_000, createdAt: '2026-06-02T10:00:00.000Z', endpointTag: 'agent.plan', userId: 'bob@example.com' },
  { model: 'gpt-4o', inputTokens: 20_000, outputTokens: 1_000, createdAt: '2026-06-04T10:00:00.000Z', endpointTag: 'support.reply', userId: 'alice@example.com' },
  { model: 'gpt-4o', inputTokens: 20_000, outputTokens: 1_000, endpointTag: 'search' },
];

describe('the report page', () => {
  it('is one self-contained file: no URL anywhere, a policy that allows no fetch', () => {
    const { html } = page(ROWS);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/https?:|\/\/[a-z]|\bsrc=|\bhref=|@import|url\(/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">`);
    expect(html).toContain('<svg id="spend-per-day"');
    expect(html).toContain('@media print');
  });

  it('names the biggest spender first, and carries every day (and "no date") in the chart and its table', () => {
    const { html, summary } = page(ROWS);
    expect(summary.models[0]!.model).toBe('o3');
    const models = html.slice(html.indexOf('<table class="sortable" id="models-table">'));
    expect(models.indexOf('openai/o3')).toBeLessThan(models.indexOf('openai/gpt-4o'));
    for (const day of ['2026-06-01', '2026-06-02', '2026-06-04', 'no date']) {
      expect(html).toContain(`<g class="bar${day === 'no date' ? ' undated' : ''}" data-date="${day}">`);
      expect(html).toContain(`<td class="date">${day}</td>`);
    }
    expect(html).toContain('read 6 = complete 4 + partial 0 + skipped 1 + rejected 1');
    expect(html).toContain('row has 7 cells, the header has 32 (spend.csv:11)');
    // Numbers as people read them: tokens with separators, dollars rounded; the exact figure to sort by.
    expect(html).toMatch(/<td class="num" data-v="200000">200,000<\/td>/);
  });

  it('without --hash-user-ids, users are shown by rank only: no raw id is in the page', () => {
    const { html } = page(ROWS);
    expect(html).not.toContain('alice');
    expect(html).not.toContain('bob@');
    expect(html).toContain('<td class="name">user 1</td>');
    expect(html).toContain('not hashed (no --hash-user-ids), so this page names users by their rank only');
  });

  it('with hashed ids, users are shown by their hashed id; endpoints by tag, biggest first', () => {
    const hashed = ROWS.map((r) => (r.userId ? { ...r, userId: r.userId === 'bob@example.com' ? 'u_b0b0b0b0b0b0b0b0b0b0b0b0' : 'u_a1a1a1a1' } : r));
    const { html } = page(hashed, { hashed: true });
    expect(html).toContain('<code title="u_b0b0b0b0b0b0b0b0b0b0b0b0">u_b0b0b0b0b0b0b0b0…</code>');
    const endpoints = html.slice(html.indexOf('id="endpoints-table"'));
    expect(endpoints.indexOf('agent.plan')).toBeLessThan(endpoints.indexOf('support.reply'));
  });

  it('escapes every value: a model or a file name cannot write markup', () => {
    const { html } = page([{ model: '<script>alert(1)</script>', inputTokens: 1, outputTokens: 1, createdAt: '2026-06-01T00:00:00.000Z' }], {
      ctx: { leftOut: [{ file: 'x"><img onerror=1>.json', kind: 'unknown', reason: '(JSON) matches none of the known formats' }] },
    });
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).not.toContain('<img');
    // The only script is the table sorter.
    expect(html.match(/<script>/g)).toHaveLength(1);
  });
});
