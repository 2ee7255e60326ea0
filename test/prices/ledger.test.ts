/**
 * Cost estimates (issue 10): every figure the import shows must be what @pydantic/genai-prices'
 * own calcPrice gives for each row at that row's time — these tests call the library directly,
 * row by row, with the vendors' model names, and compare. Rows are generated here.
 */
import { calcPrice } from '@pydantic/genai-prices';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import type { Payload } from '../../src/contract/fields.js';
import { buildSummary, ImportTally, type SummaryContext } from '../../src/importers/import-summary.js';
import { costChart, summaryText } from '../../src/importers/summary-text.js';
import { CostLedger, timeOfDaySeconds } from '../../src/prices/ledger.js';
import { PriceBook, PROVIDER_RULES } from '../../src/prices/library.js';
import { mulberry32 } from '../../src/contract/random.js';

let book: PriceBook;
beforeAll(async () => {
  book = await PriceBook.load(new Date('2026-12-01T00:00:00Z'));
});

const NOW = Date.parse('2026-12-01T12:00:00Z');

interface Row {
  provider: string;
  model: string;
  logged?: string;
  at?: string;
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  partial?: boolean;
}

/** What the library says for one row, asked with the vendor's own names. */
function libraryPrice(libProvider: string, vendorModel: string, r: Row): number {
  const usage: Record<string, number> = { input_tokens: r.input, output_tokens: r.output };
  if (r.cacheRead) usage.cache_read_tokens = r.cacheRead;
  if (r.cacheWrite) usage.cache_write_tokens = r.cacheWrite;
  const p = calcPrice(usage, vendorModel, { providerId: libProvider, timestamp: new Date(r.at ?? NOW) });
  if (!p) throw new Error(`the library cannot price ${libProvider}/${vendorModel}`);
  return p.total_price;
}

function payload(r: Row): Payload {
  const metadata: Record<string, string | number | boolean | null> = { source: 'test' };
  if (r.cacheRead !== undefined) metadata.cachedInputTokens = r.cacheRead;
  if (r.cacheWrite !== undefined) metadata.cacheWriteTokens = r.cacheWrite;
  if (r.logged !== undefined) metadata.loggedModel = r.logged;
  if (r.partial) {
    metadata.usageStatus = 'partial';
    metadata.partialReason = 'request_failed';
  }
  const p = { provider: r.provider, model: r.model, inputTokens: r.input, outputTokens: r.output, status: 'success', metadata } as Payload;
  if (r.at !== undefined) p.createdAt = r.at;
  return p;
}

function summarise(format: string, rows: Row[]) {
  const catalog = builtinCatalog();
  const tally = new ImportTally(new CostLedger(book, format, NOW));
  for (const r of rows) {
    tally.countPayload(payload(r), catalog.get(r.provider, r.model) !== undefined, []);
    tally.read++;
  }
  const ctx: SummaryContext = {
    format: format as SummaryContext['format'],
    chosenBy: 'flag',
    catalog,
    defaults: { dataMode: 'real', environment: 'prod', endpointTag: undefined, promptVersion: undefined },
    userIdsHashed: false,
    output: 'stdout',
    now: new Date(NOW).toISOString(),
  };
  return { summary: buildSummary(tally, ctx), ctx };
}

const model = (s: ReturnType<typeof summarise>['summary'], provider: string, m: string) => s.models.find((x) => x.provider === provider && x.model === m)!;

