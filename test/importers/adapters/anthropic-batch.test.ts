import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { adapter } from '../../../src/importers/adapters/anthropic-batch.js';
import { FIXTURES } from '../../helpers/cli.js';
import { contentTexts, expectNoContent, loadRecords, payload, rejected, runAdapter, type Outcomes } from './harness.js';

const DIR = join(FIXTURES, 'import', 'anthropic-batch');
const RESULTS = 'msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d_results.jsonl';
const BATCH = 'msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d';
const id = (n: string) => `eval-2025-09-14-${n}`;
/** custom_id and the batch id (from the file name) are kept in metadata. */
const ids = (n: string) => ({ customId: id(n), batchId: BATCH });
const S45 = 'claude-sonnet-4-5-20250929';
const O41 = 'claude-opus-4-1-20250805';

describe('anthropic-batch: results file', () => {
  const expected: Outcomes = [
    [`${RESULTS}:1`, payload({
      sourceId: 'msg_01XFDUDYJgAACzvnptvVoYEL', provider: 'anthropic', model: S45, status: 'success', inputTokens: 1843, outputTokens: 96, cachedInputTokens: 0, cacheWriteTokens: 0,
      metadata: { ...ids('0001'), responseId: 'msg_01XFDUDYJgAACzvnptvVoYEL', stopReason: 'end_turn', serviceTier: 'batch' },
    })],
    // cache write: input_tokens 12 + cache_creation 18432
    [`${RESULTS}:2`, payload({
      sourceId: 'msg_01Bq7Kx2fYw3NnR8tLm4PzQa', provider: 'anthropic', model: S45, status: 'success', inputTokens: 18444, outputTokens: 211, cachedInputTokens: 0, cacheWriteTokens: 18432,
      metadata: { ...ids('0002'), responseId: 'msg_01Bq7Kx2fYw3NnR8tLm4PzQa', stopReason: 'end_turn', serviceTier: 'batch' },
    })],
    // cache read: input_tokens 9 + cache_read 18432
    [`${RESULTS}:3`, payload({
      sourceId: 'msg_01C8hV5sQe2WmJ9rTk3LxNpb', provider: 'anthropic', model: S45, status: 'success', inputTokens: 18441, outputTokens: 188, cachedInputTokens: 18432, cacheWriteTokens: 0,
      metadata: { ...ids('0003'), responseId: 'msg_01C8hV5sQe2WmJ9rTk3LxNpb', stopReason: 'end_turn', serviceTier: 'batch' },
    })],
    // read + write, the write split by TTL (5m 1024 + 1h 1536): 31 + 2560 + 18432
    [`${RESULTS}:4`, payload({
      sourceId: 'msg_01D3jR6tPf4XnK0sUl5MyOqc', provider: 'anthropic', model: O41, status: 'success', inputTokens: 21023, outputTokens: 342, cachedInputTokens: 18432, cacheWriteTokens: 2560,
      metadata: { ...ids('0004'), responseId: 'msg_01D3jR6tPf4XnK0sUl5MyOqc', stopReason: 'end_turn', serviceTier: 'batch' },
    })],
    // thinking tokens are part of output_tokens
    [`${RESULTS}:5`, payload({
      sourceId: 'msg_01E9kS7uQg5YoL1tVm6NzPrd', provider: 'anthropic', model: O41, status: 'success', inputTokens: 2104, outputTokens: 3890, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 3412,
      metadata: { ...ids('0005'), responseId: 'msg_01E9kS7uQg5YoL1tVm6NzPrd', stopReason: 'end_turn', serviceTier: 'batch' },
    })],
    // cache fields null: caching was not used, the row is complete (the SDKs type them number | null)
    [`${RESULTS}:6`, payload({
      sourceId: 'msg_01F0lT8vRh6ZpM2uWn7OaQse', provider: 'anthropic', model: 'claude-sonnet-4-20250514', status: 'success', inputTokens: 640, outputTokens: 58,
      metadata: { ...ids('0006'), responseId: 'msg_01F0lT8vRh6ZpM2uWn7OaQse', stopReason: 'end_turn', serviceTier: 'batch' },
    })],
    // no cache fields at all (older responses): no caching, breakdowns not reported
    [`${RESULTS}:7`, payload({
      sourceId: 'msg_01G1mU9wSi7AqN3vXo8PbRtf', provider: 'anthropic', model: 'claude-3-5-haiku-20241022', status: 'success', inputTokens: 377, outputTokens: 12,
      metadata: { ...ids('0007'), responseId: 'msg_01G1mU9wSi7AqN3vXo8PbRtf', stopReason: 'end_turn' },
    })],
    [`${RESULTS}:8`, payload({
      sourceId: 'msg_01H2nV0xTj8BrO4wYp9QcSug', provider: 'anthropic', model: 'claude-3-5-haiku-20241022', status: 'success', partialReason: 'usage_missing',
      metadata: { ...ids('0008'), responseId: 'msg_01H2nV0xTj8BrO4wYp9QcSug', stopReason: 'end_turn' },
    })],
    // nested error shape
    [`${RESULTS}:9`, payload({
      sourceId: 'req_011CSHoEeqs5C35K2UUqR7Fy', provider: 'anthropic', model: 'unknown', status: 'error', errorCode: 'invalid_request_error', partialReason: 'request_failed',
      metadata: { ...ids('0009'), providerRequestId: 'req_011CSHoEeqs5C35K2UUqR7Fy' },
    })],
    // flattened error shape
    [`${RESULTS}:10`, payload({
      sourceId: `${BATCH}:${id('0010')}`, provider: 'anthropic', model: 'unknown', status: 'error', errorCode: 'overloaded_error', partialReason: 'request_failed', metadata: ids('0010'),
    })],
    [`${RESULTS}:11`, payload({
      sourceId: 'req_011CSHpFfrt6D46L3VVrS8Gz', provider: 'anthropic', model: 'unknown', status: 'error', errorCode: 'api_error', partialReason: 'request_failed',
      metadata: { ...ids('0011'), providerRequestId: 'req_011CSHpFfrt6D46L3VVrS8Gz' },
    })],
    [`${RESULTS}:12`, payload({ sourceId: `${BATCH}:${id('0012')}`, provider: 'anthropic', model: 'unknown', status: 'error', errorCode: 'canceled', partialReason: 'batch_canceled', metadata: ids('0012') })],
    [`${RESULTS}:13`, payload({ sourceId: `${BATCH}:${id('0013')}`, provider: 'anthropic', model: 'unknown', status: 'error', errorCode: 'expired', partialReason: 'batch_expired', metadata: ids('0013') })],
    // unknown extra fields (server_tool_use, inference_geo, container) are ignored
    [`${RESULTS}:14`, payload({
      sourceId: 'msg_01J3oW1yUk9CsP5xZq0RdTvh', provider: 'anthropic', model: S45, status: 'success', inputTokens: 5210, outputTokens: 4096, cachedInputTokens: 0, cacheWriteTokens: 0,
      metadata: { ...ids('0014'), responseId: 'msg_01J3oW1yUk9CsP5xZq0RdTvh', stopReason: 'max_tokens', serviceTier: 'batch' },
    })],
    [`${RESULTS}:15`, payload({
      sourceId: 'msg_01K4pX2zVl0DtQ6yAr1SeUwi', provider: 'anthropic', model: 'claude-haiku-4-5-20251001', status: 'success', inputTokens: 154, outputTokens: 6, cachedInputTokens: 0, cacheWriteTokens: 0,
      metadata: { ...ids('0015'), responseId: 'msg_01K4pX2zVl0DtQ6yAr1SeUwi', stopReason: 'end_turn', serviceTier: 'standard' },
    })],
  ];

  test('every line has its exact outcome', async () => {
    const records = await loadRecords(join(DIR, RESULTS));
    expect(records).toHaveLength(15);
    const { results } = runAdapter(adapter, records);
    expect(results.map((r) => [`${RESULTS}:${r.record.line}`, r.outcome])).toEqual(expected);
    expectNoContent(results, [...contentTexts(records), 'Count business days between the dates excluding holidays']);
  });

  test('rejects.jsonl: precise reasons', async () => {
    const { results } = runAdapter(adapter, await loadRecords(join(DIR, 'rejects.jsonl')));
    expect(results.map((r) => [r.record.line, r.outcome])).toEqual([
      [1, rejected('this is a batch request (custom_id/params): import the batch results file')],
      [2, rejected('result.type "processing" is not succeeded, errored, canceled or expired')],
      [3, rejected('result.message.model is missing')],
      [4, rejected('result.message.usage.output_tokens is a negative number, not a token count')],
      [5, rejected('custom_id is missing: not an Anthropic Message Batches result line')],
      [6, rejected('result.message is missing on a succeeded result')],
    ]);
  });

  test('sniff', async () => {
    const [first] = await loadRecords(join(DIR, RESULTS));
    expect(adapter.sniff!(first!)).toBe(true);
    expect(adapter.sniff!({ value: { custom_id: 'a', response: null, error: {} }, file: 'x', line: 1 })).toBe(false);
  });
});
