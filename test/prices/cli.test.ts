/**
 * The cost estimate end to end: generated OpenAI Batch output lines through the built CLI,
 * checked against @pydantic/genai-prices' calcPrice called here, and `opsmeter catalog`'s
 * prices from the same source.
 */
import { calcPrice } from '@pydantic/genai-prices';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-prices-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One Batch API output line (Chat Completions body) as OpenAI writes it. */
function batchLine(i: number, model: string, created: string, prompt: number, completion: number, cached = 0): string {
  return JSON.stringify({
    id: `batch_req_${String(i).padStart(6, '0')}`,
    custom_id: `request-${i}`,
    response: {
      status_code: 200,
      request_id: `req_${i}`,
      body: {
        id: `chatcmpl-${i}`,
        object: 'chat.completion',
        created: Date.parse(created) / 1000,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } },
      },
    },
    error: null,
  });
}

const list = (model: string, at: string, input: number, output: number, cached = 0) => {
  const usage: Record<string, number> = { input_tokens: input, output_tokens: output };
  if (cached) usage.cache_read_tokens = cached;
  return calcPrice(usage, model, { providerId: 'openai', timestamp: new Date(at) })!.total_price;
};

describe('opsmeter import: cost estimates from @pydantic/genai-prices', () => {
  it('a two-day OpenAI batch backfill: per-day figures at half the list price of each day, the source named, an invented model null', async () => {
    const lines = [
      batchLine(1, 'o3-2025-04-16', '2025-06-09T18:00:00Z', 100_000, 20_000),
      batchLine(2, 'o3-2025-04-16', '2025-06-10T06:00:00Z', 100_000, 20_000),
      batchLine(3, 'gpt-4.1-mini-2025-04-14', '2025-06-10T07:00:00Z', 50_000, 1_000, 20_000),
      batchLine(4, 'gpt-9-hyperion-invented', '2025-06-10T08:00:00Z', 1_000, 100),
    ];
    const file = join(tmp, 'batch_abc123_output.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const summaryFile = join(tmp, 'summary.json');
    const r = await runCli(['import', file, '--from', 'openai-batch', '-o', join(tmp, 'out.jsonl'), '--summary-json', summaryFile]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
    const day1 = list('o3-2025-04-16', '2025-06-09T18:00:00Z', 100_000, 20_000) * 0.5;
    const day2 = (list('o3-2025-04-16', '2025-06-10T06:00:00Z', 100_000, 20_000) + list('gpt-4.1-mini-2025-04-14', '2025-06-10T07:00:00Z', 50_000, 1_000, 20_000)) * 0.5;
    expect(day1).toBeGreaterThan(day2); // the o3 price cut of 2025-06-10
    expect(s.prices).toEqual({ source: expect.stringMatching(/^@pydantic\/genai-prices \d/), dataDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), dataDateBasis: 'release' });
    expect(s.days).toEqual([
      { date: '2025-06-09', payloads: 1, estimatedUsd: expect.closeTo(day1, 6), estimatedUsdNotFinal: 0 },
      { date: '2025-06-10', payloads: 3, estimatedUsd: expect.closeTo(day2, 6), estimatedUsdNotFinal: 0 },
    ]);
    expect(s.estimatedUsd).toMatchObject({ complete: expect.closeTo(day1 + day2, 6), unpricedPayloads: 1 });
    expect(s.batchPricing).toEqual({ payloads: 4, factor: 0.5, vendor: 'OpenAI Batch API' });
    const invented = s.models.find((m: { model: string }) => m.model === 'gpt-9-hyperion-invented');
    expect(invented).toMatchObject({ estimatedUsd: null, unpricedPayloads: 1, known: false });
    expect(s.models.find((m: { model: string }) => m.model === 'gpt-4-1-mini-2025-04-14')).toMatchObject({ known: true, pricedAs: ['openai/gpt-4.1-mini'] });
    // The pretty summary: the source beside the total, the batch price said, "not priced" for the invented model.
    expect(r.stderr).toMatch(new RegExp(`total ESTIMATED ~\\$[\\d.]+ · 1 payload not priced \\(prices: ${s.prices.source.replace(/[.]/g, '\\.')}, data of ${s.prices.dataDate}\\)`));
    expect(r.stderr).toContain('batch: 4 payloads priced at the batch price (50% of list price, OpenAI Batch API)');
    expect(r.stderr).toMatch(/openai\/gpt-9-hyperion-invented: 1 payload, 1,000 in \/ 100 out — not priced/);
    // Not a TTY: no chart.
    expect(r.stderr).not.toContain('estimated cost per day');
  });
});

describe('on a terminal', () => {
  // util-linux `script` gives the CLI a pseudo-terminal for stderr; it is on every Debian machine.
  it.skipIf(!existsSync('/usr/bin/script'))('rows over several days draw the per-day cost chart', () => {
    const file = join(tmp, 'batch_tty_output.jsonl');
    const days = ['2026-03-01T10:00:00Z', '2026-03-02T10:00:00Z', '2026-03-02T11:00:00Z', '2026-03-04T10:00:00Z'];
    writeFileSync(file, days.map((d, i) => batchLine(100 + i, 'gpt-4o-2024-08-06', d, 20_000 * (i + 1), 1_000)).join('\n') + '\n');
    const cmd = [process.execPath, BIN, 'import', file, '--from', 'openai-batch', '-o', join(tmp, 'tty-out.jsonl')].map((a) => `'${a}'`).join(' ');
    const screen = execFileSync('/usr/bin/script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', TZ: 'UTC' }, encoding: 'utf8' });
    expect(screen).toContain('estimated cost per day (UTC):');
    const bars = screen.split(/\r?\n/).filter((l) => /^ {4}2026-03-0\d /.test(l));
    expect(bars.map((l) => l.slice(4, 14))).toEqual(['2026-03-01', '2026-03-02', '2026-03-04']);
    // The dearest day has the full-width bar.
    expect(bars[1]).toContain('█'.repeat(30));
    expect(bars[1]).toMatch(/\(2 payloads\)$/);
  });
});

