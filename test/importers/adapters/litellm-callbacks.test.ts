/**
 * LiteLLM StandardLoggingPayload (the S3/GCS logging callbacks' objects) through the built CLI:
 * LiteLLM's own test fixture verbatim, and JSONL of mutated copies (a failure, an end user, a
 * cache breakdown), one object per line.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, runCli } from '../../helpers/cli.js';

const FILE = 'fixtures/import/litellm/callbacks/standard_logging_payload.json';
const base = JSON.parse(readFileSync(join(FIXTURES, '..', FILE), 'utf8'));
const lines = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('litellm: StandardLoggingPayload', () => {
  it('maps id, model, provider, tokens, cost; --from auto agrees; validate clean', async () => {
    const named = await runCli(['import', FILE, '--from', 'litellm']);
    expect(named.code).toBe(0);
    expect(named.stderr).toContain('read 1 = complete 1 + partial 0 + skipped 0 + rejected 0 ✔');
    const [p] = lines(named.stdout);
    expect(p).toMatchObject({ provider: 'openai', model: 'gpt-4o', status: 'success', inputTokens: 10, outputTokens: 20, totalTokens: 30, createdAt: '2025-01-24T09:20:46.847Z' });
    expect(p.metadata).toMatchObject({ callType: 'acompletion', litellmSpendUsd: 0.00022500000000000002 });
    const auto = await runCli(['import', FILE]);
    expect(auto.stderr).toContain('--from auto chose litellm');
    expect(auto.stdout).toBe(named.stdout);
    const v = await runCli(['validate', '-', '--format', 'json'], { input: named.stdout });
    expect(v.code).toBe(0);
  });

  it('one object per line: failures partial, cache breakdown, end users hashed, the invariant', async () => {
    const failed = {
      ...base,
      id: 'chatcmpl-failed-1',
      status: 'failure',
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      response_cost: 0,
      error_information: { ...base.error_information, error_code: '429', error_class: 'RateLimitError' },
    };
    const cached = {
      ...base,
      id: 'chatcmpl-cached-1',
      end_user: '',
      metadata: { ...base.metadata, user_api_key_end_user_id: 'customer-8812' },
      response: { ...base.response, usage: { ...base.response.usage, prompt_tokens_details: { cached_tokens: 8 } } },
    };
    const input = [base, failed, cached, { ...base, id: 'x', prompt_tokens: -1 }].map((o) => JSON.stringify(o)).join('\n') + '\n';
    const r = await runCli(['import', '-', '--from', 'litellm', '--stdin-filename', 'slp.jsonl', '--hash-user-ids', 'salt'], { input });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('read 4 = complete 2 + partial 1 + skipped 0 + rejected 1 ✔');
    const [ok, f, c] = lines(r.stdout);
    expect(ok.inputTokens).toBe(10);
    expect(f).toMatchObject({ status: 'error', errorCode: '429' });
    expect(f.metadata.partialReason).toBe('not_measured');
    expect(f.inputTokens).toBeUndefined();
    expect(c.metadata.cachedInputTokens).toBe(8);
    expect(c.userId).toMatch(/^u_[0-9a-f]{64}$/);
    expect(r.stdout).not.toContain('customer-8812');
    expect(new Set([ok, f, c].map((p) => p.externalRequestId)).size).toBe(3);
  });
});
