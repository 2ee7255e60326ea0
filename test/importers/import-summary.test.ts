/**
 * The import's summary (issue 24): models biggest spender first with one "N others" line,
 * machine figures at full precision (only people's text rounds), the breakdown per UTC day ×
 * provider × model × endpointTag that `opsmeter reconcile` reads, rows without createdAt in
 * a "no date" group of their own, rejected reasons that keep their numbers, and the users the
 * report shows. Rows are built here; prices are the library's own (test/prices/ checks them).
 */
import { calcPrice } from '@pydantic/genai-prices';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import type { Payload } from '../../src/contract/fields.js';
import { buildSummary, ImportTally, MAX_USERS, NO_USER, OTHER_USERS, userSpend, type SummaryContext } from '../../src/importers/import-summary.js';
import { summaryText, TOP_MODELS } from '../../src/importers/summary-text.js';
import { CostLedger } from '../../src/prices/ledger.js';
import { PriceBook } from '../../src/prices/library.js';

let book: PriceBook;
beforeAll(async () => {
  book = await PriceBook.load(new Date('2026-12-01T00:00:00Z'));
});
const NOW = Date.parse('2026-12-01T12:00:00Z');

interface P {
  model: string;
  provider?: string;
  input?: number;
  output?: number;
  at?: string;
  tag?: string;
  user?: string;
  status?: 'success' | 'error';
  partial?: boolean;
}

function payload(p: P): Payload {
  const metadata: Record<string, string | number | boolean | null> = { source: 'test' };
  if (p.partial) Object.assign(metadata, { usageStatus: 'partial', partialReason: 'request_failed' });
  const out = { provider: p.provider ?? 'openai', model: p.model, status: p.status ?? 'success', metadata } as Payload;
  if (p.input !== undefined) out.inputTokens = p.input;
  if (p.output !== undefined) out.outputTokens = p.output;
  if (p.at !== undefined) out.createdAt = p.at;
  if (p.tag !== undefined) out.endpointTag = p.tag;
  if (p.user !== undefined) out.userId = p.user;
  return out;
}

const CTX: SummaryContext = {
  format: 'jsonl',
  chosenBy: 'flag',
  catalog: builtinCatalog(),
  defaults: { dataMode: 'real', environment: 'prod', endpointTag: undefined, promptVersion: undefined },
  userIdsHashed: false,
  output: 'stdout',
  now: new Date(NOW).toISOString(),
};

function summarise(rows: P[], opts: { users?: boolean } = {}) {
  const tally = new ImportTally(new CostLedger(book, 'jsonl', NOW), opts.users ? { costs: new CostLedger(book, 'jsonl', NOW, { split: 'price-period' }), sums: new Map() } : undefined);
  for (const r of rows) {
    tally.countPayload(payload(r), true, []);
    tally.read++;
  }
  return { tally, summary: buildSummary(tally, CTX) };
}

const price = (model: string, input: number, output: number, at?: string) =>
  calcPrice({ input_tokens: input, output_tokens: output }, model, { providerId: 'openai', timestamp: new Date(at ?? NOW) })!.total_price;

describe('models, biggest spender first', () => {
  const rows: P[] = [
    // Alphabetically first, smallest spend.
    { model: 'gpt-4o-mini', input: 1000, output: 100, at: '2026-06-01T10:00:00.000Z' },
    { model: 'gpt-4o-mini', input: 1000, output: 100, at: '2026-06-01T11:00:00.000Z' },
    { model: 'o3', input: 200_000, output: 50_000, at: '2026-06-02T10:00:00.000Z' },
    { model: 'gpt-4o', input: 100_000, output: 10_000, at: '2026-06-01T10:00:00.000Z' },
    { model: 'gpt-4-1', input: 50_000, output: 1_000, at: '2026-06-03T10:00:00.000Z' },
  ];

  it('models[] is ordered by estimate (complete + not final), then payloads; the text lists the biggest first', () => {
    const { summary } = summarise(rows);
    expect(summary.models.map((m) => m.model)).toEqual(['o3', 'gpt-4o', 'gpt-4-1', 'gpt-4o-mini']);
    const text = summaryText(summary, CTX);
    const at = (m: string) => text.indexOf(`    openai/${m}: `);
    expect(at('o3')).toBeGreaterThan(0);
    expect(at('o3')).toBeLessThan(at('gpt-4o'));
    expect(at('gpt-4o')).toBeLessThan(at('gpt-4-1'));
    expect(text).toContain('ESTIMATED cost by provider/model, biggest first');
  });

  it('past the top N the rest are one "N others" line with their sum, so the biggest are always named', () => {
    // 30 models of one payload each: the one with the largest spend is added last and alphabetically last.
    const many: P[] = Array.from({ length: 30 }, (_, i) => ({ model: `gpt-4o-mini`, provider: `p${String(i).padStart(2, '0')}`, input: 10, output: 1, at: '2026-06-01T00:00:00.000Z' }));
    many.push({ model: 'o3', provider: 'openai', input: 1_000_000, output: 100_000, at: '2026-06-01T00:00:00.000Z' });
    const { summary } = summarise(many);
    const text = summaryText(summary, CTX);
    expect(text.split('\n').find((l) => l.startsWith('    ') && l.includes(': 1 payload'))).toMatch(/^ {4}openai\/o3: /);
    const others = summary.models.slice(TOP_MODELS);
    expect(text).toContain(`    ${others.length} others: ~$0.00, ${others.length} payloads (${others.length} not priced) — each in --summary-json models[]`);
    expect(text.split('\n').filter((l) => / {4}p\d\d\/gpt-4o-mini: /.test(l))).toHaveLength(TOP_MODELS - 1);
  });

  it('one model past the top N is named rather than called "1 others"', () => {
    const rowsN: P[] = Array.from({ length: TOP_MODELS + 1 }, (_, i) => ({ model: 'o3', provider: `p${i}`, input: 1, output: 1 }));
    const text = summaryText(summarise(rowsN).summary, CTX);
    expect(text).not.toContain(' others: ');
  });
});

