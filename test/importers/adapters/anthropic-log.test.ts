import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { adapter } from '../../../src/importers/adapters/anthropic-log.js';
import { reasonGroup } from '../../../src/importers/import-summary.js';
import type { SourceRecord } from '../../../src/importers/types.js';
import { FIXTURES, runCli } from '../../helpers/cli.js';
import { contentTexts, expectNoContent, loadRecords, payload, rejected, runAdapter, skipped, type Outcomes } from './harness.js';

const DIR = join(FIXTURES, 'import', 'anthropic-log');
const S45 = 'claude-sonnet-4-5-20250929';

describe('anthropic-log: whole Message objects', () => {
  test('every line has its exact outcome', async () => {
    const records = await loadRecords(join(DIR, 'messages.jsonl'));
    const { results } = runAdapter(adapter, records);
    expect(results.map((r) => [`messages.jsonl:${r.record.line}`, r.outcome])).toEqual([
      // The API reference example: input 2095 + cache read 2051 + cache write 0 (the TTL
      // split, preferred over cache_creation_input_tokens when present, says 0 + 0).
      ['messages.jsonl:1', payload({
        sourceId: 'msg_013Zva2CMHLNnXjNJJKqJ2EF', provider: 'anthropic', model: S45, status: 'success', inputTokens: 4146, outputTokens: 503, cachedInputTokens: 2051, cacheWriteTokens: 0,
        metadata: { stopReason: 'end_turn', serviceTier: 'standard' },
      })],
      // An API error body with its request id: a failed request, no usage.
      ['messages.jsonl:2', payload({
        sourceId: 'req_011CSHoEeqs5C35K2UUqR7Fy', provider: 'anthropic', model: 'unknown', status: 'error', errorCode: 'not_found_error', partialReason: 'request_failed',
        metadata: { providerRequestId: 'req_011CSHoEeqs5C35K2UUqR7Fy' },
      })],
    ] satisfies Outcomes);
    expectNoContent(results, contentTexts(records));
  });

  test('the provider follows the message id: msg_bdrk_ is Bedrock, msg_vrtx_ is Vertex AI', () => {
    const at = (id: string): SourceRecord => ({ value: { type: 'message', id, model: 'claude-3-5-haiku-20241022', usage: { input_tokens: 1, output_tokens: 2 } }, file: 'x.jsonl', line: 1 });
    const providers = ['msg_bdrk_01Abc', 'msg_vrtx_01Abc', 'msg_01Abc'].map((id) => {
      const o = runAdapter(adapter, [at(id)]).results[0]!.outcome;
      return o.kind === 'payload' ? o.draft.provider : o.kind;
    });
    expect(providers).toEqual(['aws-bedrock', 'google', 'anthropic']);
  });
});

describe('anthropic-log: stream events', () => {
  test('one payload per stream, at its message_start: input from message_start, the final output from message_delta', async () => {
    const records = await loadRecords(join(DIR, 'stream-events.jsonl'));
    const { byPosition } = runAdapter(adapter, records);
    const at = (n: number) => byPosition.get(`stream-events.jsonl:${n}`);
    // The streaming guide's example: message_start says output 1 (a placeholder), message_delta 15.
    expect(at(1)).toEqual(payload({ sourceId: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY', provider: 'anthropic', model: S45, status: 'success', inputTokens: 25, outputTokens: 15, metadata: { stopReason: 'end_turn' } }));
    for (const n of [2, 3, 4, 5, 6, 8]) expect(at(n)).toEqual(skipped('not_a_request'));
    expect(at(7)).toEqual(skipped('duplicate_copy'));
    // cache fields null: caching was not used, the row is complete
    expect(at(9)).toEqual(payload({ sourceId: 'msg_container', provider: 'anthropic', model: S45, status: 'success', inputTokens: 17, outputTokens: 227, metadata: { stopReason: 'end_turn' } }));
    expect(at(10)).toEqual(skipped('duplicate_copy'));
    expect(at(11)).toEqual(skipped('not_a_request'));
    // An error event ends the stream: the request failed; its input was measured, its output not.
    expect(at(12)).toEqual(payload({ sourceId: 'msg_stream', provider: 'anthropic', model: 'claude-test', status: 'error', errorCode: 'overloaded_error', inputTokens: 8, partialReason: 'request_failed', metadata: { serviceTier: 'standard' } }));
    expect(at(13)).toEqual(skipped('not_a_request'));
  });

  test('a stream cut off before message_delta: the output is unknown (partial), not the placeholder', async () => {
    const [start] = await loadRecords(join(DIR, 'stream-events.jsonl'));
    const { results } = runAdapter(adapter, [start!]);
    expect(results[0]!.outcome).toEqual(payload({ sourceId: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY', provider: 'anthropic', model: S45, status: 'success', inputTokens: 25, partialReason: 'usage_missing' }));
  });

  test('rejects.jsonl: precise reasons', async () => {
    const { results } = runAdapter(adapter, await loadRecords(join(DIR, 'rejects.jsonl')));
    expect(results.map((r) => [r.record.line, r.outcome])).toEqual([
      [1, rejected('line is a number, not a Messages API response or stream event')],
      [2, rejected('no "type" field: not a Messages API response or stream event')],
      [3, rejected('message_delta without a message_start before it: its message is unknown')],
      [4, rejected('message.model is missing')],
      [5, rejected('usage.output_tokens is a negative number, not a token count')],
      [6, rejected('an API error body with no request_id: nothing to attribute it to')],
      [7, rejected('type "completion" is not a Messages API response or stream event')],
    ]);
  });
});

describe('summary reasons mask only the variable part', () => {
  test.each([
    ['no "object" field: not a Chat Completion or Response object', 'no "object" field: not a Chat Completion or Response object'],
    ['schemaType is not "ModelInvocationLog": not a Bedrock model invocation log record', 'schemaType is not "ModelInvocationLog": not a Bedrock model invocation log record'],
    ['object "list" is not a Chat Completion or Response', 'object "…" is not a Chat Completion or Response'],
    ['timestamp "2026-13-01" is not a date-time', 'timestamp "…" is not a date-time'],
    ['row has 3 cells, the header has 5', 'row has N cells, the header has N'],
  ])('%s', (reason, group) => expect(reasonGroup(reason)).toBe(group));
});

describe('opsmeter import --from anthropic-log (built CLI)', () => {
  test('exact counts and sums, validate clean, --from auto agrees', async () => {
    const paths = [join('fixtures', 'import', 'anthropic-log', 'messages.jsonl'), join('fixtures', 'import', 'anthropic-log', 'stream-events.jsonl')];
    const r = await runCli(['import', '--from', 'anthropic-log', ...paths]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('read 15 = complete 3 + partial 2 + skipped 10 + rejected 0 ✔');
    expect(r.stderr).toContain('tokens: input 4,196 (cached 2,051, cache write 0) · output 745 (reasoning 0)');
    const v = await runCli(['validate', '-', '--format', 'json'], { input: r.stdout });
    expect(JSON.parse(v.stdout).summary).toMatchObject({ records: 5, errors: 0 });
    const auto = await runCli(['import', ...paths]);
    expect(auto.stderr).toContain('--from auto chose anthropic-log');
    expect(auto.stdout).toBe(r.stdout);
    const bad = await runCli(['import', '--from', 'anthropic-log', join('fixtures', 'import', 'anthropic-log', 'rejects.jsonl')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('1 × no "type" field: not a Messages API response or stream event');
  });
});