describe('opsmeter catalog: prices from the same source, with its date', () => {
  it('lists genai-prices list prices for catalog ids, tiers marked, unpriced ids said', async () => {
    const r = await runCli(['catalog', '--provider', 'google', '--search', 'gemini-2-5-pro']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/prices: @pydantic\/genai-prices \d+\.\d+\.\d+ \(data of \d{4}-\d{2}-\d{2}\), list prices in force today/);
    const now = new Date();
    const p = calcPrice({ input_tokens: 0, output_tokens: 0 }, 'gemini-2.5-pro', { providerId: 'google', timestamp: now })!.model_price;
    const base = (v: unknown) => (typeof v === 'number' ? v : (v as { base: number }).base);
    expect(r.stdout).toMatch(new RegExp(`google\\s+gemini-2-5-pro\\s+${base(p.input_mtok)}\\s+${base(p.output_mtok)}\\s+${base(p.cache_read_mtok)}\\s+\\S+ \\* above 200,000 input tokens`));
  });
  it('--json gives each entry its list price and the source', async () => {
    const r = await runCli(['catalog', '--json', '--provider', 'anthropic', '--search', 'claude-opus-4-6']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.prices.source).toMatch(/^@pydantic\/genai-prices /);
    const opus = j.models.find((m: { model: string }) => m.model === 'claude-opus-4-6');
    const p = calcPrice({ input_tokens: 0, output_tokens: 0 }, 'claude-opus-4-6', { providerId: 'anthropic', timestamp: new Date() })!.model_price;
    expect(opus.listPrice).toMatchObject({ inputPer1M: p.input_mtok, outputPer1M: p.output_mtok, pricedAs: 'anthropic/claude-opus-4-6' });
  });
});
