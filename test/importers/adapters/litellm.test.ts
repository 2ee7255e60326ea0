import { describe, expect, it } from 'vitest';
import { ext, importFixture } from '../helpers.js';

const base = { dataMode: 'real', environment: 'prod' } as const;
const meta = (m: Record<string, unknown>) => ({ source: 'litellm', ...m });

/** The first three rows of spend.csv; spend-excel.csv repeats them (BOM, CRLF, extra column). */
const ROW1 = {
  externalRequestId: ext('litellm', 'chatcmpl-7f0eb1be-0063-40c7-90f8-aa6c3fef14ca'),
  provider: 'openai',
  model: 'gpt-4o-mini',
  inputTokens: 121,
  outputTokens: 400,
  totalTokens: 521,
  latencyMs: 3864,
  status: 'success',
  userId: 'customer-8812',
  ...base,
  createdAt: '2025-12-10T12:47:35.248Z',
  metadata: meta({ callType: 'acompletion', modelGroup: 'gpt4o-mini', litellmSpendUsd: 0.000168, cacheHit: false, cachedInputTokens: 64 }),
};
const ROW2 = {
  externalRequestId: ext('litellm', 'msg_01XFDUDYJgAACzvnptvVoYEL'),
  provider: 'anthropic',
  model: 'claude-3-5-sonnet-20241022',
  inputTokens: 3530, // LiteLLM's prompt_tokens already holds cache reads and writes (OpenAI convention)
  outputTokens: 200,
  totalTokens: 3730,
  latencyMs: 3375, // no request_duration_ms: endTime − startTime
  status: 'success',
  userId: 'customer-8812',
  ...base,
  createdAt: '2025-12-10T12:48:01.002Z',
  metadata: meta({ callType: 'anthropic_messages', modelGroup: 'claude-sonnet', litellmSpendUsd: 0.01275, cacheHit: false, cachedInputTokens: 2048, cacheWriteTokens: 1024 }),
};
const ROW3 = {
  externalRequestId: ext('litellm', 'chatcmpl-9a1c2e77-o3mini'),
  provider: 'openai',
  model: 'o3-mini-2025-01-31',
  inputTokens: 550,
  outputTokens: 1600,
  totalTokens: 2150,
  latencyMs: 12450,
  status: 'success',
  userId: 'customer-1077',
  ...base,
  createdAt: '2025-12-10T12:49:10.500Z',
  metadata: meta({ callType: 'acompletion', modelGroup: 'o3-mini', litellmSpendUsd: 0.00726, cacheHit: false, cachedInputTokens: 0, reasoningTokens: 1216 }),
};

