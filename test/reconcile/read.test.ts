/**
 * The payload side (src/reconcile/read.ts): payloads summed per report kind × provider × UTC
 * day × model × dimensions, only where a report's buckets hold their createdAt (a bucket that
 * starts mid-day covers the rest of that day only), everything else counted apart; the
 * import's estimate for cost reports; and payload files that cannot be read, refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import type { OpsmeterError } from '../../src/errors.js';
import { PriceBook } from '../../src/prices/library.js';
import { DEFAULT_FIELDS, type FieldPaths } from '../../src/reconcile/compare.js';
import { Coverage, expandInputs, readPayloads, readReports, type PayloadReadOptions } from '../../src/reconcile/read.js';
import type { DayRange } from '../../src/reconcile/reports.js';
import { FIXTURES } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-reconcile-read-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const file = (content: string, name = `payloads-${n++}.jsonl`) => {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
};
const jsonl = (...payloads: object[]) => file(payloads.map((p) => JSON.stringify(p)).join('\n') + '\n');
const payload = (createdAt: string | undefined, extra: object = {}) => ({
  provider: 'openai',
  model: 'gpt-4o-mini-2024-07-18',
  inputTokens: 100,
  outputTokens: 10,
  status: 'success',
  ...(createdAt ? { createdAt } : {}),
  metadata: { cachedInputTokens: 40 },
  ...extra,
});

let prices: PriceBook;
beforeAll(async () => {
  prices = await PriceBook.load();
});

async function side(payloadFiles: string[], reportFiles: string[], opts: { range?: DayRange; fields?: Partial<FieldPaths>; priced?: boolean } = {}) {
  const { payloads, reports } = await expandInputs(payloadFiles, reportFiles);
  const range = opts.range ?? {};
  const collected = await readReports(reports, range);
  const parts = [...collected.parts.values()];
  const read: PayloadReadOptions = { catalog: builtinCatalog(), fields: { ...DEFAULT_FIELDS, ...opts.fields }, range, coverage: new Coverage(parts) };
  if (opts.priced) read.prices = prices;
  return readPayloads(payloads, read);
}

const COOKBOOK = join(FIXTURES, 'reconcile', 'openai-usage-cookbook-buckets.json');

describe('payloads against the times a report covers', () => {
  it('a bucket that starts at 17:31 covers the rest of its day only: earlier payloads are outside the report', async () => {
    const f = jsonl(payload('2025-01-11T10:00:00Z'), payload('2025-01-11T17:31:00Z'), payload('2025-01-11T23:59:59.999Z'), payload('2025-01-12T00:00:00+01:00'));
    const s = await side([f], [COOKBOOK]);
    const rows = s.rows();
    expect(rows).toEqual([
      {
        kind: 'usage',
        provider: 'openai',
        day: '2025-01-11',
        model: 'gpt-4o-mini-2024-07-18',
        project: null,
        apiKey: null,
        workspace: null,
        figures: { requests: 3, input: 300, cachedInput: 120, cacheWrite: 0, output: 30 },
        payloads: 3,
        partial: 0,
        unpriced: 0,
      },
    ]);
    expect(s.outside.get('openai/usage')).toEqual({ payloads: 1, from: '2025-01-11', to: '2025-01-11' });
  });

  it('counts apart: no createdAt, outside --since/--until, a provider without a report', async () => {
    const f = jsonl(payload(undefined), payload('2025-01-12T12:00:00Z'), payload('2025-01-13T12:00:00Z'), payload('2025-01-12T12:00:00Z', { provider: 'azure-openai' }));
    const s = await side([f], [COOKBOOK], { range: { until: '2025-01-12' } });
    expect(s.payloads).toBe(4);
    expect(s.untimed).toBe(1);
    expect(s.excluded).toBe(1);
    expect([...s.noReport]).toEqual([['azure-openai', { payloads: 1, from: '2025-01-12', to: '2025-01-12' }]]);
    expect(s.rows().map((r) => r.day)).toEqual(['2025-01-12']);
  });

  it('partial payloads count with the tokens they have; a failed call without usage is no request; provider names go through the catalog', async () => {
    const f = jsonl(
      payload('2025-01-12T01:00:00Z', { provider: 'OpenAI', inputTokens: undefined, outputTokens: undefined, metadata: { usageStatus: 'partial', partialReason: 'usage_missing' } }),
      payload('2025-01-12T01:00:01Z', { inputTokens: undefined, outputTokens: undefined, status: 'error', metadata: { usageStatus: 'partial', partialReason: 'request_failed' } }),
      payload('2025-01-12T01:00:02Z', { outputTokens: undefined, status: 'error', metadata: { usageStatus: 'partial', partialReason: 'request_failed' } }),
    );
    const [row] = (await side([f], [COOKBOOK])).rows();
    expect(row).toMatchObject({ provider: 'openai', payloads: 3, partial: 3, figures: { requests: 2, input: 100, output: 0 } });
  });

  it('dimensions come from metadata by default, or from the field --field names', async () => {
    const f = jsonl(payload('2025-01-12T01:00:00Z', { tenantId: 'proj_t', metadata: { projectId: 'proj_m', apiKeyId: 7 } }));
    const [byDefault] = (await side([f], [COOKBOOK])).rows();
    expect(byDefault).toMatchObject({ project: 'proj_m', apiKey: '7', workspace: null });
    const [named] = (await side([f], [COOKBOOK], { fields: { project: 'tenantId' } })).rows();
    expect(named).toMatchObject({ project: 'proj_t' });
  });

  it('Claude Code\'s fast-mode rows ("<model>-fast") are counted under the model Anthropic reports', async () => {
    const f = jsonl(payload('2025-08-01T10:00:00Z', { provider: 'anthropic', model: 'claude-opus-4-6-fast', metadata: { speed: 'fast' } }));
    const [row] = (await side([f], [join(FIXTURES, 'reconcile', 'anthropic-usage-report-reference.json')])).rows();
    expect(row!.model).toBe('claude-opus-4-6');
  });
});

describe('the import\'s estimate for a cost report', () => {
  const costs = () => file(JSON.stringify({ object: 'page', data: [{ object: 'bucket', start_time: 1757635200, end_time: 1757721600, results: [{ object: 'organization.costs.result', amount: { value: 1, currency: 'usd' }, line_item: 'gpt-4o-2024-08-06, input' }] }] }), `costs-${n++}.json`);

  it('each payload priced at its createdAt, a batch line at the batch price, an unknown model counted as not priced', async () => {
    const at = '2025-09-12T10:00:00Z';
    const usage = { inputTokens: 1_000_000, outputTokens: 0, metadata: {} };
    const f = jsonl(
      payload(at, { model: 'gpt-4o-2024-08-06', ...usage }),
      payload(at, { model: 'gpt-4o-2024-08-06', ...usage, metadata: { source: 'openai-batch' } }),
      payload(at, { model: 'no-such-model', ...usage }),
    );
    const rows = (await side([f], [costs()], { priced: true })).rows();
    const list = prices.price(prices.resolve('openai', 'gpt-4o-2024-08-06')!, { input: 1_000_000, output: 0, cacheRead: 0, cacheWrite: 0 }, new Date(at))!.total_price;
    expect(list).toBeGreaterThan(0);
    const gpt4o = rows.find((r) => r.model === 'gpt-4o-2024-08-06')!;
    expect(gpt4o.figures.usd).toBeCloseTo(list * 1.5, 9);
    expect(rows.find((r) => r.model === 'no-such-model')).toMatchObject({ unpriced: 1, figures: { usd: 0 } });
  });
});

describe('payload files that cannot be read (exit 2, file and line)', () => {
  const refusal = async (f: string): Promise<string> => {
    try {
      await side([f], [COOKBOOK]);
    } catch (e) {
      expect((e as OpsmeterError).exitCode).toBe(2);
      return (e as Error).message;
    }
    throw new Error('read without an error');
  };

  it('a record that is no payload, a report, an import summary', async () => {
    const f = jsonl(payload('2025-01-12T01:00:00Z'), { hello: 'world' });
    expect(await refusal(f)).toBe(`${f}:2: not an Opsmeter payload: a payload is an object with "provider" and "model" (and token counts)`);
    const page = join(FIXTURES, 'reconcile', 'openai-usage-completions-reference.json');
    expect(await refusal(page)).toBe(`${page}:1: this is a provider report, not a payload: give report pages after --against`);
    const summary = file(JSON.stringify({ read: 3, invariant: 'read 3 = complete 3 + partial 0 + skipped 0 + rejected 0', models: [], days: [] }), 'summary.json');
    // An import summary is read (test/reconcile/run.test.ts); one without a breakdown is refused.
    expect(await refusal(summary)).toContain(`${summary}:1: this import summary (--summary-json) has no breakdown[]`);
  });

  it('token counts and createdAt the contract refuses', async () => {
    const f = jsonl(payload('2025-01-12T01:00:00Z', { inputTokens: '12' }));
    expect(await refusal(f)).toBe(`${f}:1: inputTokens must be a token count (a whole number ≥ 0), got "12"`);
    const g = jsonl(payload('2025-01-12 01:00:00'));
    expect(await refusal(g)).toBe(`${g}:1: createdAt must be an ISO-8601 date-time with a zone, got "2025-01-12 01:00:00"`);
  });

  it('no payloads at all', async () => {
    const f = file('\n\n');
    expect(await refusal(f)).toBe(`no payloads in ${f}`);
  });
});

describe('Coverage', () => {
  it('finds the bucket holding an instant among a day of minute buckets, in any order given, and nothing in the gaps', () => {
    const day = Date.parse('2025-09-14T00:00:00Z');
    const intervals = Array.from({ length: 1440 }, (_, i) => ({ start: day + i * 60_000, end: day + (i + 1) * 60_000 }))
      .filter((_, i) => i % 7 !== 3) // minutes 3, 10, 17, … not reported
      .reverse();
    const c = new Coverage([{ provider: 'openai', kind: 'usage', intervals }]);
    for (let m = 0; m < 1440; m++) {
      expect(c.covers('openai', 'usage', day + m * 60_000 + 59_999), `minute ${m}`).toBe(m % 7 !== 3);
      expect(c.covers('openai', 'usage', day + m * 60_000)).toBe(m % 7 !== 3);
    }
    expect(c.covers('openai', 'usage', day - 1)).toBe(false);
    expect(c.covers('openai', 'cost', day + 1)).toBe(false);
    expect(c.covers('anthropic', 'usage', day + 1)).toBe(false);
    expect(c.kinds('openai')).toEqual(['usage']);
  });
});