describe('machine figures keep full precision; only people\'s text rounds', () => {
  it('a $0.00000675 row is 0.00000675 in --summary-json (not 7e-06), and reads $0.0000068 or so for people', () => {
    const row: P = { model: 'gpt-4o-mini', input: 45, output: 0, at: '2026-06-01T00:00:00.000Z' };
    const exact = price('gpt-4o-mini', 45, 0, row.at);
    expect(exact).toBe(0.00000675);
    const { summary } = summarise([row]);
    const json = JSON.parse(JSON.stringify(summary));
    expect(json.models[0].estimatedUsd).toBe(exact);
    expect(json.estimatedUsd.complete).toBe(exact);
    expect(json.days[0].estimatedUsd).toBe(exact);
    expect(json.breakdown[0].estimatedUsd).toBe(exact);
    expect(summaryText(summary, CTX)).toMatch(/openai\/gpt-4o-mini: 1 payload, 45 in \/ 0 out — ~\$0\.000006[78] \(100 %\)/);
  });
});

describe('the breakdown: UTC day × provider × model × endpointTag', () => {
  const rows: P[] = [
    { model: 'gpt-4o', input: 1000, output: 100, at: '2026-06-01T23:59:59.999Z', tag: 'support.reply' },
    { model: 'gpt-4o', input: 3000, output: 300, at: '2026-06-01T00:00:00.000Z', tag: 'support.reply' },
    { model: 'gpt-4o', input: 500, output: 50, at: '2026-06-01T08:00:00.000Z', tag: 'search' },
    { model: 'gpt-4o', input: 700, output: 70, at: '2026-06-02T00:00:00.000Z', tag: 'support.reply' },
    { model: 'gpt-4o', input: 100, output: 10, at: '2026-06-02T10:00:00.000Z' },
    // A failed call without token counts: a payload, partial, not a request the provider counts.
    { model: 'gpt-4o', at: '2026-06-02T10:00:00.000Z', status: 'error', partial: true },
    { model: 'gpt-4o', input: 9, output: 9 },
  ];

  it('one row per cell, ordered by date (no date last), provider, model, endpointTag; sums and estimates per cell', () => {
    const { summary } = summarise(rows);
    const cell = (date: string | null, tag: string | null) => summary.breakdown.find((r) => r.date === date && r.endpointTag === tag)!;
    expect(summary.breakdown.map((r) => [r.date, r.endpointTag])).toEqual([
      ['2026-06-01', 'search'],
      ['2026-06-01', 'support.reply'],
      ['2026-06-02', null],
      ['2026-06-02', 'support.reply'],
      [null, null],
    ]);
    expect(cell('2026-06-01', 'support.reply')).toEqual({
      date: '2026-06-01',
      provider: 'openai',
      model: 'gpt-4o',
      endpointTag: 'support.reply',
      payloads: 2,
      partial: 0,
      requests: 2,
      inputTokens: 4000,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 400,
      reasoningTokens: 0,
      estimatedUsd: expect.closeTo(price('gpt-4o', 1000, 100, rows[0]!.at) + price('gpt-4o', 3000, 300, rows[1]!.at), 12),
      estimatedUsdNotFinal: 0,
      unpricedPayloads: 0,
    });
    expect(cell('2026-06-02', null)).toMatchObject({ payloads: 2, partial: 1, requests: 1, inputTokens: 100, outputTokens: 10 });
    expect(cell(null, null)).toMatchObject({ payloads: 1, estimatedUsd: expect.closeTo(price('gpt-4o', 9, 9), 12) });
    // The cells add up to the totals.
    const sum = summary.breakdown.reduce((n, r) => n + (r.estimatedUsd ?? 0) + (r.estimatedUsdNotFinal ?? 0), 0);
    expect(sum).toBeCloseTo(summary.estimatedUsd.complete + summary.estimatedUsd.partialNotFinal, 12);
    expect(summary.breakdown.reduce((n, r) => n + r.payloads, 0)).toBe(rows.length);
    expect(summary.undated).toMatchObject({ payloads: 1 });
    expect(summary.days.map((d) => d.date)).toEqual(['2026-06-01', '2026-06-02']);
  });

  it('a model the price source does not know: null estimates and its payloads counted as not priced, per cell too', () => {
    const { summary } = summarise([{ model: 'gpt-9-invented', input: 10, output: 1, at: '2026-06-01T00:00:00.000Z' }]);
    expect(summary.breakdown).toEqual([expect.objectContaining({ model: 'gpt-9-invented', estimatedUsd: null, unpricedPayloads: 1 })]);
  });
});

