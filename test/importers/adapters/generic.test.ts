import { describe, expect, it } from 'vitest';
import { MapError, missingMappings, parseMap } from '../../../src/importers/adapters/generic.js';
import { parsePath, walk } from '../../../src/importers/readers/cells.js';
import { ext, importFixture } from '../helpers.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = { dataMode: 'real', environment: 'prod' } as const;

const CSV_MAP = parseMap([
  'externalRequestId=req_id',
  'createdAt=ts',
  'provider=vendor',
  'model=model_name',
  'status=http_status',
  'errorCode=err',
  'inputTokens=prompt',
  'outputTokens=completion',
  'cachedInputTokens=usage_json.cached',
  'cacheWriteTokens=$.usage_json.cache_write',
  'latencyMs=ms',
  'userId=who',
  'endpointTag=feature',
]);

describe('--map parsing', () => {
  it('parses field=source and names what is wrong', () => {
    expect(parseMap(['model=a.b', "provider='openai'"])).toEqual({ model: 'a.b', provider: "'openai'" });
    expect(() => parseMap(['tokens=x'])).toThrow(MapError);
    expect(() => parseMap(['model'])).toThrow(/expected payloadField=sourceColumnOrJsonPath/);
    expect(() => parseMap(['model=a', 'model=b'])).toThrow(/given twice/);
    expect(missingMappings({ model: 'm' })).toEqual(['provider', 'inputTokens', 'outputTokens']);
  });
});

describe('generic csv adapter', () => {
  it('maps columns and JSON paths into cells; status codes; epoch and zoned timestamps', async () => {
    const r = await importFixture('csv', ['csv/requests.csv'], { map: CSV_MAP });
    expect(r.payloads).toEqual([
      {
        externalRequestId: ext('csv', 'r-1001'),
        provider: 'openai',
        model: 'gpt-4o-mini',
        endpointTag: 'checkout.summary',
        inputTokens: 120,
        outputTokens: 40,
        totalTokens: 160,
        latencyMs: 812,
        status: 'success',
        userId: 'u-1',
        ...base,
        createdAt: '2026-03-01T12:00:00.000Z',
        metadata: { source: 'csv', cachedInputTokens: 64 },
      },
      {
        externalRequestId: ext('csv', 'r-1002'),
        provider: 'anthropic',
        model: 'claude-3-5-haiku-20241022',
        endpointTag: 'support.reply',
        inputTokens: 5000,
        outputTokens: 300,
        totalTokens: 5300,
        latencyMs: 2210,
        status: 'success',
        userId: 'u-2',
        ...base,
        createdAt: '2026-03-01T12:01:00.000Z',
        metadata: { source: 'csv', cachedInputTokens: 4096, cacheWriteTokens: 512 },
      },
      {
        externalRequestId: ext('csv', 'r-1003'),
        provider: 'openai',
        model: 'gpt-4o-mini',
        endpointTag: 'checkout.summary',
        latencyMs: 30000,
        status: 'error',
        errorCode: 'server_error',
        userId: 'u-1',
        ...base,
        createdAt: '2026-03-01T12:02:00.000Z',
        metadata: { source: 'csv', usageStatus: 'partial', partialReason: 'request_failed' },
      },
      {
        // output unknown: partial, the known input kept
        externalRequestId: ext('csv', 'r-1004'),
        provider: 'openai',
        model: 'gpt-4o-mini',
        inputTokens: 77,
        latencyMs: 640,
        status: 'success',
        userId: 'u-3',
        ...base,
        createdAt: '2026-03-01T10:03:00.000Z',
        metadata: { source: 'csv', usageStatus: 'partial', partialReason: 'usage_missing' },
      },
    ]);
    expect(r.rejects).toEqual([
      {
        file: 'csv/requests.csv',
        line: 6,
        reason: 'inputTokens (prompt) is "abc", not a non-negative whole number',
        raw: 'r-1005,2026-03-01T12:04:00Z,openai,gpt-4o-mini,200,,abc,10,,100,u-3,',
      },
    ]);
    expect(r.summary).toMatchObject({ read: 5, complete: 2, partial: { total: 2 }, rejected: { total: 1 }, invariantHolds: true });
  });

  it('a literal provider, and no id mapping: the row content is the id (stable across runs)', async () => {
    const map = parseMap(["provider='openai'", 'model=model_name', 'inputTokens=prompt', 'outputTokens=completion']);
    const a = await importFixture('csv', ['csv/requests.csv'], { map });
    const b = await importFixture('csv', ['csv/requests.csv'], { map });
    expect(a.payloads[0]).toMatchObject({ provider: 'openai', externalRequestId: ext('csv', 'row:r-1001,2026-03-01T12:00:00Z,openai,gpt-4o-mini,200,,120,40,"{""cached"": 64}",812,u-1,checkout.summary') });
    expect(a.text).toBe(b.text);
  });
});

