import { describe, expect, it } from 'vitest';
import { ext, importFixture } from '../helpers.js';

const base = { dataMode: 'real', environment: 'prod' } as const;
const meta = (m: Record<string, unknown>) => ({ source: 'openrouter', ...m });

describe('openrouter adapter', () => {
  it('generations CSV (BOM, CRLF, quoted commas, trailing blank line): every row, exact payloads', async () => {
    const r = await importFixture('openrouter', ['openrouter/openrouter_activity_2026-06-28.csv']);
    expect(r.payloads).toEqual([
      {
        externalRequestId: ext('openrouter', 'gen-1782618417-NEpXKqXYIDjS7TmNrT9j'),
        provider: 'openrouter',
        model: 'openai/gpt-oss-120b',
        inputTokens: 10389,
        outputTokens: 137,
        totalTokens: 10526,
        latencyMs: 2940,
        status: 'success',
        ...base,
        createdAt: '2026-06-28T03:46:57.713Z', // zoneless export time read as UTC
        metadata: meta({ upstreamProvider: 'Chutes', variant: 'free', streamed: true, finishReason: 'stop', timeToFirstTokenMs: 1016, openrouterCostUsd: 0.0123, cachedInputTokens: 0, reasoningTokens: 0 }),
      },
      {
        // reasoning is inside tokens_completion: not added again; empty tokens_cached stays unknown
        externalRequestId: ext('openrouter', 'gen-1782618502-Xr4QmT8wPz1LkVb2Hc7d'),
        provider: 'openrouter',
        model: 'deepseek/deepseek-r1',
        inputTokens: 1200,
        outputTokens: 2400,
        totalTokens: 3600,
        latencyMs: 38100,
        status: 'success',
        userId: 'user_2b9f',
        ...base,
        createdAt: '2026-06-28T03:48:22.105Z',
        metadata: meta({ upstreamProvider: 'DeepInfra', streamed: true, finishReason: 'stop', timeToFirstTokenMs: 2210, openrouterCostUsd: 0.00561, reasoningTokens: 1850 }),
      },
      {
        // cache reads are a subset of tokens_prompt; dated permaslug mapped by the date-suffix rule
        externalRequestId: ext('openrouter', 'gen-1782618611-Ck9LmN2bVx7QpR4sTy6u'),
        provider: 'openrouter',
        model: 'anthropic/claude-3.7-sonnet',
        inputTokens: 8200,
        outputTokens: 310,
        totalTokens: 8510,
        latencyMs: 5120,
        status: 'success',
        userId: 'user_2b9f',
        ...base,
        createdAt: '2026-06-28T03:50:11.440Z',
        metadata: meta({
          upstreamProvider: 'Anthropic',
          streamed: true,
          finishReason: 'stop',
          timeToFirstTokenMs: 880,
          openrouterCostUsd: 0.00942,
          cachedInputTokens: 6144,
          reasoningTokens: 0,
          loggedModel: 'anthropic/claude-3.7-sonnet-20250219',
        }),
      },
      {
        // cancelled stream: billed tokens are measured, the request counts as an error
        externalRequestId: ext('openrouter', 'gen-1782618700-Qw3ErT5yUi7OpA9sDf1g'),
        provider: 'openrouter',
        model: 'openai/gpt-4o-mini',
        inputTokens: 900,
        outputTokens: 42,
        totalTokens: 942,
        latencyMs: 1210,
        status: 'error',
        errorCode: 'cancelled',
        userId: 'user_77',
        ...base,
        createdAt: '2026-06-28T03:51:40.010Z',
        metadata: meta({ upstreamProvider: 'OpenAI', streamed: true, timeToFirstTokenMs: 640, openrouterCostUsd: 0.00031, cachedInputTokens: 0, reasoningTokens: 0 }),
      },
      {
        // upstream error with empty token cells: partial, nothing invented
        externalRequestId: ext('openrouter', 'gen-1782618801-Zx8CvB6nMq4WeR2tYu0i'),
        provider: 'openrouter',
        model: 'mistralai/mistral-large',
        status: 'error',
        errorCode: 'upstream_error',
        userId: 'user_77',
        ...base,
        createdAt: '2026-06-28T03:53:21.999Z',
        metadata: meta({ upstreamProvider: 'Mistral', streamed: false, finishReason: 'error', openrouterCostUsd: 0, usageStatus: 'partial', partialReason: 'request_failed' }),
      },
      {
        // success with empty token cells (other parsers coerce them to 0)
        externalRequestId: ext('openrouter', 'gen-1782618900-Lk2JhG4fDs6AqW8eRt0y'),
        provider: 'openrouter',
        model: 'openai/gpt-4o-mini',
        latencyMs: 700,
        status: 'success',
        ...base,
        createdAt: '2026-06-28T03:55:00.500Z',
        metadata: meta({ upstreamProvider: 'OpenAI', streamed: false, finishReason: 'stop', openrouterCostUsd: 0.0004, usageStatus: 'partial', partialReason: 'usage_missing' }),
      },
      {
        // BYOK, a model the catalog does not know (kept as logged), a user with a comma
        externalRequestId: ext('openrouter', 'gen-1782619010-Pq1OwI3eUr5TyA7sDf9g'),
        provider: 'openrouter',
        model: 'acme/private-model-v2',
        inputTokens: 3000,
        outputTokens: 500,
        totalTokens: 3500,
        latencyMs: 1999,
        status: 'success',
        userId: 'doe, jane',
        ...base,
        createdAt: '2026-06-28T03:56:50.000Z',
        metadata: meta({ upstreamProvider: 'Acme Cloud', streamed: false, finishReason: 'stop', timeToFirstTokenMs: 310, openrouterCostUsd: 0, openrouterByokUsd: 0.0021, cachedInputTokens: 0, reasoningTokens: 0 }),
      },
    ]);
    expect(r.rejects).toEqual([
      { file: 'openrouter/openrouter_activity_2026-06-28.csv', line: 9, reason: 'row has 3 cells, the header has 24', raw: 'gen-1782619100-ragged,2026-06-28 03:58:20.000,0.001' },
    ]);
    expect(r.summary).toMatchObject({
      read: 8,
      complete: 5,
      partial: { total: 2, byReason: { request_failed: 1, usage_missing: 1 } },
      rejected: { total: 1 },
      blankLines: 1,
      // Only acme/private-model-v2: the catalog (genai-prices' OpenRouter models) knows the rest.
      unknownModels: { models: 1, payloads: 1 },
      invariantHolds: true,
    });
  });
});
