/** OpenAI-compatible vendors through openai-log / openai-batch: the provider from evidence in the body, or --provider. */
import { describe, expect, test } from 'vitest';
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