describe('prices at the time of each request', () => {
  it('o3 is priced differently before and after its 2025-06-10 price cut, each day by the library', () => {
    const before: Row = { provider: 'openai', model: 'o3', at: '2025-06-09T23:59:59.000Z', input: 1_000_000, output: 1_000_000 };
    const after: Row = { provider: 'openai', model: 'o3', at: '2025-06-10T00:00:01.000Z', input: 1_000_000, output: 1_000_000 };
    const { summary } = summarise('jsonl', [before, after]);
    const b = libraryPrice('openai', 'o3', before);
    const a = libraryPrice('openai', 'o3', after);
    expect(b).not.toBeCloseTo(a, 6);
    expect(b).toBeGreaterThan(a * 4); // $10/$40 → $2/$8
    expect(summary.days).toEqual([
      { date: '2025-06-09', payloads: 1, estimatedUsd: b, estimatedUsdNotFinal: 0 },
      { date: '2025-06-10', payloads: 1, estimatedUsd: a, estimatedUsdNotFinal: 0 },
    ]);
    expect(model(summary, 'openai', 'o3').estimatedUsd).toBeCloseTo(a + b, 9);
  });

  it('a Gemini 2.5 Pro request above 200k input tokens is priced at the higher tier, the one below at the base tier', () => {
    const long: Row = { provider: 'google', model: 'gemini-2-5-pro', logged: 'gemini-2.5-pro', at: '2026-03-02T10:00:00.000Z', input: 250_000, output: 2_000 };
    const short: Row = { ...long, at: '2026-03-02T11:00:00.000Z', input: 150_000 };
    const { summary } = summarise('jsonl', [long, short]);
    const pl = libraryPrice('google', 'gemini-2.5-pro', long);
    const ps = libraryPrice('google', 'gemini-2.5-pro', short);
    // The long request's rate per token is higher than the short one's.
    expect(pl / (long.input + long.output)).toBeGreaterThan((ps / (short.input + short.output)) * 1.5);
    expect(model(summary, 'google', 'gemini-2-5-pro').estimatedUsd).toBeCloseTo(pl + ps, 9);
    // Pricing the two summed (400k, one request) would put both at the higher tier: not what a bill says.
    const summed = libraryPrice('google', 'gemini-2.5-pro', { ...long, input: 400_000, output: 4_000 });
    expect(summed).toBeGreaterThan(pl + ps);
  });

  it('an Anthropic batch line with cache reads and writes is priced at the cache rates and half price', () => {
    const row: Row = { provider: 'anthropic', model: 'claude-sonnet-4-5', logged: 'claude-sonnet-4-5-20250929', at: '2026-05-01T08:00:00.000Z', input: 10_000, cacheRead: 6_000, cacheWrite: 2_000, output: 500 };
    const { summary, ctx } = summarise('anthropic-batch', [row]);
    const list = libraryPrice('anthropic', 'claude-sonnet-4-5-20250929', row);
    const noCacheRates = libraryPrice('anthropic', 'claude-sonnet-4-5-20250929', { ...row, cacheRead: 0, cacheWrite: 0 });
    expect(list).not.toBeCloseTo(noCacheRates, 6);
    expect(summary.estimatedUsd.complete).toBeCloseTo(list * 0.5, 6);
    expect(model(summary, 'anthropic', 'claude-sonnet-4-5').estimatedUsd).toBeCloseTo(list * 0.5, 6);
    expect(summary.batchPricing).toEqual({ payloads: 1, factor: 0.5, vendor: 'Anthropic Message Batches' });
    expect(summaryText(summary, ctx)).toContain('batch: 1 payload priced at the batch price (50% of list price, Anthropic Message Batches)');
  });

  it('an OpenAI batch line is priced at half the list price', () => {
    const row: Row = { provider: 'openai', model: 'gpt-4o-mini', logged: 'gpt-4o-mini-2024-07-18', at: '2026-02-01T08:00:00.000Z', input: 40_000, cacheRead: 10_000, output: 3_000 };
    const { summary } = summarise('openai-batch', [row]);
    expect(summary.estimatedUsd.complete).toBeCloseTo(libraryPrice('openai', 'gpt-4o-mini-2024-07-18', row) * 0.5, 9);
    // The same line outside a batch costs the list price.
    expect(summarise('openai-log', [row]).summary.estimatedUsd.complete).toBeCloseTo(libraryPrice('openai', 'gpt-4o-mini-2024-07-18', row), 9);
  });

  it('models released after the old 2025-09 snapshot are priced: claude-opus-4-6 and gpt-5.1', () => {
    const opus: Row = { provider: 'anthropic', model: 'claude-opus-4-6', at: '2026-04-01T00:00:00.000Z', input: 5_000, cacheRead: 1_000, output: 900 };
    const gpt: Row = { provider: 'openai', model: 'gpt-5-1', logged: 'gpt-5.1', at: '2026-04-01T00:00:00.000Z', input: 7_000, output: 1_200 };
    const { summary } = summarise('jsonl', [opus, gpt]);
    const o = model(summary, 'anthropic', 'claude-opus-4-6');
    const g = model(summary, 'openai', 'gpt-5-1');
    expect(o.known && g.known).toBe(true); // in the regenerated catalog too
    expect(o.estimatedUsd).toBeCloseTo(libraryPrice('anthropic', 'claude-opus-4-6', opus), 12);
    expect(g.estimatedUsd).toBeCloseTo(libraryPrice('openai', 'gpt-5.1', gpt), 12);
    // Without the logged name, the catalog id alone ("gpt-5-1") finds the same model.
    const { summary: byId } = summarise('jsonl', [{ ...gpt, logged: undefined }]);
    expect(model(byId, 'openai', 'gpt-5-1').estimatedUsd).toBeCloseTo(libraryPrice('openai', 'gpt-5.1', gpt), 12);
  });

  it('an invented model is not priced: null and "not priced", never $0; partial rows stay not final', () => {
    const rows: Row[] = [
      { provider: 'openai', model: 'gpt-9-hyperion-invented', at: '2026-04-01T00:00:00.000Z', input: 100, output: 10 },
      { provider: 'openai', model: 'gpt-4o', at: '2026-04-01T00:00:00.000Z', input: 100, output: 0, partial: true },
    ];
    const { summary, ctx } = summarise('jsonl', rows);
    const invented = model(summary, 'openai', 'gpt-9-hyperion-invented');
    expect(invented.estimatedUsd).toBeNull();
    expect(invented.unpricedPayloads).toBe(1);
    expect(summary.estimatedUsd.unpricedPayloads).toBe(1);
    const partial = model(summary, 'openai', 'gpt-4o');
    expect(partial.estimatedUsd).toBe(0);
    expect(partial.estimatedUsdNotFinal).toBeCloseTo(libraryPrice('openai', 'gpt-4o', rows[1]!), 12);
    const text = summaryText(summary, ctx);
    expect(text).toMatch(/openai\/gpt-9-hyperion-invented: 1 payload, 100 in \/ 10 out — not priced · UNKNOWN MODEL/);
    expect(text).toMatch(/openai\/gpt-4o: 1 payload, .* not final \(1 partial\)/);
    expect(text).not.toMatch(/gpt-9-hyperion-invented[^\n]*— ~\$/); // no figure at all, not a $0 one
    expect(text).toContain('1 payload not priced');
  });

  it('names the source and its data date; rows without createdAt are priced at the import time, in a "no date" group of their own, and said so', () => {
    const row: Row = { provider: 'openai', model: 'gpt-4o', input: 10, output: 1 };
    const { summary, ctx } = summarise('jsonl', [row]);
    expect(summary.prices).toEqual({ source: expect.stringMatching(/^@pydantic\/genai-prices \d+\.\d+\.\d+$/), dataDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), dataDateBasis: 'release' });
    expect(summary.pricedAtImportTime).toBe(1);
    // Not charted under the import's day: a group of their own, priced at the import's time.
    expect(summary.days).toEqual([]);
    expect(summary.undated).toEqual({ payloads: 1, estimatedUsd: libraryPrice('openai', 'gpt-4o', row), estimatedUsdNotFinal: 0 });
    expect(summary.breakdown).toEqual([expect.objectContaining({ date: null, provider: 'openai', model: 'gpt-4o', payloads: 1, estimatedUsd: libraryPrice('openai', 'gpt-4o', row) })]);
    expect(costChart(summary.days, summary.undated!).at(-1)).toMatch(/^ {4}no date {4}█{30} ~\$0\.000035 \(1 payload\)$/);
    const text = summaryText(summary, ctx);
    expect(text).toContain(`(prices: ${summary.prices!.source}, data of ${summary.prices!.dataDate})`);
    expect(text).toContain("1 payload has no createdAt: priced at the import's time (2026-12-01T12:00:00.000Z)");
  });

  it('generated rows across models, days, tiers, off-peak hours, caches and partials: every figure equals calcPrice row by row', () => {
    const rnd = mulberry32(10);
    const models: [string, string, string, string][] = [
      // [opsmeter provider, catalog id, logged name, library provider]
      ['openai', 'o3', 'o3-2025-04-16', 'openai'],
      ['openai', 'gpt-4o-mini', 'gpt-4o-mini', 'openai'],
      ['google', 'gemini-2-5-pro', 'gemini-2.5-pro', 'google'],
      ['anthropic', 'claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 'anthropic'],
      ['deepseek', 'deepseek-chat', 'deepseek-chat', 'deepseek'],
      ['aws-bedrock', 'anthropic.claude-opus-4-6-v1:0', 'global.anthropic.claude-opus-4-6-v1:0', 'aws'],
      ['azure-openai', 'gpt-4o', 'gpt-4o', 'azure'],
    ];
    const rows: Row[] = [];
    const expected = { complete: 0, partial: 0, byModel: new Map<string, number>(), byDay: new Map<string, number>() };
    const t0 = Date.parse('2025-06-05T00:00:00Z');
    for (let i = 0; i < 400; i++) {
      const [provider, id, logged, lib] = models[Math.floor(rnd() * models.length)]!;
      const input = Math.floor(rnd() * 400_000);
      const cacheRead = rnd() < 0.5 ? Math.floor(input * rnd() * 0.5) : 0;
      const cacheWrite = provider === 'anthropic' && rnd() < 0.5 ? Math.floor((input - cacheRead) * rnd()) : 0;
      const at = new Date(t0 + Math.floor(rnd() * 12 * 86_400_000)).toISOString();
      const r: Row = { provider, model: id, logged, at, input, output: Math.floor(rnd() * 5_000), cacheRead, cacheWrite, partial: rnd() < 0.1 };
      rows.push(r);
      const usd = libraryPrice(lib, logged, r);
      if (r.partial) expected.partial += usd;
      else {
        expected.complete += usd;
        expected.byModel.set(id, (expected.byModel.get(id) ?? 0) + usd);
      }
      expected.byDay.set(at.slice(0, 10), (expected.byDay.get(at.slice(0, 10)) ?? 0) + usd);
    }
    const { summary } = summarise('jsonl', rows);
    const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-6 + Math.abs(b) * 1e-9);
    close(summary.estimatedUsd.complete, expected.complete);
    close(summary.estimatedUsd.partialNotFinal, expected.partial);
    for (const [id, usd] of expected.byModel) close(summary.models.find((m) => m.model === id)!.estimatedUsd!, usd);
    expect(summary.days.map((d) => d.date)).toEqual([...expected.byDay.keys()].sort());
    for (const d of summary.days) close(d.estimatedUsd + d.estimatedUsdNotFinal, expected.byDay.get(d.date)!);
    expect(summary.estimatedUsd.unpricedPayloads).toBe(0);
  });

  it('createdAt as epoch ms (the rows of the import) settles as the same ISO string does, with days out of order and undated rows between', () => {
    const rnd = mulberry32(21);
    const t0 = Date.parse('2025-06-05T00:00:00Z');
    const fromIso = new CostLedger(book, 'jsonl', NOW);
    const fromMs = new CostLedger(book, 'jsonl', NOW);
    for (let i = 0; i < 600; i++) {
      // Runs of a few rows per day, the days revisited in any order, a day's first and last millisecond.
      const day = Math.floor(i / 7) % 3 === 0 ? Math.floor(rnd() * 5) : Math.floor(i / 40);
      const ms = t0 + day * 86_400_000 + (i % 5 === 0 ? 0 : i % 5 === 1 ? 86_399_999 : Math.floor(rnd() * 86_400_000));
      const dated = rnd() >= 0.05;
      const [input, output] = [Math.floor(rnd() * 300_000), Math.floor(rnd() * 4_000)];
      const model = i % 2 === 0 ? 'gpt-4o-mini' : 'o3';
      fromIso.add('openai', model, undefined, dated ? new Date(ms).toISOString() : undefined, false, input, output, 0, 0);
      fromMs.add('openai', model, undefined, dated ? ms : undefined, false, input, output, 0, 0);
    }
    const a = fromIso.settle();
    const b = fromMs.settle();
    expect(b.days.length).toBeGreaterThan(10);
    expect(b).toEqual(a);
  });
});

