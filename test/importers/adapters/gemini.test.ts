import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adapter } from '../../../src/importers/adapters/gemini.js';
import { FIXTURES, runCli } from '../../helpers/cli.js';
import { contentTexts, expectNoContent, loadRecords, payload, rejected, runAdapter, skipped } from './harness.js';

const DIR = join(FIXTURES, 'import', 'gemini');

describe('gemini: Vertex AI batch prediction output', () => {
  test('every line has its exact outcome', async () => {
    const records = await loadRecords(join(DIR, 'vertex', 'predictions.jsonl'));
    const { results } = runAdapter(adapter, records);
    const o = results.map((r) => r.outcome);
    // No id in the row: derived from processed_time + the request (stable across runs).
    expect(o[0]).toEqual(payload({
      sourceId: expect.stringMatching(/^vertex:[0-9a-f]{24}$/) as unknown as string, provider: 'google', model: 'gemini-2.0-flash-001@default', status: 'success',
      inputTokens: 29180, outputTokens: 36, createdAt: '2024-11-01T18:13:16.826+00:00',
      metadata: { platform: 'vertex-ai', stopReason: 'STOP', sourceIdDerived: true },
    }));
    // A non-empty status is the row's error; the code comes from the JSON inside it.
    expect(o[1]).toEqual(payload({
      sourceId: expect.stringMatching(/^vertex:/) as unknown as string, provider: 'google', model: 'unknown', status: 'error', errorCode: 'INVALID_ARGUMENT', partialReason: 'request_failed',
      createdAt: '2025-07-09T19:57:43.558+00:00', metadata: { platform: 'vertex-ai', sourceIdDerived: true },
    }));
    // A response without usageMetadata: partial; the request label names it.
    expect(o[2]).toEqual(payload({
      sourceId: expect.stringMatching(/^vertex:request-1:/) as unknown as string, provider: 'google', model: 'gemini-2.0-flash-001@default', status: 'success', partialReason: 'usage_missing',
      createdAt: '2024-11-01T18:13:16.826+00:00', requestKey: 'request-1', metadata: { platform: 'vertex-ai', key: 'request-1', sourceIdDerived: true },
    }));
    expectNoContent(results, contentTexts(records));
  });
});

describe('gemini: Gemini API batch output and logged responses', () => {
  test('batch lines: key identifies them; usage without candidates or a finish is partial; errors keep their code', async () => {
    const { results } = runAdapter(adapter, await loadRecords(join(DIR, 'batch-output.jsonl')));
    expect(results.map((r) => r.outcome)).toEqual([
      payload({ sourceId: 'key:request-1', provider: 'google', model: 'gemini-2.5-flash-lite', status: 'success', inputTokens: 9, partialReason: 'usage_missing', requestKey: 'request-1', metadata: { platform: 'gemini-api', key: 'request-1' } }),
      payload({ sourceId: 'key:request-2', provider: 'google', model: 'unknown', status: 'error', errorCode: '3', partialReason: 'request_failed', requestKey: 'request-2', metadata: { platform: 'gemini-api', key: 'request-2' } }),
    ]);
  });

  test('output = candidates + thoughts; a stream is one payload from its final chunk', async () => {
    const { byPosition } = runAdapter(adapter, await loadRecords(join(DIR, 'generate-content.jsonl')));
    const call = (id: string) => payload({
      sourceId: id, provider: 'google', model: 'gemini-3-flash', status: 'success', inputTokens: 900, outputTokens: 350, cachedInputTokens: 512, reasoningTokens: 150,
      metadata: { platform: 'gemini-api', responseId: id, stopReason: 'STOP' },
    });
    expect(byPosition.get('generate-content.jsonl:1')).toEqual(call('gen_sp1'));
    for (const n of [2, 3, 4]) expect(byPosition.get(`generate-content.jsonl:${n}`)).toEqual(skipped('duplicate_copy'));
    expect(byPosition.get('generate-content.jsonl:5')).toEqual(call('gen_sp2'));
  });

  test('a stream that never finished: input known, output not final (partial)', async () => {
    const records = (await loadRecords(join(DIR, 'generate-content.jsonl'))).slice(1, 3);
    const { results } = runAdapter(adapter, records);
    expect(results.map((r) => [r.record.line, r.outcome])).toEqual([
      [2, skipped('duplicate_copy')],
      [3, payload({ sourceId: 'gen_sp2', provider: 'google', model: 'gemini-3-flash', status: 'success', inputTokens: 900, cachedInputTokens: 512, partialReason: 'usage_missing', metadata: { platform: 'gemini-api', responseId: 'gen_sp2' } })],
    ]);
  });

  test('rejects.jsonl: precise reasons', async () => {
    const { results } = runAdapter(adapter, await loadRecords(join(DIR, 'rejects.jsonl')));
    expect(results.map((r) => [r.record.line, r.outcome])).toEqual([
      [1, rejected('line is a string, not a Gemini or Vertex AI output line')],
      [2, rejected('this is a batch request line (key/request): import the batch output file')],
      [3, rejected('an API error body with no id or model: nothing to attribute it to')],
      [4, rejected('response.usageMetadata.promptTokenCount is a negative number, not a token count')],
      [5, rejected('no candidates, usageMetadata or modelVersion: not a Gemini or Vertex AI output line')],
    ]);
  });
});