describe('generic jsonl adapter', () => {
  it('maps JSON paths; never copies unmapped fields (prompt text); a broken line is rejected with its line', async () => {
    const map = parseMap([
      'externalRequestId=id',
      'createdAt=at',
      'provider=llm.vendor',
      'model=$.llm.model',
      'inputTokens=usage.prompt_tokens',
      'outputTokens=usage.completion_tokens',
      'cachedInputTokens=usage.prompt_tokens_details.cached_tokens',
      'status=ok',
      'errorCode=error',
      'latencyMs=latency_ms',
      'endpointTag=tags.feature',
      'environment=tags.env',
      'dataMode=tags.mode',
    ]);
    const r = await importFixture('jsonl', ['jsonl/requests.jsonl'], { map });
    expect(r.payloads).toEqual([
      {
        externalRequestId: ext('jsonl', 'j-1'),
        provider: 'openai',
        model: 'gpt-4o',
        endpointTag: 'search.answer',
        inputTokens: 300,
        outputTokens: 90,
        totalTokens: 390,
        latencyMs: 950,
        status: 'success',
        dataMode: 'test',
        environment: 'staging', // "Staging" in the source, lower-cased
        createdAt: '2026-03-01T12:00:00.123Z',
        metadata: { source: 'jsonl', cachedInputTokens: 128 },
      },
      {
        externalRequestId: ext('jsonl', 'j-2'),
        provider: 'openai',
        model: 'gpt-4o',
        endpointTag: 'search.answer',
        latencyMs: 30000,
        status: 'error',
        errorCode: 'timeout',
        ...base,
        createdAt: '2026-03-01T12:10:00.000Z',
        metadata: { source: 'jsonl', usageStatus: 'partial', partialReason: 'request_failed' },
      },
      {
        externalRequestId: ext('jsonl', 'j-3'),
        provider: 'openai',
        model: 'gpt-4o',
        inputTokens: 0,
        outputTokens: 0,
        totalTokens: 0,
        latencyMs: 5,
        status: 'success',
        ...base,
        createdAt: '2026-03-01T12:11:00.000Z',
        metadata: { source: 'jsonl' },
      },
    ]);
    expect(r.text).not.toContain('never copied');
    expect(r.rejects).toEqual([{ file: 'jsonl/requests.jsonl', line: 3, reason: expect.stringMatching(/^not valid JSON: .*\(column \d+\)$/), raw: '{"id":"j-broken","usage":{"prompt_tokens":1' }]);
    expect(r.summary).toMatchObject({ read: 4, complete: 2, partial: { total: 1 }, rejected: { total: 1 }, blankLines: 1, invariantHolds: true });
  });
});

describe('--map [key=NAME]: attributes looked up by key (OTLP spans, one per line)', () => {
  it('maps a JSONL of bare spans by their attribute keys, intValue as a string or a number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsmeter-map-keys-'));
    try {
      const attr = (key: string, value: Record<string, unknown>) => ({ key, value });
      const lines = [
        { traceId: 't1', spanId: 's1', name: 'chat gpt-4o', attributes: [attr('gen_ai.provider.name', { stringValue: 'openai' }), attr('gen_ai.request.model', { stringValue: 'gpt-4o' }), attr('gen_ai.usage.input_tokens', { intValue: '1200' }), attr('gen_ai.usage.output_tokens', { intValue: 80 })] },
        { traceId: 't1', spanId: 's2', name: 'chat gpt-4o', attributes: [attr('gen_ai.provider.name', { stringValue: 'openai' }), attr('gen_ai.request.model', { stringValue: 'gpt-4o' }), attr('gen_ai.usage.input_tokens', { stringValue: 'many' })] },
      ];
      const file = join(dir, 'spans.jsonl');
      writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      const map = parseMap([
        'externalRequestId=spanId',
        'provider=attributes[key=gen_ai.provider.name]',
        'model=$.attributes[key=gen_ai.request.model]',
        'inputTokens=attributes[key=gen_ai.usage.input_tokens]',
        'outputTokens=attributes[key=gen_ai.usage.output_tokens]',
      ]);
      const r = await importFixture('jsonl', [file], { map });
      expect(r.payloads.map((p) => [p.provider, p.model, p.inputTokens, p.outputTokens])).toEqual([['openai', 'gpt-4o', 1200, 80]]);
      expect(r.rejects.map((x) => x.reason)).toEqual(['inputTokens (attributes[key=gen_ai.usage.input_tokens]) is "many", not a non-negative whole number']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses the key with its dots as one segment, beside names and indexes', () => {
    expect(parsePath('resourceSpans[0].scopeSpans[0].spans[2].attributes[key=gen_ai.usage.input_tokens]')).toEqual([
      'resourceSpans', 0, 'scopeSpans', 0, 'spans', 2, 'attributes', { key: 'gen_ai.usage.input_tokens' },
    ]);
    expect(walk({ attributes: [{ key: 'a.b', value: { boolValue: false } }] }, parsePath('attributes[key=a.b]'))).toBe(false);
    expect(walk({ tags: [{ key: 'team', value: 'billing' }] }, parsePath('tags[key=team]'))).toBe('billing'); // a plain {key, value} list
    expect(walk({ attributes: [] }, parsePath('attributes[key=missing]'))).toBeUndefined();
  });
});
