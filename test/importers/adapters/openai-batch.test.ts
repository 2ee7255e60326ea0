import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { adapter } from '../../../src/importers/adapters/openai-batch.js';
import { FIXTURES } from '../../helpers/cli.js';
import { contentTexts, expectNoContent, loadRecords, payload, rejected, runAdapter, type Outcomes } from './harness.js';

const DIR = join(FIXTURES, 'import', 'openai-batch');
const OUTPUT = 'batch_68c3a1e9f0b48190_output.jsonl';
const ERRORS = 'batch_68c3a1e9f0b48190_error.jsonl';
const AZURE = 'azure_batch_output.jsonl';
const BATCH = 'batch_68c3a1e9f0b48190'; // from the file names

async function run(file: string) {
  const records = await loadRecords(join(DIR, file));
  return { records, ...runAdapter(adapter, records) };
}

const ok = (httpStatus = 200) => ({ httpStatus });

describe('openai-batch: output file (Chat Completions, Responses, Embeddings)', () => {
  const expected: Outcomes = [
    [`${OUTPUT}:1`, payload({
      sourceId: 'batch_req_68c3a1f2e4b88190a5c1d0e7f3b2a914', provider: 'openai', model: 'gpt-4o-mini-2024-07-18', status: 'success',
      inputTokens: 412, outputTokens: 37, totalTokens: 449, cachedInputTokens: 0, reasoningTokens: 0, createdAt: 1757683214,
      requestKey: 'ticket-20250912-0001', metadata: { customId: 'ticket-20250912-0001', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f2e4b88190a5c1d0e7f3b2a914', providerRequestId: 'af0bac0d82530234e09bd6b5d9fbf5cf', responseId: 'chatcmpl-CEx1mK8nQ2rT5vW7yZ9aB3cD4eF6g', ...ok(), stopReason: 'stop', serviceTier: 'default' },
    })],
    // cached_tokens is a subset of prompt_tokens: reported, not added again.
    [`${OUTPUT}:2`, payload({
      sourceId: 'batch_req_68c3a1f2f1c08190b6d2e1f8a4c3b025', provider: 'openai', model: 'gpt-4o-2024-08-06', status: 'success',
      inputTokens: 2048, outputTokens: 22, totalTokens: 2070, cachedInputTokens: 1536, reasoningTokens: 0, createdAt: 1757683215,
      requestKey: 'ticket-20250912-0002', metadata: { customId: 'ticket-20250912-0002', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f2f1c08190b6d2e1f8a4c3b025', providerRequestId: '5e1c7a9d3b2f4e6a8c0d2e4f6a8b0c1d', responseId: 'chatcmpl-CEx1mL9oR3sU6wX8zA0bC4dE5fG7h', ...ok(), stopReason: 'stop', serviceTier: 'default' },
    })],
    // cache reads and cache writes, both subsets of prompt_tokens.
    [`${OUTPUT}:3`, payload({
      sourceId: 'batch_req_68c3a1f30a1c8190c7e3f2a9b5d4c136', provider: 'openai', model: 'gpt-4.1-2025-04-14', status: 'success',
      inputTokens: 5120, outputTokens: 64, totalTokens: 5184, cachedInputTokens: 1024, cacheWriteTokens: 2048, reasoningTokens: 0, createdAt: 1757683216,
      requestKey: 'ticket-20250912-0003', metadata: { customId: 'ticket-20250912-0003', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f30a1c8190c7e3f2a9b5d4c136', providerRequestId: '9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d', responseId: 'chatcmpl-CEx1mM0pS4tV7yY9aB1cD5eF6gH8i', ...ok(), stopReason: 'stop', serviceTier: 'default' },
    })],
    // reasoning tokens are inside completion_tokens.
    [`${OUTPUT}:4`, payload({
      sourceId: 'batch_req_68c3a1f31d2c8190d8f4a3b0c6e5d247', provider: 'openai', model: 'o4-mini-2025-04-16', status: 'success',
      inputTokens: 860, outputTokens: 512, totalTokens: 1372, cachedInputTokens: 0, reasoningTokens: 384, createdAt: 1757683219,
      requestKey: 'ticket-20250912-0004', metadata: { customId: 'ticket-20250912-0004', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f31d2c8190d8f4a3b0c6e5d247', providerRequestId: '1f2e3d4c5b6a79880716253443526170', responseId: 'chatcmpl-CEx1mN1qT5uW8zZ0bC2dE6fG7hI9j', ...ok(), stopReason: 'stop', serviceTier: 'flex' },
    })],
    [`${OUTPUT}:5`, payload({
      sourceId: 'batch_req_68c3a1f32e3d8190e9a5b4c1d7f6e358', provider: 'openai', model: 'gpt-4.1-2025-04-14', status: 'success',
      inputTokens: 36, outputTokens: 87, totalTokens: 123, cachedInputTokens: 0, reasoningTokens: 0, createdAt: 1757683221,
      requestKey: 'ticket-20250912-0005', metadata: { customId: 'ticket-20250912-0005', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f32e3d8190e9a5b4c1d7f6e358', providerRequestId: '2a3b4c5d6e7f80918273645546372819', responseId: 'resp_68c3a1f33f4e8190a1b2c3d4e5f60718', ...ok(), serviceTier: 'default' },
    })],
    [`${OUTPUT}:6`, payload({
      sourceId: 'batch_req_68c3a1f3405f8190fab6c5d2e8a7f469', provider: 'openai', model: 'o3-2025-04-16', status: 'success',
      inputTokens: 3072, outputTokens: 1460, totalTokens: 4532, cachedInputTokens: 2048, reasoningTokens: 1024, createdAt: 1757683224,
      userId: 'sid_3b7d2a9e41f0',
      requestKey: 'ticket-20250912-0006', metadata: { customId: 'ticket-20250912-0006', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f3405f8190fab6c5d2e8a7f469', providerRequestId: '3b4c5d6e7f8091a2b3c4d5e6f7081929', responseId: 'resp_68c3a1f35160819012c3d4e5f6071829', ...ok(), serviceTier: 'default' },
    })],
    // Responses `incomplete` still produced (and billed) tokens.
    [`${OUTPUT}:7`, payload({
      sourceId: 'batch_req_68c3a1f3627181902ad4e5f60718293a', provider: 'openai', model: 'gpt-4.1-mini-2025-04-14', status: 'success',
      inputTokens: 1200, outputTokens: 256, totalTokens: 1456, cachedInputTokens: 0, reasoningTokens: 0, createdAt: 1757683226,
      requestKey: 'ticket-20250912-0007', metadata: { customId: 'ticket-20250912-0007', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f3627181902ad4e5f60718293a', providerRequestId: '4c5d6e7f8091a2b3c4d5e6f708192a3b', responseId: 'resp_68c3a1f3738281903be5f607182930a4', ...ok(), stopReason: 'max_output_tokens', serviceTier: 'default' },
    })],
    // A failed Response reporting 0 tokens was not measured: partial, no counts.
    [`${OUTPUT}:8`, payload({
      sourceId: 'batch_req_68c3a1f384938190cf06a7182930a4b5', provider: 'openai', model: 'gpt-4.1-2025-04-14', status: 'error', errorCode: 'server_error',
      partialReason: 'not_measured', createdAt: 1757683230,
      requestKey: 'ticket-20250912-0008', metadata: { customId: 'ticket-20250912-0008', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f384938190cf06a7182930a4b5', providerRequestId: '5d6e7f8091a2b3c4d5e6f708192a3b4c', responseId: 'resp_68c3a1f395a481904d07b8293a4b5c6d', ...ok(), serviceTier: 'default' },
    })],
    // Details null (not 0): the breakdowns are unknown and omitted.
    [`${OUTPUT}:9`, payload({
      sourceId: 'batch_req_68c3a1f3a6b58190e018c93a4b5c6d7e', provider: 'openai', model: 'gpt-4o-mini-2024-07-18', status: 'success',
      inputTokens: 198, outputTokens: 6, totalTokens: 204, createdAt: 1757683232,
      requestKey: 'ticket-20250912-0009', metadata: { customId: 'ticket-20250912-0009', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f3a6b58190e018c93a4b5c6d7e', providerRequestId: '6e7f8091a2b3c4d5e6f708192a3b4c5d', responseId: 'chatcmpl-CEx1mO2rU6vX9aA1cD3eF7gH8iJ0k', ...ok(), stopReason: 'stop', serviceTier: 'default' },
    })],
    // usage: null on a 200 → partial, nothing invented.
    [`${OUTPUT}:10`, payload({
      sourceId: 'batch_req_68c3a1f3b7c68190f129da4b5c6d7e8f', provider: 'openai', model: 'gpt-4o-mini-2024-07-18', status: 'success',
      partialReason: 'usage_missing', createdAt: 1757683233,
      requestKey: 'ticket-20250912-0010', metadata: { customId: 'ticket-20250912-0010', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f3b7c68190f129da4b5c6d7e8f', providerRequestId: '7f8091a2b3c4d5e6f708192a3b4c5d6e', responseId: 'chatcmpl-CEx1mP3sV7wY0bB2dE4fG8hI9jK1l', ...ok(), stopReason: 'stop', serviceTier: 'default' },
    })],
    // Embeddings generate no tokens: output 0 is what the API means by omitting it.
    [`${OUTPUT}:11`, payload({
      sourceId: 'batch_req_68c3a1f3c8d781900a3aeb5c6d7e8f90', provider: 'openai', model: 'text-embedding-3-small', status: 'success',
      inputTokens: 8, outputTokens: 0, totalTokens: 8,
      requestKey: 'embed-20250912-0011', metadata: { customId: 'embed-20250912-0011', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f3c8d781900a3aeb5c6d7e8f90', providerRequestId: '8091a2b3c4d5e6f708192a3b4c5d6e7f', ...ok() },
    })],
    [`${OUTPUT}:12`, payload({
      sourceId: 'batch_req_68c3a1f3d9e881901b4bfc6d7e8f9012', provider: 'openai', model: 'gpt-4o-2024-08-06', status: 'success',
      inputTokens: 1530, outputTokens: 300, totalTokens: 1830, cachedInputTokens: 0, reasoningTokens: 0, createdAt: 1757683236,
      requestKey: 'ticket-20250912-0012', metadata: { customId: 'ticket-20250912-0012', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f3d9e881901b4bfc6d7e8f9012', providerRequestId: '91a2b3c4d5e6f708192a3b4c5d6e7f80', responseId: 'chatcmpl-CEx1mQ4tW8xZ1cC3eF5gH9iJ0kL2m', ...ok(), stopReason: 'length', serviceTier: 'default' },
    })],
  ];

  test('every line has its exact outcome (trailing blank lines are not records)', async () => {
    const { records, results } = await run(OUTPUT);
    expect(records).toHaveLength(12);
    expect(results.map((r) => [`${OUTPUT}:${r.record.line}`, r.outcome])).toEqual(expected);
    expectNoContent(results, contentTexts(records));
  });
});

describe('openai-batch: error file (HTTP failures and requests that never ran)', () => {
  const failed = (n: string, batchRequestId: string, providerRequestId: string, httpStatus: number, errorCode: string) =>
    payload({
      sourceId: batchRequestId, provider: 'openai', model: 'unknown', status: 'error', errorCode, partialReason: 'request_failed',
      requestKey: `ticket-20250912-${n}`, metadata: { customId: `ticket-20250912-${n}`, batchId: BATCH, batchRequestId, providerRequestId, httpStatus },
    });
  const expected: Outcomes = [
    [`${ERRORS}:1`, failed('0013', 'batch_req_68c3a1f3eaf98190226c0d7e8f901a2b', '0538a1cc8f8f8500bbe07250e6aa2b26', 400, 'context_length_exceeded')],
    // code null → the error type.
    [`${ERRORS}:2`, failed('0014', 'batch_req_68c3a1f3fb0a8190337d1e8f901a2b3c', 'a2b3c4d5e6f708192a3b4c5d6e7f8091', 500, 'server_error')],
    [`${ERRORS}:3`, failed('0015', 'batch_req_68c3a1f40c1b8190448e2f901a2b3c4d', 'b3c4d5e6f708192a3b4c5d6e7f8091a2', 404, 'model_not_found')],
    // neither code nor type → the HTTP status.
    [`${ERRORS}:4`, failed('0016', 'batch_req_68c3a1f41d2c8190559f301a2b3c4d5e', 'c4d5e6f708192a3b4c5d6e7f8091a2b3', 503, '503')],
    [`${ERRORS}:5`, payload({
      sourceId: 'batch_req_68c3a1f42e3d819066a0412b3c4d5e6f', provider: 'openai', model: 'unknown', status: 'error', errorCode: 'batch_expired', partialReason: 'batch_expired',
      requestKey: 'ticket-20250912-0017', metadata: { customId: 'ticket-20250912-0017', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f42e3d819066a0412b3c4d5e6f' },
    })],
    [`${ERRORS}:6`, payload({
      sourceId: 'batch_req_68c3a1f43f4e819077b1523c4d5e6f70', provider: 'openai', model: 'unknown', status: 'error', errorCode: 'batch_cancelled', partialReason: 'batch_canceled',
      requestKey: 'ticket-20250912-0018', metadata: { customId: 'ticket-20250912-0018', batchId: BATCH, batchRequestId: 'batch_req_68c3a1f43f4e819077b1523c4d5e6f70' },
    })],
  ];

  test('every line has its exact outcome; no error text is copied', async () => {
    const { records, results } = await run(ERRORS);
    expect(results.map((r) => [`${ERRORS}:${r.record.line}`, r.outcome])).toEqual(expected);
    expectNoContent(results, contentTexts(records));
  });
});

describe('openai-batch: Azure OpenAI variant (BOM, CRLF, no line ids, content filter)', () => {
  const expected: Outcomes = [
    [`${AZURE}:1`, payload({
      sourceId: '1dfa42c2-0769-474f-9ce9-f819be76cbaa', provider: 'azure-openai', model: 'gpt-4o-2024-05-13', status: 'success',
      inputTokens: 814, outputTokens: 22, totalTokens: 836, createdAt: 1726677619,
      requestKey: 'task-0', metadata: { customId: 'task-0', providerRequestId: '1dfa42c2-0769-474f-9ce9-f819be76cbaa', responseId: 'chatcmpl-A8s0xYzQ1bC2dE3fG4hI5jK6lM7', httpStatus: 200, stopReason: 'stop' },
    })],
    [`${AZURE}:2`, payload({
      sourceId: '6c0e5a1b-3f2d-4e8a-9b7c-1d2e3f4a5b6c', provider: 'azure-openai', model: 'gpt-4o-2024-08-06', status: 'success',
      inputTokens: 1650, outputTokens: 41, totalTokens: 1691, cachedInputTokens: 1280, reasoningTokens: 0, createdAt: 1726677621,
      requestKey: 'task-1', metadata: { customId: 'task-1', providerRequestId: '6c0e5a1b-3f2d-4e8a-9b7c-1d2e3f4a5b6c', responseId: 'chatcmpl-A8s0yZaR2cD3eF4gH5iJ6kL7mN8', httpStatus: 200, stopReason: 'stop' },
    })],
    // A filtered completion is still a billed call: success, with the stop reason.
    [`${AZURE}:3`, payload({
      sourceId: '7d1f6b2c-4a3e-4f9b-8c8d-2e3f4a5b6c7d', provider: 'azure-openai', model: 'gpt-4o-mini-2024-07-18', status: 'success',
      inputTokens: 96, outputTokens: 0, totalTokens: 96, createdAt: 1726677623,
      requestKey: 'task-2', metadata: { customId: 'task-2', providerRequestId: '7d1f6b2c-4a3e-4f9b-8c8d-2e3f4a5b6c7d', responseId: 'chatcmpl-A8s0zAbS3dE4fG5hI6jK7lM8nO9', httpStatus: 200, stopReason: 'content_filter' },
    })],
    // A blocked prompt: HTTP 400 content_filter, no usage.
    [`${AZURE}:4`, payload({
      sourceId: '8e2a7c3d-5b4f-4a0c-9d9e-3f4a5b6c7d8e', provider: 'azure-openai', model: 'unknown', status: 'error', errorCode: 'content_filter', partialReason: 'request_failed',
      requestKey: 'task-3', metadata: { customId: 'task-3', providerRequestId: '8e2a7c3d-5b4f-4a0c-9d9e-3f4a5b6c7d8e', httpStatus: 400 },
    })],
    // A blocked turn as a 200 with no choices and no usage: failed, partial.
    [`${AZURE}:5`, payload({
      sourceId: '9f3b8d4e-6c5a-4b1d-8e0f-4a5b6c7d8e9f', provider: 'azure-openai', model: 'gpt-4o-2024-05-13', status: 'error', errorCode: 'content_filter', partialReason: 'request_failed',
      createdAt: 1726677627,
      requestKey: 'task-4', metadata: { customId: 'task-4', providerRequestId: '9f3b8d4e-6c5a-4b1d-8e0f-4a5b6c7d8e9f', responseId: 'chatcmpl-A8s10BcT4eF5gH6iJ7kL8mN9oP0', httpStatus: 200 },
    })],
    [`${AZURE}:6`, payload({
      sourceId: 'a04c9e5f-7d6b-4c2e-9f1a-5b6c7d8e9fa0', provider: 'azure-openai', model: 'o3-mini-2025-01-31', status: 'success',
      inputTokens: 455, outputTokens: 702, totalTokens: 1157, cachedInputTokens: 0, reasoningTokens: 640, createdAt: 1726677630,
      requestKey: 'task-5', metadata: { customId: 'task-5', providerRequestId: 'a04c9e5f-7d6b-4c2e-9f1a-5b6c7d8e9fa0', responseId: 'chatcmpl-A8s11CdU5fG6hI7jK8lM9nO0pQ1', httpStatus: 200, stopReason: 'stop' },
    })],
    [`${AZURE}:7`, payload({
      sourceId: 'task-6', provider: 'azure-openai', model: 'unknown', status: 'error', errorCode: 'batch_cancelled', partialReason: 'batch_canceled',
      requestKey: 'task-6', metadata: { customId: 'task-6' },
    })],
  ];

  test('every line has its exact outcome', async () => {
    const { records, results } = await run(AZURE);
    expect(results.map((r) => [`${AZURE}:${r.record.line}`, r.outcome])).toEqual(expected);
    expectNoContent(results, contentTexts(records));
  });
});

describe('openai-batch: lines that cannot be interpreted are rejected with a precise reason', () => {
  test('rejects.jsonl', async () => {
    const { results } = await run('rejects.jsonl');
    expect(results.map((r) => [r.record.line, r.outcome])).toEqual([
      [1, rejected('this is a Batch input line (method/url/body): import the batch output or error file')],
      [2, rejected('response.body.usage.prompt_tokens is a string, not a token count')],
      [3, rejected('response.body.model is missing on a line with usage')],
      [4, rejected('custom_id is missing: not an OpenAI Batch output or error line')],
      [5, rejected('line is an array, not a Batch output object')],
      [6, rejected('response.status_code is missing or not an integer')],
      [7, rejected('response.body.usage.completion_tokens is a negative number, not a token count')],
    ]);
  });

  test('odd values never throw out of push()', () => {
    const converter = adapter.create({ map: {} });
    const odd: unknown[] = [null, 42, 'text', {}, { custom_id: 'x' }, { custom_id: 'x', response: { status_code: 200, body: { usage: 'lots' } } },
      { custom_id: 'x', response: null, error: 'boom' }, { custom_id: 'x', response: { status_code: 200, body: { model: 'gpt-4o', usage: { prompt_tokens: 1e400 } } } },
      { custom_id: 'x', response: { status_code: 200, body: { model: 'gpt-4o', created: 'yesterday', usage: { prompt_tokens: 1, completion_tokens: 1 } } } }];
    for (const [i, value] of odd.entries()) {
      const out = converter.push({ value, file: 'odd.jsonl', line: i + 1 });
      expect(out).toHaveLength(1);
      expect(out[0]!.outcome.kind).toBe('reject');
    }
    expect(converter.finish()).toEqual([]);
  });
});

describe('openai-batch: sniff', () => {
  test('recognises output and error lines, not other formats', async () => {
    for (const f of [OUTPUT, ERRORS, AZURE]) {
      const [first] = await loadRecords(join(DIR, f));
      expect(adapter.sniff!(first!)).toBe(true);
    }
    expect(adapter.sniff!({ value: { custom_id: 'a', result: { type: 'succeeded' } }, file: 'x', line: 1 })).toBe(false);
    expect(adapter.sniff!({ value: { custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: {} }, file: 'x', line: 1 })).toBe(false);
  });
});