describe('opsmeter import --from gemini (built CLI)', () => {
  test('exact counts and sums, the Vertex model mapped, validate clean, --from auto agrees', async () => {
    const paths = ['vertex/predictions.jsonl', 'batch-output.jsonl', 'generate-content.jsonl'].map((f) => join('fixtures', 'import', 'gemini', f));
    const r = await runCli(['import', '--from', 'gemini', ...paths]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('read 10 = complete 3 + partial 4 + skipped 3 + rejected 0 ✔');
    expect(r.stderr).toContain('tokens: input 30,989 (cached 1,024, cache write 0) · output 736 (reasoning 300)');
    const p = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(p[0]).toMatchObject({ provider: 'google', model: 'gemini-2-0-flash-001', metadata: { loggedModel: 'gemini-2.0-flash-001@default' } });
    const v = await runCli(['validate', '-', '--format', 'json'], { input: r.stdout });
    expect(JSON.parse(v.stdout).summary).toMatchObject({ records: 7, errors: 0 });
    const again = await runCli(['import', '--from', 'gemini', ...paths]);
    expect(again.stdout).toBe(r.stdout);
    const auto = await runCli(['import', ...paths]);
    expect(auto.stderr).toContain('--from auto chose gemini');
    expect(auto.stdout).toBe(r.stdout);
  });

  test('a totalTokenCount other than the sum of the parts is reported, not silently dropped', async () => {
    // The Vertex docs' row (its total agrees: 29,180 + 36 = 29,216) and a mutated copy whose
    // total also counts 84 tokens the parts do not: the payload keeps the billed parts.
    const real = readFileSync(join(DIR, 'vertex', 'predictions.jsonl'), 'utf8').split('\n')[0]!;
    const mutated = real.replace('"totalTokenCount": 29216', '"totalTokenCount": 29300').replace('2024-11-01T18:13:16.826', '2024-11-01T18:14:00.000');
    expect(mutated).not.toBe(real);
    const r = await runCli(['import', '--from', 'gemini', '-', '--stdin-filename', 'predictions.jsonl'], { input: `${real}\n${mutated}\n` });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('read 2 = complete 2 + partial 0 + skipped 0 + rejected 0 ✔');
    expect(r.stderr).toContain(
      '⚠ 1 Gemini response states a totalTokenCount other than promptTokenCount + toolUsePromptTokenCount + candidatesTokenCount + thoughtsTokenCount: their payloads carry that sum (the billed parts), metadata.loggedTotalTokens the stated total',
    );
    const [a, b] = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(a).toMatchObject({ inputTokens: 29180, outputTokens: 36, totalTokens: 29216 });
    expect(a.metadata.loggedTotalTokens).toBeUndefined();
    expect(b).toMatchObject({ inputTokens: 29180, outputTokens: 36, totalTokens: 29216, metadata: { loggedTotalTokens: 29300 } });
    const v = await runCli(['validate', '-', '--format', 'json'], { input: r.stdout });
    expect(JSON.parse(v.stdout).summary).toMatchObject({ records: 2, errors: 0 });
  });
});