describe('rejected reasons keep their numbers', () => {
  it('counted by shape, with the first row\'s reason, file and line as the example; the text shows the numbers', () => {
    const tally = new ImportTally();
    tally.countReject('row has 7 cells, the header has 32', 'spend.csv', 11);
    tally.countReject('row has 7 cells, the header has 32', 'spend.csv', 12);
    tally.countReject('usage.output_tokens is -3, not a token count', 'a.jsonl', 4);
    tally.countReject('usage.output_tokens is -9, not a token count', 'a.jsonl', 9);
    tally.read = 4;
    const s = buildSummary(tally, CTX);
    expect(s.rejected.byReason).toEqual({ 'row has N cells, the header has N': 2, 'usage.output_tokens is -N, not a token count': 2 });
    expect(s.rejected.examples['row has N cells, the header has N']).toEqual({ reason: 'row has 7 cells, the header has 32', file: 'spend.csv', line: 11, allSame: true });
    const text = summaryText(s, CTX);
    expect(text).toContain('    2 × row has 7 cells, the header has 32 (first: spend.csv:11)\n');
    expect(text).toContain('    2 × usage.output_tokens is -N, not a token count — e.g. a.jsonl:4: usage.output_tokens is -3, not a token count\n');
  });
});

describe('users (the report only)', () => {
  it('per user: payloads, tokens and the estimate, biggest first; rows without a user are one group', () => {
    const rows: P[] = [
      { model: 'gpt-4o-mini', input: 100, output: 10, user: 'u_small', at: '2026-06-01T00:00:00.000Z' },
      { model: 'o3', input: 100_000, output: 10_000, user: 'u_big', at: '2026-06-01T00:00:00.000Z' },
      { model: 'o3', input: 100_000, output: 10_000, user: 'u_big', at: '2026-06-02T00:00:00.000Z' },
      { model: 'gpt-4o', input: 1000, output: 10, at: '2026-06-01T00:00:00.000Z' },
    ];
    const { tally, summary } = summarise(rows, { users: true });
    const users = userSpend(tally)!;
    expect(users.map((u) => u.user)).toEqual(['u_big', NO_USER, 'u_small']);
    expect(users[0]).toMatchObject({ payloads: 2, inputTokens: 200_000, outputTokens: 20_000, unpricedPayloads: 0 });
    expect(users[0]!.estimatedUsd).toBeCloseTo(price('o3', 100_000, 10_000, rows[1]!.at) + price('o3', 100_000, 10_000, rows[2]!.at), 12);
    const all = users.reduce((n, u) => n + u.estimatedUsd, 0);
    expect(all).toBeCloseTo(summary.estimatedUsd.complete, 12);
    expect(JSON.stringify(summary)).not.toContain('u_big'); // never in --summary-json
    expect(userSpend(summarise(rows).tally)).toBeUndefined();
  });

  it(`past ${MAX_USERS.toLocaleString('en-US')} users the rest are counted together: memory stays bounded`, () => {
    const tally = new ImportTally(undefined, { costs: undefined, sums: new Map() });
    for (let i = 0; i < MAX_USERS + 10; i++) tally.countPayload(payload({ model: 'gpt-4o', input: 1, output: 1, user: `u_${i}` }), true, []);
    const users = userSpend(tally)!;
    expect(users).toHaveLength(MAX_USERS + 1);
    expect(users.find((u) => u.user === OTHER_USERS)).toMatchObject({ payloads: 10, unpricedPayloads: 10 });
  });
});
