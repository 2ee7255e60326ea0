/**
 * The providers' reports as reconcile reads them (src/reconcile/reports.ts through
 * readReports): the vendors' own samples (fixtures/reconcile/SOURCES.md), each in opsmeter's
 * meanings of input and cache counts; pages, bucket arrays, JSONL of pages and .gz; and every
 * input that is no report refused with its file and line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { OpsmeterError } from '../../src/errors.js';
import { expandInputs, readReports } from '../../src/reconcile/read.js';
import { lineItemModel, type DayRange } from '../../src/reconcile/reports.js';
import { FIXTURES } from '../helpers/cli.js';

const R = join(FIXTURES, 'reconcile');
const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-reconcile-reports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const file = (content: string | Buffer, name = `report-${n++}.json`) => {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
};

async function read(paths: string[], range: DayRange = {}) {
  const { reports } = await expandInputs([], paths);
  const collected = await readReports(reports, range);
  return { collected, parts: [...collected.parts.values()] };
}

async function refusal(paths: string[]): Promise<OpsmeterError> {
  try {
    const { parts } = await read(paths);
    for (const p of parts) p.scope();
  } catch (e) {
    expect(e).toBeInstanceOf(OpsmeterError);
    expect((e as OpsmeterError).exitCode).toBe(2);
    return e as OpsmeterError;
  }
  throw new Error(`${paths.join(', ')} was read without an error`);
}

describe('the vendors\' samples, in opsmeter\'s meanings', () => {
  it('OpenAI Usage API reference page: input_tokens already includes cached and cache-write tokens', async () => {
    const { parts, collected } = await read([join(R, 'openai-usage-completions-reference.json')]);
    expect(parts.map((p) => p.format)).toEqual(['openai-usage']);
    const p = parts[0]!;
    expect([...p.rows.values()]).toEqual([
      { kind: 'usage', provider: 'openai', day: '2024-11-01', model: null, project: null, apiKey: null, figures: { requests: 5, input: 1000, output: 500, cachedInput: 400, cacheWrite: 100 } },
    ]);
    expect(p.scope()).toEqual({ kind: 'usage', provider: 'openai', measures: ['requests', 'input', 'cachedInput', 'cacheWrite', 'output'], days: [{ day: '2024-11-01', full: true }] });
    expect(collected.files).toEqual([{ file: join(R, 'openai-usage-completions-reference.json'), format: 'openai-usage', buckets: 1, results: 1 }]);
  });

  it('the OpenAI Cookbook\'s buckets: an array of them, a first bucket that starts mid-day, an empty bucket, no cache writes stated', async () => {
    const { parts } = await read([join(R, 'openai-usage-cookbook-buckets.json')]);
    const p = parts[0]!;
    const scope = p.scope();
    expect(scope.measures).toEqual(['requests', 'input', 'cachedInput', 'output']);
    expect(scope.days).toEqual([
      { day: '2025-01-11', full: false },
      { day: '2025-01-12', full: true },
      { day: '2025-01-13', full: true },
      { day: '2025-01-14', full: true },
      { day: '2025-01-19', full: true },
      { day: '2025-01-20', full: true },
      { day: '2025-01-21', full: true },
    ]);
    const rows = [...p.rows.values()];
    expect(rows.reduce((s, r) => s + r.figures.requests!, 0)).toBe(470 + 150 + 3053 + 157 + 46 + 98);
    expect(rows.find((r) => r.day === '2025-01-13')!.figures).toEqual({ requests: 3053, input: 3718360, output: 97756, cachedInput: 76544 });
  });

  it('OpenAI Costs API pages: dollars as they are, per day', async () => {
    const { parts } = await read([join(R, 'openai-costs-reference.json'), join(R, 'openai-costs-cookbook-buckets.json')]);
    const p = parts[0]!;
    expect(p.format).toBe('openai-costs');
    expect([...p.rows.values()].map((r) => [r.day, r.model, r.figures.usd])).toEqual([
      ['2024-11-01', null, 0.06],
      ['2025-01-11', null, 0.13080438340307526],
      ['2025-01-12', null, 0.12270423340307525],
      ['2025-01-13', null, 9.888144383403077],
    ]);
  });

  it('Anthropic usage report: input is uncached + cache reads + cache writes (5-minute and 1-hour)', async () => {
    const { parts } = await read([join(R, 'anthropic-usage-report-reference.json')]);
    const p = parts[0]!;
    expect(p.format).toBe('anthropic-usage');
    expect([...p.rows.values()]).toEqual([
      {
        kind: 'usage',
        provider: 'anthropic',
        day: '2025-08-01',
        model: 'claude-sonnet-4-20250514',
        apiKey: 'apikey_01Rj2N8SVvo6BePZj99NhmiT',
        workspace: 'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ',
        figures: { input: 1500 + 200 + 500 + 1000, cachedInput: 200, cacheWrite: 1500, output: 500 },
      },
    ]);
    expect(p.scope().measures).toEqual(['input', 'cachedInput', 'cacheWrite', 'output']);
  });

  it('Anthropic cost report: the amount is cents as a decimal string', async () => {
    const { parts } = await read([join(R, 'anthropic-cost-report-reference.json')]);
    const p = parts[0]!;
    expect(p.format).toBe('anthropic-cost');
    const [row] = [...p.rows.values()];
    expect(row).toMatchObject({ day: '2025-08-01', model: 'claude-sonnet-4-20250514', workspace: 'wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ' });
    expect(row!.figures.usd).toBeCloseTo(1.2378912, 10);
  });

  it('an OpenAI line item names its model; one without ", <part>" is no model\'s tokens', () => {
    expect(lineItemModel('ft-gpt-4o-2024-08-06, input')).toBe('ft-gpt-4o-2024-08-06');
    expect(lineItemModel('gpt-4o-mini-2024-07-18, cached input')).toBe('gpt-4o-mini-2024-07-18');
    expect(lineItemModel('evals | gpt-4o-mini-2024-07-18, input')).toBe('gpt-4o-mini-2024-07-18');
    expect(lineItemModel('assistants api | file search')).toBeUndefined();
  });
});

describe('how reports are saved', () => {
  const page = JSON.parse(readFileSync(join(R, 'openai-usage-2025-09-page-1.json'), 'utf8'));
  const page2 = JSON.parse(readFileSync(join(R, 'openai-usage-2025-09-page-2.json'), 'utf8'));
  const totals = async (paths: string[]) => {
    const { parts } = await read(paths);
    return [...parts[0]!.rows.values()].reduce((s, r) => s + r.figures.input!, 0);
  };

  it('one page per file, pages as JSONL (named .jsonl or .json), a JSON array of pages, .gz: the same totals', async () => {
    const expected = await totals([join(R, 'openai-usage-2025-09-page-1.json'), join(R, 'openai-usage-2025-09-page-2.json')]);
    expect(expected).toBe(23780);
    expect(await totals([file(`${JSON.stringify(page)}\n${JSON.stringify(page2)}\n`, 'pages.jsonl')])).toBe(expected);
    expect(await totals([file(`${JSON.stringify(page)}\n${JSON.stringify(page2)}\n`, 'pages-one-per-line.json')])).toBe(expected);
    expect(await totals([file(JSON.stringify([page, page2], null, 2))])).toBe(expected);
    expect(await totals([file(gzipSync(JSON.stringify(page)), 'p1.json.gz'), file(gzipSync(JSON.stringify(page2)), 'p2.json.gz')])).toBe(expected);
  });

  it('a directory of pages', async () => {
    const dir = mkdtempSync(join(tmp, 'pages-'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify(page));
    writeFileSync(join(dir, 'b.json.gz'), gzipSync(JSON.stringify(page2)));
    writeFileSync(join(dir, 'notes.txt'), 'not read');
    expect(await totals([dir])).toBe(23780);
  });

  it('--since/--until keep the days inside, inclusive', async () => {
    const { parts } = await read([join(R, 'openai-usage-2025-09-page-1.json'), join(R, 'openai-usage-2025-09-page-2.json')], { since: '2025-09-13', until: '2025-09-14' });
    expect(parts[0]!.scope().days.map((d) => d.day)).toEqual(['2025-09-13', '2025-09-14']);
    expect(parts[0]!.excludedResults).toBe(6);
  });
});

describe('refused, naming the file (exit 2)', () => {
  it('a missing file', async () => {
    expect((await refusal([join(tmp, 'nope.json')])).message).toBe(`${join(tmp, 'nope.json')}: no such file or directory`);
  });

  it('payloads given as a report', async () => {
    const f = file('{"provider":"openai","model":"gpt-4o","inputTokens":1,"outputTokens":1,"status":"success"}\n', 'payloads.jsonl');
    expect((await refusal([f])).message).toBe(`${f}:1: this holds Opsmeter payloads, not a provider report: give payload files before --against, reports after it`);
  });

  it('an API error saved instead of a page (OpenAI\'s and Anthropic\'s error bodies)', async () => {
    const openai = file('{\n  "error": {\n    "message": "Incorrect API key provided: sk-admin-*****************************Q7xZ. You can find your API key at https://platform.openai.com/account/api-keys.",\n    "type": "invalid_request_error",\n    "param": null,\n    "code": "invalid_api_key"\n  }\n}\n');
    expect((await refusal([openai])).message).toBe(
      `${openai}:1: this is an API error response, not a report page: invalid_request_error: Incorrect API key provided: sk-…. You can find your API key at https://platform.openai.com/account/api-keys.`,
    );
    const anthropic = file('{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}');
    expect((await refusal([anthropic])).message).toContain('this is an API error response, not a report page: authentication_error: invalid x-api-key');
  });

  it('a page of another OpenAI usage endpoint', async () => {
    const f = file(JSON.stringify({ object: 'page', data: [{ object: 'bucket', start_time: 1730419200, end_time: 1730505600, results: [{ object: 'organization.usage.embeddings.result', input_tokens: 16, num_model_requests: 2 }] }] }));
    expect((await refusal([f])).message).toContain('OpenAI embeddings usage: reconcile compares completions usage (/v1/organization/usage/completions) and costs');
  });

  it('the dashboard\'s CSV export, and text that is no JSON', async () => {
    const csv = join(FIXTURES, 'import', 'aggregate', 'openai-usage-completions.csv');
    expect((await refusal([csv])).message).toBe(`${csv} is an OpenAI usage export (dashboard CSV / Usage API) as CSV: reconcile reads the API's JSON pages`);
    const text = file('hello\n', 'notes.json');
    expect((await refusal([text])).message).toContain(`${text} is not JSON (it starts with "hello")`);
  });

  it('a file without buckets, and broken JSON with its line', async () => {
    const empty = file('{"data": [], "has_more": false}');
    expect((await refusal([empty])).message).toContain(`${empty} holds no time buckets`);
    const broken = file('{"object": "page",\n "data": [\n  {"object": "bucket", "start_time": 1, \n');
    expect((await refusal([broken])).message).toMatch(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
  });

  it('the same page twice (a copy overlaps the original), naming both', async () => {
    const original = join(R, 'openai-usage-2025-09-page-1.json');
    const copy = file(readFileSync(original));
    const e = await refusal([original, copy]);
    expect(e.message).toContain('two OpenAI Usage API (completions) pages overlap');
    expect(e.message).toContain(copy);
    expect(e.message).toContain(original);
  });

  it('a usage and a cost page in one file; OpenAI and Anthropic pages in one file', async () => {
    const usage = JSON.parse(readFileSync(join(R, 'openai-usage-completions-reference.json'), 'utf8'));
    const cost = JSON.parse(readFileSync(join(R, 'openai-costs-reference.json'), 'utf8'));
    cost.data[0].start_time += 86400;
    cost.data[0].end_time += 86400;
    expect((await refusal([file(`${JSON.stringify(usage)}\n${JSON.stringify(cost)}\n`, 'both.jsonl')])).message).toContain('holds both OpenAI Usage API (completions) and OpenAI Costs API pages');
    const anthropic = readFileSync(join(R, 'anthropic-usage-report-reference.json'), 'utf8').replace(/\s+/g, ' ');
    expect((await refusal([file(`${JSON.stringify(usage)}\n${anthropic}\n`, 'mixed.jsonl')])).message).toContain('mixes OpenAI and Anthropic pages');
  });

  it('a bucket over a UTC midnight, a count that is no count, an amount in another currency', async () => {
    const bucket = (results: unknown[], start = 1730419200, end = 1730505600) => file(JSON.stringify({ object: 'page', data: [{ object: 'bucket', start_time: start, end_time: end, results }] }));
    const usage = { object: 'organization.usage.completions.result', input_tokens: 10, output_tokens: 2, num_model_requests: 1 };
    expect((await refusal([bucket([usage], 1730419200 + 3600, 1730505600 + 3600)])).message).toContain('spans more than one UTC day');
    expect((await refusal([bucket([{ ...usage, input_tokens: '10' }])])).message).toContain('"input_tokens" must be a token or request count (a whole number ≥ 0), got "10"');
    expect((await refusal([bucket([{ ...usage, output_tokens: -1 }])])).message).toContain('"output_tokens" must be a token or request count');
    const eur = { object: 'organization.costs.result', amount: { value: 1, currency: 'eur' } };
    expect((await refusal([bucket([eur])])).message).toContain('the amount is in "eur": reconcile compares US dollars');
    const anthropicCost = file(JSON.stringify({ data: [{ starting_at: '2025-08-01T00:00:00Z', ending_at: '2025-08-02T00:00:00Z', results: [{ amount: 12.5, currency: 'USD' }] }] }));
    expect((await refusal([anthropicCost])).message).toContain('a result with fields amount, currency is none of the reports reconcile reads');
  });
});