describe('litellm adapter', () => {
  it('spend.csv (psql \\copy csv header): every row, exact payloads', async () => {
    const r = await importFixture('litellm', ['litellm/spend.csv']);
    expect(r.payloads).toEqual([
      ROW1,
      ROW2,
      ROW3,
      {
        // failure with 0 tokens: not a measurement
        externalRequestId: ext('litellm', '1f6e3c52-9c1d-4be9-9d6a-2a7f0e6f4b11'),
        provider: 'openai',
        model: 'gpt-4o-mini',
        status: 'error',
        errorCode: '429',
        userId: 'customer-8812',
        ...base,
        createdAt: '2025-12-10T12:50:00.000Z',
        metadata: meta({ callType: 'acompletion', modelGroup: 'gpt4o-mini', litellmSpendUsd: 0, cacheHit: false, usageStatus: 'partial', partialReason: 'not_measured' }),
      },
      {
        // failure with estimated tokens and no custom_llm_provider: provider from the model prefix
        externalRequestId: ext('litellm', '5b0d7d0e-64ac-4a77-8f32-0d2f9a3c8e21'),
        provider: 'anthropic',
        model: 'claude-3-5-haiku-20241022',
        latencyMs: 1500,
        status: 'error',
        errorCode: '529',
        ...base,
        createdAt: '2025-12-10T12:51:30.120Z',
        metadata: meta({
          callType: 'acompletion',
          modelGroup: 'haiku',
          litellmSpendUsd: 0,
          cacheHit: false,
          loggedModel: 'anthropic/claude-3-5-haiku-20241022',
          usageStatus: 'partial',
          partialReason: 'not_measured',
        }),
      },
      {
        // success logged with 0/0 (streamed pass-through): not measured
        externalRequestId: ext('litellm', 'chatcmpl-passthrough-0c1d'),
        provider: 'openai',
        model: 'gpt-4o',
        latencyMs: 4250,
        status: 'success',
        ...base,
        createdAt: '2025-12-10T12:52:10.000Z',
        metadata: meta({ callType: 'pass_through_endpoint', litellmSpendUsd: 0, cacheHit: false, usageStatus: 'partial', partialReason: 'not_measured' }),
      },
      {
        // old row: empty status means success; no usage_object
        externalRequestId: ext('litellm', 'chatcmpl-oldrow-2024'),
        provider: 'openai',
        model: 'gpt-4o-mini',
        inputTokens: 100,
        outputTokens: 30,
        totalTokens: 130,
        latencyMs: 1250,
        status: 'success',
        userId: 'internal-user-7',
        ...base,
        createdAt: '2024-11-02T08:15:00.000Z',
        metadata: meta({ callType: 'acompletion', modelGroup: 'gpt4o-mini', litellmSpendUsd: 0.0000345, cacheHit: false }),
      },
      {
        // request_id "None": id derived from stable fields; azure → azure-openai; commas in quoted cells
        externalRequestId: ext('litellm', 'derived|2025-12-10 12:53:00.000|2025-12-10 12:53:02.000|gpt-4o-2024-08-06|88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b|500|200|0.00215'),
        provider: 'azure-openai',
        model: 'gpt-4o-2024-08-06',
        inputTokens: 500,
        outputTokens: 200,
        totalTokens: 700,
        latencyMs: 2000,
        status: 'success',
        userId: 'acme, inc. / user 4',
        ...base,
        createdAt: '2025-12-10T12:53:00.000Z',
        metadata: meta({ callType: 'acompletion', modelGroup: 'gpt-4o-eu', litellmSpendUsd: 0.00215, cacheHit: false, sourceIdDerived: true }),
      },
      {
        // vertex_ai → google; dots to hyphens
        externalRequestId: ext('litellm', 'vertex-7c9d5f3a'),
        provider: 'google',
        model: 'gemini-1-5-flash',
        inputTokens: 300,
        outputTokens: 80,
        totalTokens: 380,
        latencyMs: 900,
        status: 'success',
        ...base,
        createdAt: '2025-12-10T12:54:00.000Z',
        metadata: meta({ callType: 'acompletion', modelGroup: 'gemini-flash', litellmSpendUsd: 0.000042, cacheHit: false, loggedModel: 'gemini-1.5-flash' }),
      },
    ]);
    expect(r.rejects).toEqual([
      {
        file: 'litellm/spend.csv',
        line: 11,
        reason: 'row has 7 cells, the header has 32',
        raw: 'chatcmpl-truncated-row,acompletion,88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b,0.0001,50,40,10',
      },
    ]);
    expect(r.summary).toMatchObject({ read: 10, complete: 6, partial: { total: 3, byReason: { not_measured: 3 } }, skipped: { total: 0 }, rejected: { total: 1 }, invariantHolds: true });
  });

  it('spend-excel.csv (BOM, CRLF, extra unknown column, trailing blank line) gives the same payloads', async () => {
    const r = await importFixture('litellm', ['litellm/spend-excel.csv']);
    expect(r.payloads).toEqual([ROW1, ROW2, ROW3]);
    expect(r.rejects).toEqual([]);
    expect(r.summary).toMatchObject({ read: 3, complete: 3, blankLines: 1, invariantHolds: true });
  });

  it('spend-logs.json (GET /spend/logs array): typed values, null usage on a failure, epoch startTime', async () => {
    const r = await importFixture('litellm', ['litellm/spend-logs.json']);
    expect(r.payloads).toEqual([
      ROW1,
      ROW2,
      {
        externalRequestId: ext('litellm', '2c9b8e0a-failure-null-usage'),
        provider: 'openai',
        model: 'gpt-4o-mini',
        status: 'error',
        errorCode: '429',
        userId: 'customer-8812',
        ...base,
        createdAt: '2025-12-10T12:50:00.000Z',
        metadata: meta({ callType: 'acompletion', modelGroup: 'gpt4o-mini', litellmSpendUsd: 0, cacheHit: false, usageStatus: 'partial', partialReason: 'request_failed' }),
      },
      { ...ROW3, externalRequestId: ext('litellm', 'chatcmpl-epoch-start'), createdAt: '2025-12-10T12:49:10.000Z' },
    ]);
    expect(r.summary).toMatchObject({ read: 4, complete: 3, partial: { total: 1, byReason: { request_failed: 1 } }, invariantHolds: true });
  });
});