describe('cells: the estimate per day and group (the breakdown by endpointTag, the report\'s users)', () => {
  const MODELS: [string, string, string, string][] = [
    ['openai', 'o3', 'o3-2025-04-16', 'openai'],
    ['google', 'gemini-2-5-pro', 'gemini-2.5-pro', 'google'],
    ['anthropic', 'claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 'anthropic'],
    ['deepseek', 'deepseek-chat', 'deepseek-chat', 'deepseek'],
    ['openai', 'gpt-9-invented', 'gpt-9-invented', 'openai'],
  ];
  const GROUPS = ['', 'support.reply', 'search', 'u_1', 'u_2'];

  /** Rows across models with price changes (o3 on 2025-06-10), tiers, off-peak hours, partials, days without createdAt, and groups. */
  function rows(seed: number) {
    const rnd = mulberry32(seed);
    const t0 = Date.parse('2025-06-05T00:00:00Z');
    return Array.from({ length: 300 }, () => {
      const [provider, model, logged, lib] = MODELS[Math.floor(rnd() * MODELS.length)]!;
      const input = Math.floor(rnd() * 400_000);
      const r: Row & { lib: string; group: string } = {
        provider,
        model,
        logged,
        lib,
        at: rnd() < 0.1 ? undefined : new Date(t0 + Math.floor(rnd() * 12 * 86_400_000)).toISOString(),
        input,
        output: Math.floor(rnd() * 5_000),
        cacheRead: rnd() < 0.5 ? Math.floor(input * rnd() * 0.5) : 0,
        partial: rnd() < 0.1,
        group: GROUPS[Math.floor(rnd() * GROUPS.length)]!,
      };
      return r;
    });
  }

  const close = (a: number | null, b: number) => expect(Math.abs((a ?? 0) - b)).toBeLessThanOrEqual(1e-6 + Math.abs(b) * 1e-9);
  const priced = (r: Row & { lib: string }) => (r.model === 'gpt-9-invented' ? undefined : libraryPrice(r.lib, r.logged!, r));

  it.each([['day'], ['price-period']] as const)('split by %s: every cell equals calcPrice row by row; unpriced rows are counted, never $0', (split) => {
    const ledger = new CostLedger(book, 'jsonl', NOW, { split });
    const expected = new Map<string, { usd: number; notFinal: number; unpriced: number }>();
    for (const r of rows(split === 'day' ? 11 : 12)) {
      ledger.add(r.provider, r.model, r.logged, r.at, r.partial === true, r.input, r.output, r.cacheRead ?? 0, 0, r.group);
      const date = split === 'day' && r.at !== undefined ? r.at.slice(0, 10) : null;
      const key = `${r.provider}/${r.model} ${date} ${r.group}`;
      const e = expected.get(key) ?? { usd: 0, notFinal: 0, unpriced: 0 };
      const usd = priced(r);
      if (usd === undefined) e.unpriced++;
      else if (r.partial) e.notFinal += usd;
      else e.usd += usd;
      expected.set(key, e);
    }
    const settled = ledger.settle();
    expect(new Set(settled.cells.map((c) => `${c.provider}/${c.model} ${c.date} ${c.group}`))).toEqual(new Set(expected.keys()));
    for (const c of settled.cells) {
      const e = expected.get(`${c.provider}/${c.model} ${c.date} ${c.group}`)!;
      if (c.model === 'gpt-9-invented') {
        expect(c.estimatedUsd === null || c.estimatedUsd === 0).toBe(true); // null when it had complete rows
        expect(c.unpricedPayloads).toBe(e.unpriced);
        continue;
      }
      close(c.estimatedUsd, e.usd);
      close(c.estimatedUsdNotFinal, e.notFinal);
      expect(c.unpricedPayloads).toBe(0);
    }
    if (split === 'price-period') expect(settled.days).toEqual([]);
  });

  it('a ledger split by price period prices far fewer buckets than one split by day, for the same figures per group', () => {
    const calls = { day: 0, period: 0 };
    const counting = (k: keyof typeof calls): PriceBook => {
      const b = Object.create(book) as PriceBook;
      b.price = (...args) => {
        calls[k]++;
        return book.price(...args);
      };
      return b;
    };
    const byDay = new CostLedger(counting('day'), 'jsonl', NOW);
    const byPeriod = new CostLedger(counting('period'), 'jsonl', NOW, { split: 'price-period' });
    for (const r of rows(13)) for (const l of [byDay, byPeriod]) l.add(r.provider, r.model, r.logged, r.at, r.partial === true, r.input, r.output, r.cacheRead ?? 0, 0, r.group);
    const perGroup = (cells: ReturnType<CostLedger['settle']>['cells']) => {
      const m = new Map<string, number>();
      for (const c of cells) m.set(c.group, (m.get(c.group) ?? 0) + (c.estimatedUsd ?? 0) + (c.estimatedUsdNotFinal ?? 0));
      return m;
    };
    const a = perGroup(byDay.settle().cells);
    const b = perGroup(byPeriod.settle().cells);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [g, usd] of a) close(b.get(g)!, usd);
    // 12 days of rows against o3's one price change in them: about a sixth of the calcPrice calls.
    expect(calls.period).toBeGreaterThan(0);
    expect(calls.period * 3).toBeLessThan(calls.day);
  });
});

