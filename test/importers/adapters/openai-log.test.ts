import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { adapter } from '../../../src/importers/adapters/openai-log.js';
import { FIXTURES } from '../../helpers/cli.js';
import { contentTexts, expectNoContent, loadRecords, payload, rejected, runAdapter, skipped, type Outcomes } from './harness.js';

const DIR = join(FIXTURES, 'import', 'openai-log');
const LOG = 'app-completions.jsonl';

describe('openai-log: logged Chat Completion / Response objects (BOM, CRLF, blank trailing line)', () => {
  // In release order: whole objects at once; a stream's payload when its usage chunk
  // arrives, or at finish() when none does.
  const expected: Outcomes = [
    [`${LOG}:1`, payload({
      sourceId: 'chatcmpl-CFa8Qm2Lk9vT3xY5zB7nD1pR4sW6', provider: 'openai', model: 'gpt-4o-mini-2024-07-18', status: 'success',
      inputTokens: 322, outputTokens: 14, totalTokens: 336, cachedInputTokens: 0, reasoningTokens: 0, createdAt: 1757843101,
      metadata: { stopReason: 'stop', serviceTier: 'default' },
    })],
    // unknown x_* fields the app added are ignored
    [`${LOG}:2`, payload({
      sourceId: 'chatcmpl-CFa8Qn3Ml0wU4yZ6aC8oE2qS5tX7', provider: 'openai', model: 'gpt-4o-2024-08-06', status: 'success',
      inputTokens: 4096, outputTokens: 211, totalTokens: 4307, cachedInputTokens: 3584, reasoningTokens: 0, createdAt: 1757843122,
      metadata: { stopReason: 'stop', serviceTier: 'default' },
    })],
    // streamed without include_usage, assembled by the app: usage absent
    [`${LOG}:3`, payload({
      sourceId: 'chatcmpl-CFa8Qo4Nm1xV5zA7bD9pF3rT6uY8', provider: 'openai', model: 'gpt-4o-mini-2024-07-18', status: 'success',
      partialReason: 'usage_missing', createdAt: 1757843150, metadata: { stopReason: 'stop', serviceTier: 'default' },
    })],
    // usage: null
    [`${LOG}:4`, payload({
      sourceId: 'chatcmpl-CFa8Qp5On2yW6aB8cE0qG4sU7vZ9', provider: 'openai', model: 'gpt-4o-mini-2024-07-18', status: 'success',
      partialReason: 'usage_missing', createdAt: 1757843171, metadata: { stopReason: 'stop', serviceTier: 'default' },
    })],
    [`${LOG}:5`, payload({
      sourceId: 'resp_68c5f2a1b0c881909d1e2f3a4b5c6d7e', provider: 'openai', model: 'gpt-4.1-2025-04-14', status: 'success',
      inputTokens: 512, outputTokens: 73, totalTokens: 585, cachedInputTokens: 0, reasoningTokens: 0, createdAt: 1757843190,
      userId: 'sid_a91f0c22d7', metadata: { serviceTier: 'default' },
    })],
    [`${LOG}:6`, payload({
      sourceId: 'resp_68c5f2a1c1d98190ae2f3a4b5c6d7e8f', provider: 'openai', model: 'o4-mini-2025-04-16', status: 'success',
      inputTokens: 1840, outputTokens: 1290, totalTokens: 3130, cachedInputTokens: 1024, reasoningTokens: 1152, createdAt: 1757843230,
      metadata: { serviceTier: 'priority' },
    })],
    [`${LOG}:7`, payload({
      sourceId: 'resp_68c5f2a1d2ea8190bf3a4b5c6d7e8f90', provider: 'openai', model: 'gpt-4.1-2025-04-14', status: 'error', errorCode: 'server_error',
      partialReason: 'request_failed', createdAt: 1757843260, metadata: { serviceTier: 'default' },
    })],
    [`${LOG}:8`, payload({
      sourceId: 'resp_68c5f2a1e3fb8190c04b5c6d7e8f90a1', provider: 'openai', model: 'gpt-4.1-mini-2025-04-14', status: 'success',
      inputTokens: 2210, outputTokens: 400, totalTokens: 2610, cachedInputTokens: 0, reasoningTokens: 0, createdAt: 1757843281,
      metadata: { stopReason: 'max_output_tokens', serviceTier: 'default' },
    })],
    [`${LOG}:9`, skipped('not_a_request')], // a queued background response, not finished
    [`${LOG}:10`, skipped('not_a_request')], // a streaming delta event
    [`${LOG}:11`, payload({
      sourceId: 'resp_68c5f2a2051d8190e26d7e8f90a1b2c3', provider: 'openai', model: 'gpt-4.1-nano-2025-04-14', status: 'success',
      inputTokens: 140, outputTokens: 12, totalTokens: 152, cachedInputTokens: 0, reasoningTokens: 0, createdAt: 1757843322,
      metadata: { serviceTier: 'default' },
    })],
    // stream A: chunks 12–14 are copies of the response whose usage chunk is line 15
    [`${LOG}:13`, skipped('duplicate_copy')],
    [`${LOG}:14`, skipped('duplicate_copy')],
    [`${LOG}:12`, skipped('duplicate_copy')],
    [`${LOG}:15`, payload({
      sourceId: 'chatcmpl-CFa8Qq6Po3zX7bC9dF1rH5tV8wA0', provider: 'openai', model: 'gpt-4o-mini-2024-07-18', status: 'success',
      inputTokens: 96, outputTokens: 7, totalTokens: 103, cachedInputTokens: 0, reasoningTokens: 0, createdAt: 1757843340,
      metadata: { stopReason: 'stop', serviceTier: 'default' },
    })],
    [`${LOG}:16`, skipped('not_a_request')], // Azure asynchronous content-filter chunk
    [`${LOG}:18`, skipped('duplicate_copy')],
    [`${LOG}:19`, payload({
      sourceId: 'chatcmpl-CFa8Qs8Rq5bZ9dE1fH3tJ7vX0yC2', provider: 'openai', model: 'gpt-4o-mini', status: 'success',
      inputTokens: 88, outputTokens: 5, totalTokens: 93, createdAt: 1757843380, metadata: { stopReason: 'stop', serviceTier: 'default' },
    })],
    // stream B never carried usage: one partial payload, from finish(). Azure's filter-only
    // chunk (line 16) came right before its first chunk: the stream is Azure's.
    [`${LOG}:17`, payload({
      sourceId: 'chatcmpl-CFa8Qr7Qp4aY8cD0eG2sI6uW9xB1', provider: 'azure-openai', model: 'gpt-4o-2024-08-06', status: 'success',
      partialReason: 'usage_missing', createdAt: 1757843361, metadata: { stopReason: 'stop', serviceTier: 'default' },
    })],
  ];

  test('every line has its exact outcome, one payload per stream', async () => {
    const records = await loadRecords(join(DIR, LOG));
    expect(records).toHaveLength(19);
    const { results } = runAdapter(adapter, records);
    expect(results.map((r) => [`${LOG}:${r.record.line}`, r.outcome])).toEqual(expected);
    expectNoContent(results, [...contentTexts(records), 'Shipping to Norway takes', 'Your invoice is attached.']);
  });

  test('chunks of interleaved streams are grouped by id; copies after the usage chunk stay copies', () => {
    const chunk = (id: string, extra: object = {}) => ({ id, object: 'chat.completion.chunk', created: 1757843400, model: 'gpt-4o-mini-2024-07-18', choices: [], ...extra });
    const usage = { usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } };
    const values = [chunk('a'), chunk('b'), chunk('a', usage), chunk('b'), chunk('a')];
    const records = values.map((value, i) => ({ value, file: 'x.jsonl', line: i + 1 }));
    const { results } = runAdapter(adapter, records);
    expect(results.map((r) => [r.record.line, r.outcome.kind === 'payload' ? r.outcome.draft.partialReason ?? 'complete' : r.outcome.kind])).toEqual([
      [1, 'skip'], [3, 'complete'], [4, 'skip'], [5, 'skip'], [2, 'usage_missing'],
    ]);
  });
});

