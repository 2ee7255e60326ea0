/** OpenAI-compatible vendors through openai-log / openai-batch: the provider from evidence in the body, or --provider. */
import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vendorOf } from '../../../src/importers/readers/openai-body.js';
import { runCli } from '../../helpers/cli.js';

const FILE = join('fixtures', 'import', 'openai-log', 'vendors', 'compatible.jsonl');
const payloads = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('OpenAI-compatible vendors', () => {
  test.each([
    [{ x_groq: { id: 'req_1' } }, 'llama-3.3-70b-versatile', 'groq'], // Groq's own field
    [{ usage: { prompt_tokens: 10, prompt_cache_hit_tokens: 0, prompt_cache_miss_tokens: 10 } }, 'whatever', 'deepseek'], // DeepSeek's cache counts
    [{ id: 'gen-1761-abc', provider: 'Fireworks' }, 'meta-llama/llama-3.1-8b', 'openrouter'],
    [{}, 'mistral-large-latest', 'mistral'],
    [{}, 'codestral-2501', 'mistral'],
    [{}, 'deepseek-reasoner', 'deepseek'],
    [{}, 'grok-4', 'xai'],
    [{}, 'gpt-4o-mini', undefined],
    [{}, 'meta-llama/Llama-3.3-70B-Instruct-Turbo', undefined], // served by many: no guess
  ])('%j %s → %s', (body, model, vendor) => expect(vendorOf(body, model)).toBe(vendor));

  test('the provider follows the evidence; --provider overrides it for every payload', async () => {
    const r = await runCli(['import', '--from', 'openai-log', FILE]);
    expect(r.code).toBe(0);
    expect(payloads(r.stdout).map((p) => [p.provider, p.inputTokens, p.outputTokens])).toEqual([
      ['groq', 90, 12],
      ['mistral', 16, 34],
    ]);
    const forced = await runCli(['import', '--from', 'openai-log', FILE, '--provider', 'together']);
    expect(payloads(forced.stdout).map((p) => p.provider)).toEqual(['together', 'together']);
    const v = await runCli(['validate', '-', '--format', 'json'], { input: r.stdout });
    expect(JSON.parse(v.stdout).summary).toMatchObject({ records: 2, errors: 0 });
    const bad = await runCli(['import', '--from', 'openai-log', FILE, '--provider', 'has space']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--provider must be a provider id');
  });
});

/** An import with its --summary-json read back. */
async function importWithSummary(args: string[]) {
  const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-vendors-'));
  try {
    const file = join(tmp, 'summary.json');
    const r = await runCli(['import', ...args, '--summary-json', file]);
    return { ...r, summary: JSON.parse(readFileSync(file, 'utf8')) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

describe('defects found on real files (issue 23)', () => {
  const dir = join('fixtures', 'import', 'openai-log');

  test('a Groq stream whose usage is only in x_groq.usage is complete, with that usage', async () => {
    const r = await importWithSummary(['--from', 'openai-log', join(dir, 'vendors', 'groq-stream.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.summary).toMatchObject({ read: 2, complete: 1, partial: { total: 0 }, skipped: { total: 1, byReason: { duplicate_copy: 1 } } });
    expect(payloads(r.stdout).map((p) => [p.externalRequestId.length, p.provider, p.model, p.inputTokens, p.outputTokens, p.metadata?.usageStatus])).toEqual([
      [28, 'groq', 'gemma2-9b-it', 18, 439, undefined],
    ]);
  });

  test('Together AI completions and streams (prompt array, choice seeds, delta token ids) are booked as together', async () => {
    const r = await runCli(['import', '--from', 'openai-log', join(dir, 'vendors', 'together.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    expect(payloads(r.stdout).map((p) => [p.provider, p.model, p.inputTokens, p.outputTokens])).toEqual([
      ['together', 'meta-llama/meta-llama-3.1-8b-instruct-turbo', 12, 27],
      ['together', 'meta-llama/meta-llama-3.1-8b-instruct-turbo', 49, 52],
      ['together', 'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo', 553, 24],
      ['together', 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', 12, 27], // the stream: its usage chunk
    ]);
    // The same evidence in a plain OpenAI body would be absent: nothing else says together.
    expect(vendorOf({ choices: [{ index: 0, finish_reason: 'stop' }] }, 'gpt-4o-mini')).toBeUndefined();
    expect(vendorOf({ object: 'chat.completion', prompt: [] }, 'x')).toBe('together');
  });

  test('a file of Azure OpenAI error bodies: --from auto reads it as --from openai-log does (each line rejected, saying why)', async () => {
    const file = join(dir, 'azure-errors.jsonl');
    const explicit = await importWithSummary(['--from', 'openai-log', file]);
    const auto = await importWithSummary([file]);
    for (const r of [explicit, auto]) {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.summary).toMatchObject({
        format: 'openai-log',
        read: 2,
        rejected: { total: 2, byReason: { 'an API error body with no id or model: nothing to attribute it to': 2 } },
        invariantHolds: true,
      });
    }
    expect(auto.stderr).toContain('--from auto chose openai-log');
  });
});