describe('opsmeter provider ids → the library\'s, by explicit rules', () => {
  it.each([
    ['openai', 'openai'],
    ['anthropic', 'anthropic'],
    ['azure-openai', 'azure'],
    ['aws-bedrock', 'aws'],
    ['bedrock', 'aws'],
    ['google', 'google'],
    ['gemini', 'google'],
    ['vertex_ai', 'google'],
    ['vertex-ai', 'google'],
    ['xai', 'x-ai'],
    ['mistral', 'mistral'],
    ['groq', 'groq'],
    ['deepseek', 'deepseek'],
    ['openrouter', 'openrouter'],
    ['OpenAI', 'openai'],
    ['cohere', 'cohere'], // an exact library id
  ])('%s → %s', (ops, lib) => {
    expect(book.libraryProvider(ops)).toBe(lib);
  });
  it.each(['acme', 'openai-compatible', 'my-bedrock-proxy', ''])('%j is not priced (no substring guessing)', (ops) => {
    expect(book.libraryProvider(ops)).toBeUndefined();
    expect(book.resolve(ops, 'gpt-4o')).toBeNull();
  });
  it('every rule names a provider the library has', () => {
    const ids = new Set(book.libraryProviders().map((p) => p.id));
    for (const lib of Object.values(PROVIDER_RULES)) expect(ids.has(lib)).toBe(true);
  });
  it('Bedrock global and regional ids are different prices; the catalog id is the regional one', () => {
    const g = book.resolve('aws-bedrock', 'global.anthropic.claude-opus-4-6-v1:0');
    const us = book.resolve('aws-bedrock', 'anthropic.claude-opus-4-6-v1:0', 'us.anthropic.claude-opus-4-6-v1:0');
    const bare = book.resolve('aws-bedrock', 'anthropic.claude-opus-4-6-v1:0');
    expect(g?.info.id).toBe('global.anthropic.claude-opus-4-6-v1:0');
    expect(us?.info.id).toBe('regional.anthropic.claude-opus-4-6-v1:0');
    expect(bare?.info.id).toBe(us?.info.id);
  });
  it('the providers the newer importers write: Claude via Bedrock and Vertex (anthropic-log), Codex sessions (openai)', () => {
    expect(book.resolve('aws-bedrock', 'claude-sonnet-4-5-20250929')?.info.id).toBe('regional.anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(book.resolve('google', 'claude-sonnet-4-5', 'claude-sonnet-4-5@20250929')).toMatchObject({ provider: 'google', info: { id: 'claude-sonnet-4-5' } });
    expect(book.resolve('openai', 'gpt-5-3-codex', 'gpt-5.3-codex')?.info.id).toBe('gpt-5.3-codex');
    expect(book.resolve('ollama', 'llama3')).toBeNull(); // a local model: not priced, not $0
  });
  it('opsmeter spellings find the library model ("gpt-4-1" is "gpt-4.1"), route prefixes are dropped from logged names', () => {
    expect(book.resolve('openai', 'gpt-4-1')?.info.id).toBe('gpt-4.1');
    expect(book.resolve('openai', 'gpt-4-1-mini')?.info.id).toBe('gpt-4.1-mini');
    expect(book.resolve('google', 'gemini-2-5-pro')?.info.id).toBe('gemini-2.5-pro');
    expect(book.resolve('openai', 'gpt-4o', 'openai/gpt-4o')?.info.id).toBe('gpt-4o');
    // A dated snapshot with its own price is priced as itself, not as the alias the catalog maps it to.
    expect(book.resolve('openai', 'gpt-4o', 'gpt-4o-2024-05-13')?.info.id).toBe('gpt-4o-2024-05-13');
  });
});

describe('pieces', () => {
  it('time-of-day bounds in UTC seconds', () => {
    expect(timeOfDaySeconds('00:30:00Z')).toBe(1800);
    expect(timeOfDaySeconds('16:30:00Z')).toBe(59_400);
    expect(timeOfDaySeconds('08:00:00+08:00')).toBe(0);
    expect(timeOfDaySeconds('01:00:00-02:00')).toBe(3 * 3600);
    expect(timeOfDaySeconds('25:00')).toBeUndefined();
  });
  it('the per-day chart: one bar per day, the largest full width; months beyond 45 days', () => {
    const days = [
      { date: '2026-01-01', payloads: 3, estimatedUsd: 2, estimatedUsdNotFinal: 0 },
      { date: '2026-01-02', payloads: 1, estimatedUsd: 1, estimatedUsdNotFinal: 0 },
      { date: '2026-01-03', payloads: 1, estimatedUsd: 0, estimatedUsdNotFinal: 0 },
    ];
    const chart = costChart(days);
    expect(chart[0]).toBe('  estimated cost per day (UTC):');
    expect(chart[1]).toContain('█'.repeat(30));
    expect(chart[2]).toContain(`${'█'.repeat(15)}${' '.repeat(15)} ~$1.00 (1 payload)`);
    expect(chart[3]).toContain(' ~$0.00 (1 payload)');
    const many = Array.from({ length: 60 }, (_, i) => ({ date: new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10), payloads: 1, estimatedUsd: 1, estimatedUsdNotFinal: 0 }));
    const monthly = costChart(many);
    expect(monthly[0]).toBe('  estimated cost per month (UTC):');
    expect(monthly.slice(1).map((l) => l.trim().slice(0, 7))).toEqual(['2026-01', '2026-02', '2026-03']);
  });
  it('the summary draws the chart only when asked (a TTY) and the rows span more than one day', () => {
    const rows: Row[] = [
      { provider: 'openai', model: 'gpt-4o', at: '2026-01-01T00:00:00.000Z', input: 1000, output: 10 },
      { provider: 'openai', model: 'gpt-4o', at: '2026-01-02T00:00:00.000Z', input: 1000, output: 10 },
    ];
    const { summary, ctx } = summarise('jsonl', rows);
    expect(summaryText(summary, ctx, { chart: true })).toContain('estimated cost per day (UTC):');
    expect(summaryText(summary, ctx)).not.toContain('estimated cost per day');
    const one = summarise('jsonl', [rows[0]!]);
    expect(summaryText(one.summary, one.ctx, { chart: true })).not.toContain('estimated cost per day');
  });
});
