import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { adapter, modelFromId } from '../../../src/importers/adapters/bedrock.js';
import { FIXTURES } from '../../helpers/cli.js';
import { contentTexts, expectNoContent, loadRecords, payload, rejected, runAdapter, type Outcomes } from './harness.js';

const DIR = join(FIXTURES, 'import', 'bedrock');
const HOURS = join(DIR, 'AWSLogs', '111122223333', 'BedrockModelInvocationLogs', 'us-east-1', '2025', '09', '12');
const GZ = '20250912T140000Z_7f3e9c1ab2d4e5f6.json.gz';
const PLAIN = '20250912T150000Z_3c9a7e2b1d4f6a80.json';
const CW = 'invocation-c24d5e6f.json';
const FILES = [join(HOURS, '14', GZ), join(HOURS, '15', PLAIN), join(DIR, 'cloudwatch', CW)];

const meta = (operation: string, extra: Record<string, string> = {}) => ({ operation, region: 'us-east-1', ...extra });

describe('bedrock: invocation logs (.json.gz from S3, an un-gzipped .json, a CloudWatch record)', () => {
  const expected: Outcomes = [
    [`${GZ}:1`, payload({
      sourceId: '6f9e9644-95a1-4c3c-892f-b51372320d5e', provider: 'aws-bedrock', model: 'anthropic.claude-3-haiku-20240307-v1:0', status: 'success',
      inputTokens: 571, outputTokens: 212, cachedInputTokens: 0, cacheWriteTokens: 0, createdAt: '2025-09-12T14:00:03Z',
      metadata: meta('InvokeModel', { stopReason: 'end_turn' }),
    })],
    // cache read and write are additive to the uncached input: 3 + 15872 + 3584
    [`${GZ}:2`, payload({
      sourceId: '0c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', provider: 'aws-bedrock', model: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0', status: 'success',
      inputTokens: 19459, outputTokens: 486, cachedInputTokens: 15872, cacheWriteTokens: 3584, createdAt: '2025-09-12T14:00:41Z',
      metadata: meta('InvokeModel', { inferenceRegion: 'us-east-2', stopReason: 'tool_use' }),
    })],
    // foundation-model ARN → model id; Converse latency
    [`${GZ}:3`, payload({
      sourceId: '1d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f60', provider: 'aws-bedrock', model: 'anthropic.claude-3-5-haiku-20241022-v1:0', status: 'success',
      inputTokens: 1250, outputTokens: 38, latencyMs: 912, createdAt: '2025-09-12T14:01:15Z',
      metadata: meta('Converse', { stopReason: 'end_turn' }),
    })],
    // stream-array body: latency from the last chunk's invocation metrics
    [`${GZ}:4`, payload({
      sourceId: '2e4f5a6b-7c8d-4e9f-8a1b-2c3d4e5f6071', provider: 'aws-bedrock', model: 'anthropic.claude-3-5-sonnet-20241022-v2:0', status: 'success',
      inputTokens: 18, outputTokens: 24, latencyMs: 1873, createdAt: '2025-09-12T14:02:07Z',
      metadata: meta('InvokeModelWithResponseStream', { stopReason: 'end_turn' }),
    })],
    [`${GZ}:5`, payload({
      sourceId: '3f5a6b7c-8d9e-4fa0-9b1c-3d4e5f607182', provider: 'aws-bedrock', model: 'anthropic.claude-3-haiku-20240307-v1:0', status: 'error',
      errorCode: 'ThrottlingException', partialReason: 'request_failed', createdAt: '2025-09-12T14:02:30Z', metadata: meta('InvokeModel'),
    })],
    // a failed call that logged 0 tokens was not measured
    [`${GZ}:6`, payload({
      sourceId: '4a6b7c8d-9e0f-4ab1-8c2d-4e5f60718293', provider: 'aws-bedrock', model: 'amazon.nova-pro-v1:0', status: 'error',
      errorCode: 'ValidationException', partialReason: 'not_measured', createdAt: '2025-09-12T14:03:02Z', metadata: meta('Converse'),
    })],
    // bodies delivered to S3 paths: the counts are still in the record
    [`${GZ}:7`, payload({
      sourceId: '5b7c8d9e-0f1a-4bc2-9d3e-5f6071829304', provider: 'aws-bedrock', model: 'meta.llama3-1-70b-instruct-v1:0', status: 'success',
      inputTokens: 48213, outputTokens: 1536, createdAt: '2025-09-12T14:03:40Z', metadata: meta('InvokeModel'),
    })],
    [`${GZ}:8`, payload({
      sourceId: '6c8d9e0f-1a2b-4cd3-8e4f-60718293a415', provider: 'aws-bedrock', model: 'mistral.mistral-large-2407-v1:0', status: 'success',
      partialReason: 'usage_missing', createdAt: '2025-09-12T14:04:11Z', metadata: meta('InvokeModel'),
    })],
    // an application inference profile names no model: kept visible, counted as unknown downstream
    [`${GZ}:9`, payload({
      sourceId: '7d9e0f1a-2b3c-4de4-9f5a-718293a4b526', provider: 'aws-bedrock', model: 'application-inference-profile/k3x9vq2m7n1p', status: 'success',
      inputTokens: 640, outputTokens: 57, latencyMs: 1204, createdAt: '2025-09-12T14:05:26Z', metadata: meta('Converse', { stopReason: 'end_turn' }),
    })],
    [`${GZ}:10`, payload({
      sourceId: '8e0f1a2b-3c4d-4ef5-8a6b-8293a4b5c637', provider: 'aws-bedrock', model: 'us.anthropic.claude-sonnet-4-20250514-v1:0', status: 'success',
      inputTokens: 3234, outputTokens: 301, cachedInputTokens: 0, cacheWriteTokens: 1024, createdAt: '2025-09-12T14:06:02Z',
      metadata: meta('InvokeModel', { inferenceRegion: 'us-west-2', stopReason: 'end_turn' }),
    })],
    // no top-level counts: the Converse body's usage, cache read additive (96 + 512)
    [`${PLAIN}:1`, payload({
      sourceId: '9f1a2b3c-4d5e-4f06-9b7c-93a4b5c6d748', provider: 'aws-bedrock', model: 'amazon.nova-lite-v1:0', status: 'success',
      inputTokens: 608, outputTokens: 41, cachedInputTokens: 512, latencyMs: 655, createdAt: '2025-09-12T15:00:12Z',
      metadata: meta('Converse', { stopReason: 'end_turn' }),
    })],
    // ConverseStream: usage and latency from the final metadata event
    [`${PLAIN}:2`, payload({
      sourceId: 'a02b3c4d-5e6f-4017-8c8d-a4b5c6d7e859', provider: 'aws-bedrock', model: 'us.amazon.nova-pro-v1:0', status: 'success',
      inputTokens: 22, outputTokens: 118, latencyMs: 2311, createdAt: '2025-09-12T15:01:44Z', metadata: meta('ConverseStream', { stopReason: 'end_turn' }),
    })],
    [`${PLAIN}:3`, payload({
      sourceId: 'b13c4d5e-6f70-4128-9d9e-b5c6d7e8f96a', provider: 'aws-bedrock', model: 'anthropic.claude-3-haiku-20240307-v1:0', status: 'success',
      inputTokens: 27, outputTokens: 2, cachedInputTokens: 0, cacheWriteTokens: 0, createdAt: '2025-09-12T15:02:09Z', metadata: meta('InvokeModel', { stopReason: 'end_turn' }),
    })],
    [`${CW}:1`, payload({
      sourceId: 'c24d5e6f-7081-4239-8eaf-c6d7e8f90a7b', provider: 'aws-bedrock', model: 'eu.anthropic.claude-3-7-sonnet-20250219-v1:0', status: 'success',
      inputTokens: 3100, outputTokens: 145, latencyMs: 3020, createdAt: '2025-09-12T16:20:45Z',
      metadata: { operation: 'Converse', region: 'eu-west-1', stopReason: 'end_turn' },
    })],
  ];

  test('every record has its exact outcome', async () => {
    const records = (await Promise.all(FILES.map(loadRecords))).flat();
    expect(records).toHaveLength(14);
    const { results } = runAdapter(adapter, records);
    expect(results.map((r) => [`${r.record.file.split('/').pop()}:${r.record.line}`, r.outcome])).toEqual(expected);
    // No body text, IAM identity, account id or caller metadata is copied.
    expectNoContent(results, [...contentTexts(records), 'assumed-role', '111122223333', 'support-bot-prod', 'reply-drafts', 'Pager hums at three', 's3://']);
  });

  test('the .json.gz fixture is the committed source, gzipped (scripts/make-fixtures.mjs)', () => {
    const source = readFileSync(join(FIXTURES, '..', 'scripts', 'fixture-src', 'bedrock-20250912T1400Z.jsonl'));
    expect(gunzipSync(readFileSync(join(HOURS, '14', GZ))).equals(source)).toBe(true);
  });

  test('rejects.jsonl: precise reasons', async () => {
    const { results } = runAdapter(adapter, await loadRecords(join(DIR, 'rejects.jsonl')));
    expect(results.map((r) => [r.record.line, r.outcome])).toEqual([
      [1, rejected('requestId is missing: not a Bedrock model invocation log record')],
      [2, rejected('modelId is missing')],
      [3, rejected('input.inputTokenCount is a string, not a token count')],
      [4, rejected('schemaType is not "ModelInvocationLog": not a Bedrock model invocation log record')],
      [5, rejected('output is a string, not an object')],
    ]);
  });

  test('model ids from ARNs', () => {
    expect(modelFromId('anthropic.claude-3-haiku-20240307-v1:0')).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    expect(modelFromId('arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0')).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    expect(modelFromId('arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0')).toBe('us.anthropic.claude-sonnet-4-20250514-v1:0');
    expect(modelFromId('arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0')).toBe('anthropic.claude-3-5-sonnet-20240620-v1:0');
    expect(modelFromId('arn:aws:bedrock:us-east-1:111122223333:provisioned-model/a1b2c3d4e5f6')).toBe('provisioned-model/a1b2c3d4e5f6');
  });

  test('sniff and file filter', async () => {
    const [first] = await loadRecords(FILES[1]!);
    expect(adapter.sniff!(first!)).toBe(true);
    expect(adapter.sniff!({ value: { custom_id: 'x', response: null }, file: 'x', line: 1 })).toBe(false);
    expect(adapter.fileFilter!.test(GZ)).toBe(true);
    expect(adapter.fileFilter!.test(PLAIN)).toBe(true);
    expect(adapter.fileFilter!.test('amazon-bedrock-logs-permission-check')).toBe(false);
  });
});