describe('openai-log: records that cannot be interpreted', () => {
  test('rejects.jsonl', async () => {
    const records = await loadRecords(join(DIR, 'rejects.jsonl'));
    const { results } = runAdapter(adapter, records);
    expect(results.map((r) => [r.record.line, r.outcome])).toEqual([
      [1, rejected('an API error body with no id or model: nothing to attribute it to')],
      [2, rejected('object "list" is not a Chat Completion or Response')],
      [3, rejected('id is missing')],
      [4, rejected('model is missing')],
      [5, rejected('usage.total_tokens is a negative number, not a token count')],
      [6, rejected('line is a string, not an OpenAI response object')],
      [7, rejected('response.completed event has no response object')],
    ]);
  });

  test('sniff', async () => {
    const [first] = await loadRecords(join(DIR, LOG));
    expect(adapter.sniff!(first!)).toBe(true);
    expect(adapter.sniff!({ value: { type: 'response.completed', response: { id: 'resp_1' } }, file: 'x', line: 1 })).toBe(true);
    expect(adapter.sniff!({ value: { custom_id: 'a', response: { body: {} } }, file: 'x', line: 1 })).toBe(false);
  });
});

describe('openai-log: a failed Responses stream (recorded: insufficient_quota)', () => {
  test('the error event is not a request; response.failed is the partial', async () => {
    const { results } = runAdapter(adapter, await loadRecords(join(DIR, 'streams', 'responses-failed-stream.jsonl')));
    expect(results.map((r) => [r.record.line, r.outcome])).toEqual([
      [1, skipped('not_a_request')],
      [2, skipped('not_a_request')],
      [3, payload({
        sourceId: 'resp_0265b28bea036ff60068df845920648196938b4f36acdcee37', provider: 'openai', model: 'gpt-5-2025-08-07', status: 'error', errorCode: 'insufficient_quota',
        partialReason: 'request_failed', createdAt: 1759478873, metadata: { serviceTier: 'auto' },
      })],
    ]);
  });
});
