import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { adapter } from '../../../src/importers/adapters/otel.js';
import { adapter as openaiLog } from '../../../src/importers/adapters/openai-log.js';
import { adapter as codex } from '../../../src/importers/adapters/codex.js';
import { nanosToMillis, SpanInContext, spanParts } from '../../../src/importers/readers/otlp.js';
import type { RecordOutcome, Result, SourceRecord } from '../../../src/importers/types.js';
import { FIXTURES, runCli } from '../../helpers/cli.js';
import { contentTexts, expectNoContent, loadRecords, payload, rejected, skipped } from './harness.js';

const DIR = join(FIXTURES, 'import', 'otel');

/** The records the pipeline makes of a file: each container's spans (Adapter.unpack), at the container's line. */
async function spanRecords(path: string): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for (const r of await loadRecords(path)) {
    const parts = adapter.unpack!(r.value);
    if (parts) for (const p of parts) out.push({ value: p.value, file: r.file, line: r.line });
    else out.push(r);
  }
  return out;
}

/**
 * Each record through one converter, as the pipeline does (the harness's runAdapter tells records
 * apart by file and line, and the spans of a document share its line): every record comes back
 * once, itself, at once (the adapter is independent).
 */
function convertAll(records: SourceRecord[]): Result[] {
  const converter = adapter.create({ map: {} });
  const results = records.flatMap((r) => {
    const out = converter.push(r);
    expect(out).toHaveLength(1);
    expect(out[0]!.record).toBe(r);
    return out;
  });
  expect(converter.finish()).toEqual([]);
  return results;
}

const outcomes = (records: SourceRecord[]): RecordOutcome[] => convertAll(records).map((r) => r.outcome);

const span = (attributes: Record<string, unknown>, extra: Record<string, unknown> = {}): SourceRecord => ({
  value: new SpanInContext(undefined, undefined, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    name: 'x',
    startTimeUnixNano: '1789898400000000000',
    endTimeUnixNano: '1789898400250000000',
    attributes: Object.entries(attributes).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: v } : { stringValue: v } })),
    ...extra,
  }),
  file: 'x.jsonl',
  line: 1,
});

describe('otel: a real OpenLLMetry capture (OTLP/HTTP JSON body, pretty-printed)', () => {
  test('the workflow span is skipped; the chat span is one payload with the conventions\' counts', async () => {
    const records = await spanRecords(join(DIR, 'openllmetry', 'in.json'));
    expect(records).toHaveLength(2);
    expect(outcomes(records)).toEqual([
      payload({
        sourceId: 'chatcmpl-CD8yqQ2y3kZs1o0Wm7bT',
        provider: 'openai',
        model: 'gpt-4o-mini-2024-07-18',
        status: 'success',
        // input_tokens includes the cached 256 (the conventions' definition): not added again; reasoning is inside the output
        inputTokens: 412,
        outputTokens: 27,
        cachedInputTokens: 256,
        reasoningTokens: 8,
        latencyMs: 26, // 1788789263812545000 → 1788789263838423000 ns: 25.878 ms
        createdAt: 1788789263812,
        endpointTag: 'capture',
        metadata: {
          serviceName: 'capture',
          traceId: '77d66be22a4ffc8149309684b3a319f7',
          spanId: '76a26812b532f640',
          operation: 'chat',
          requestModel: 'gpt-4o-mini',
          stopReason: 'tool_call',
        },
      }),
      skipped('agent_or_tool_span'), // support_triage.workflow (traceloop.span.kind workflow)
    ]);
  });

  test('no prompt, completion or tool content is copied', async () => {
    const records = await loadRecords(join(DIR, 'openllmetry', 'in.json'));
    const results = convertAll(await spanRecords(join(DIR, 'openllmetry', 'in.json')));
    const texts = ['Where is order A-1187?', 'You are a support agent', 'lookup_order', 'call_9RtYbK2mXqLp', ...contentTexts(records)];
    expectNoContent(results, texts);
  });
});

describe('otel: a Collector file export (one document per line) of an agent with nested model calls', () => {
  test('every span has its outcome; the agent\'s summed usage is not counted again', async () => {
    const records = await spanRecords(join(DIR, 'collector', 'traces.jsonl'));
    const results = convertAll(records);
    expect(results.map((r) => [r.record.line, r.outcome.kind === 'payload' ? r.outcome.draft.sourceId : r.outcome.kind === 'skip' ? r.outcome.reason : r.outcome.reason])).toEqual([
      [1, 'chatcmpl-CGf2hX9Qv1mL0sTzR8wK3nPbYd4A'],
      [1, 'agent_or_tool_span'], // execute_tool lookup_order
      [1, 'chatcmpl-CGf2jK4Lw7sP2vQyN5xH8tCeZa9B'],
      [1, 'not_a_request'], // the HTTP client span under the first call
      [2, 'agent_or_tool_span'], // invoke_agent support-triage: 2550 in / 122 out, the two calls' sum
      [2, 'msg_01XFDUDYJgAACzvnptvVoYEL'],
      [2, '5b8efff798038103d269b633813fc60c:eee19b7ec3c1b175'], // no response id: the span's own
      [2, '5b8efff798038103d269b633813fc60c:eee19b7ec3c1b176'],
      [3, '3UgWaeSVBPKo1dkP0pXrmAg'],
      [4, 'an OTLP logs document (resourceLogs), not traces: export the traces (resourceSpans)'],
    ]);
    const drafts = results.flatMap((r) => (r.outcome.kind === 'payload' ? [r.outcome.draft] : []));
    expect(drafts.map((d) => [d.provider, d.model, d.status, d.errorCode, d.inputTokens, d.outputTokens, d.cachedInputTokens, d.cacheWriteTokens, d.reasoningTokens, d.partialReason])).toEqual([
      ['openai', 'gpt-4o-mini-2024-07-18', 'success', undefined, 1200, 80, 1024, undefined, undefined, undefined],
      ['openai', 'gpt-4o-mini-2024-07-18', 'success', undefined, 1350, 42, 1280, undefined, undefined, undefined], // intValue as a number
      // the older names (gen_ai.system, prompt_tokens, completion_tokens, cache_*_input_tokens); the
      // cache counts exceed the input, so it was the uncached input: they are added (5 + 2048 + 512)
      ['anthropic', 'claude-sonnet-4-5-20250929', 'success', undefined, 2565, 310, 2048, 512, undefined, undefined],
      ['anthropic', 'claude-sonnet-4-5', 'error', 'rate_limit_error', undefined, undefined, undefined, undefined, undefined, 'request_failed'],
      ['openai', 'text-embedding-3-small', 'success', undefined, 37, 0, undefined, undefined, undefined, undefined], // embeddings: no output
      // reasoning (455) above the output count (18) cannot be inside it: added
      ['google', 'gemini-2.5-flash', 'success', undefined, 731, 473, undefined, undefined, 455, undefined],
    ]);
    expect(drafts.map((d) => [d.endpointTag, d.latencyMs, d.createdAt])).toEqual([
      ['support-bot', 1620, 1789898400120],
      ['support-bot', 840, 1789898401820],
      ['support-bot', 4210, 1789898405000],
      ['support-bot', 180, 1789898409300],
      ['support-bot', 120, 1789898409500],
      [undefined, 3400, 1789898412000], // service.name unknown_service:node is the SDK's placeholder: no endpoint
    ]);
    expect(drafts[2]!.metadata).toMatchObject({ cacheAddedToInput: true });
    expect(drafts[5]!.metadata).toMatchObject({ platform: 'vertex-ai', reasoningAddedToOutput: true, serviceName: 'unknown_service:node' });
    // The two model calls of the agent, once each: the agent span's 2550/122 is their sum.
    expect(drafts.slice(0, 2).reduce((s, d) => s + d.inputTokens!, 0)).toBe(2550);
    expect(drafts.slice(0, 2).reduce((s, d) => s + d.outputTokens!, 0)).toBe(122);
  });
});

describe('otel: which spans are model calls', () => {
  test.each([
    [{ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' }, 'payload'],
    [{ 'gen_ai.operation.name': 'text_completion', 'gen_ai.request.model': 'gpt-3.5-turbo-instruct' }, 'payload'],
    [{ 'gen_ai.operation.name': 'generate_content', 'gen_ai.request.model': 'gemini-2.5-pro' }, 'payload'],
    [{ 'gen_ai.operation.name': 'acompletion', 'gen_ai.request.model': 'gpt-4o' }, 'payload'], // LiteLLM's spelling
    [{ 'gen_ai.operation.name': 'image_generation', 'gen_ai.request.model': 'gpt-image-1' }, 'payload'], // another operation that names a model
    [{ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5 }, 'agent_or_tool_span'],
    [{ 'gen_ai.operation.name': 'create_agent', 'gen_ai.request.model': 'gpt-4o' }, 'agent_or_tool_span'],
    [{ 'gen_ai.operation.name': 'invoke_workflow' }, 'agent_or_tool_span'],
    [{ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' }, 'agent_or_tool_span'],
    [{ 'gen_ai.operation.name': 'retrieval', 'gen_ai.data_source.id': 'H7STPQYOND' }, 'not_a_request'],
    [{ 'gen_ai.operation.name': 'something_new' }, 'not_a_request'],
    // No operation: an agent's own attributes, or usage with no model (a total), are not calls…
    [{ 'gen_ai.agent.name': 'Math Tutor', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 900 }, 'agent_or_tool_span'],
    [{ 'gen_ai.usage.input_tokens': 900, 'gen_ai.usage.output_tokens': 60 }, 'agent_or_tool_span'],
    [{ 'traceloop.span.kind': 'agent', 'gen_ai.system': 'openai' }, 'agent_or_tool_span'],
    // …a span that names a model is (the Vercel AI SDK's doGenerate spans carry no operation name)
    [{ 'gen_ai.system': 'openai.chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 412, 'gen_ai.usage.output_tokens': 27 }, 'payload'],
    [{ 'gen_ai.system': 'openai' }, 'not_a_request'],
    [{ 'http.request.method': 'POST' }, 'not_a_request'],
  ])('%j → %s', (attributes, kind) => {
    const [o] = outcomes([span(attributes)]);
    expect(o!.kind === 'skip' ? o!.reason : o!.kind).toBe(kind);
  });

  test('providers: the conventions\' names, the older gen_ai.system values and the Vercel AI SDK\'s <provider>.<api>', () => {
    const providerOf = (value: string) => {
      const [o] = outcomes([span({ 'gen_ai.provider.name': value, 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' })]);
      return o!.kind === 'payload' ? o!.draft.provider : o!.kind;
    };
    expect(['openai', 'aws.bedrock', 'azure.ai.openai', 'az.ai.openai', 'gcp.gemini', 'gcp.vertex_ai', 'mistral_ai', 'x_ai', 'OpenAI', 'anthropic.messages', 'google.generative-ai', 'bedrock', 'together_ai', 'cohere'].map(providerOf)).toEqual([
      'openai', 'aws-bedrock', 'azure-openai', 'azure-openai', 'google', 'google', 'mistral', 'xai', 'openai', 'anthropic', 'google', 'aws-bedrock', 'together', 'cohere',
    ]);
    const [none] = outcomes([span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 1, 'gen_ai.usage.output_tokens': 1 })]);
    expect(none).toMatchObject({ kind: 'payload', draft: { provider: 'unknown', metadata: { providerMissing: true } } });
  });

  test('gen_ai.provider.name wins over gen_ai.system; gen_ai.response.model over gen_ai.request.model', () => {
    const [o] = outcomes([span({ 'gen_ai.provider.name': 'azure.ai.openai', 'gen_ai.system': 'openai', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-2024-11-20' })]);
    expect(o).toMatchObject({ kind: 'payload', draft: { provider: 'azure-openai', model: 'gpt-4o-2024-11-20', metadata: { requestModel: 'gpt-4o' } } });
  });

  test('an error status without usage is partial with its error.type; without error.type the code is "error"; zero usage on a failure is not measured', () => {
    const base = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' };
    const rs = outcomes([
      span({ ...base, 'error.type': 'timeout' }),
      span(base, { status: { code: 2, message: 'boom' } }),
      span({ ...base, 'gen_ai.usage.input_tokens': 0, 'gen_ai.usage.output_tokens': 0 }, { status: { code: 'STATUS_CODE_ERROR' } }),
      span({ ...base, 'gen_ai.usage.input_tokens': 10 }), // no output count: partial, input kept
    ]);
    expect(rs.map((o) => (o.kind === 'payload' ? [o.draft.status, o.draft.errorCode, o.draft.partialReason, o.draft.inputTokens] : o.kind))).toEqual([
      ['error', 'timeout', 'request_failed', undefined],
      ['error', 'error', 'request_failed', undefined],
      ['error', 'error', 'not_measured', undefined],
      ['success', undefined, 'usage_missing', 10],
    ]);
  });

  test('a stated total other than input + output is kept in metadata, not as the total', () => {
    const [o] = outcomes([span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 20, 'gen_ai.usage.total_tokens': 150 })]);
    expect(o).toMatchObject({ kind: 'payload', draft: { inputTokens: 100, outputTokens: 20, metadata: { loggedTotalTokens: 150 } } });
    expect((o as { draft: object }).draft).not.toHaveProperty('totalTokens');
  });
});

describe('otel: encodings and bad input', () => {
  test('intValue as a string or a number; nanoseconds past a double\'s precision; scopes under their pre-1.0 name', () => {
    expect(nanosToMillis('1789898400123456789')).toBe(1789898400123);
    expect(nanosToMillis(1789898400123456789)).toBe(1789898400123);
    expect(nanosToMillis('0')).toBeUndefined();
    const doc = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'old-collector' } }] },
          instrumentationLibrarySpans: [{ instrumentationLibrary: { name: 'legacy' }, spans: [{ traceId: 't', spanId: 's', name: 'chat', attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }, { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } }, { key: 'gen_ai.usage.input_tokens', value: { intValue: 7 } }, { key: 'gen_ai.usage.output_tokens', value: { intValue: '3' } }] }] }],
        },
      ],
    };
    const parts = spanParts(doc)!;
    expect(parts.map((p) => p.pointer)).toEqual(['/resourceSpans/0/instrumentationLibrarySpans/0/spans/0']);
    const [o] = outcomes([{ value: parts[0]!.value, file: 'x', line: 1 }]);
    expect(o).toMatchObject({ kind: 'payload', draft: { inputTokens: 7, outputTokens: 3, endpointTag: 'old-collector' } });
  });

  test('a file of bare spans (one per line) is read too', () => {
    const bare = { traceId: 't1', spanId: 's1', name: 'chat gpt-4o', attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }, { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } }, { key: 'gen_ai.usage.input_tokens', value: { intValue: '5' } }, { key: 'gen_ai.usage.output_tokens', value: { intValue: '2' } }] };
    expect(adapter.sniff!({ value: bare, file: 'x', line: 1 })).toBe(true);
    expect(outcomes([{ value: bare, file: 'x', line: 1 }])[0]).toMatchObject({ kind: 'payload', draft: { sourceId: 't1:s1', inputTokens: 5, outputTokens: 2 } });
  });

  test('rejected: logs and metrics documents, other JSON, a span that is not an object, counts that are not counts, a span with no id', () => {
    const doc = { resourceSpans: [{ scopeSpans: [{ spans: ['a string'] }] }] };
    const parts = spanParts(doc)!;
    expect(
      outcomes([
        { value: { resourceLogs: [] }, file: 'x', line: 1 },
        { value: { resourceMetrics: [] }, file: 'x', line: 2 },
        { value: { hello: 'world' }, file: 'x', line: 3 },
        { value: parts[0]!.value, file: 'x', line: 4 },
        span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': '-5' }),
        span({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.usage.output_tokens': 1.5 }),
        { value: new SpanInContext(undefined, undefined, { name: 'chat', attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }, { key: 'gen_ai.request.model', value: { stringValue: 'm' } }] }), file: 'x', line: 7 },
      ]),
    ).toEqual([
      rejected('an OTLP logs document (resourceLogs), not traces: export the traces (resourceSpans)'),
      rejected('an OTLP metrics document (resourceMetrics), not traces: export the traces (resourceSpans)'),
      rejected('not an OTLP traces document ({"resourceSpans": …}) or span'),
      rejected('a span is a string, not an object'),
      rejected('attribute gen_ai.usage.input_tokens is a string, not a token count'),
      rejected('attribute gen_ai.usage.output_tokens is a fraction, not a token count'),
      rejected('the span has neither gen_ai.response.id nor traceId and spanId to identify it'),
    ]);
  });

  test('a document with no spans has no records; a logs document is not a container', () => {
    expect(spanParts({ resourceSpans: [] })).toEqual([]);
    expect(spanParts({ resourceLogs: [] })).toBeUndefined();
  });

  test('sniff: trace documents and GenAI spans; not the other formats\' lines', async () => {
    const [doc] = await loadRecords(join(DIR, 'collector', 'traces.jsonl'));
    expect(adapter.sniff!(doc!)).toBe(true);
    const others = [
      ...(await loadRecords(join(FIXTURES, 'import', 'openai-log', 'app-completions.jsonl'))),
      ...(await loadRecords(join(FIXTURES, 'import', 'codex', 'sessions', '2026', '02', '23', 'rollout-2026-02-23T13-19-38-019c8a70-dda7-7f33-98ea-f30553347322.jsonl'))),
    ];
    expect(others.some((r) => adapter.sniff!(r))).toBe(false);
    expect(openaiLog.sniff!(doc!) || codex.sniff!(doc!)).toBe(false);
  });
});

describe('opsmeter import --from otel (built CLI)', () => {
  const paths = [join('fixtures', 'import', 'otel', 'collector'), join('fixtures', 'import', 'otel', 'openllmetry')];

  test('a Collector export and an OTLP/HTTP body: exact counts and sums, the rejected line named, validate clean, auto and gzip agree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsmeter-otel-'));
    try {
      const summaryFile = join(dir, 'summary.json');
      const rejectsFile = join(dir, 'rejects.jsonl');
      const out = join(dir, 'out.jsonl');
      const r = await runCli(['import', '--from', 'otel', ...paths, '--summary-json', summaryFile, '--rejects', rejectsFile, '-o', out]);
      expect(r.code, r.stderr).toBe(1); // the logs document is rejected
      const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
      expect(summary).toMatchObject({
        read: 12,
        complete: 6,
        partial: { total: 1, byReason: { request_failed: 1 } },
        skipped: { total: 4, byReason: { agent_or_tool_span: 3, not_a_request: 1 } },
        rejected: { total: 1 },
        invariantHolds: true,
        tokens: { inputTokens: 6295, outputTokens: 932, cachedInputTokens: 4608, cacheWriteTokens: 512, reasoningTokens: 463 },
      });
      expect(summary.models.map((m: { provider: string; model: string }) => `${m.provider}/${m.model}`).sort()).toEqual([
        'anthropic/claude-sonnet-4-5',
        'anthropic/claude-sonnet-4-5-20250929',
        'google/gemini-2-5-flash',
        'openai/gpt-4o-mini-2024-07-18',
        'openai/text-embedding-3-small',
      ]);
      const rejects = readFileSync(rejectsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(rejects.map((x) => [x.file, x.line, x.reason])).toEqual([
        [join('fixtures', 'import', 'otel', 'collector', 'traces.jsonl'), 4, 'an OTLP logs document (resourceLogs), not traces: export the traces (resourceSpans)'],
      ]);
      const payloads = readFileSync(out, 'utf8');
      const v = await runCli(['validate', '-', '--format', 'json'], { input: payloads });
      expect(JSON.parse(v.stdout).summary).toMatchObject({ records: 7, errors: 0 });
      for (const text of ['Where is order A-1187?', 'lookup_order', 'api.openai.com']) expect(payloads).not.toContain(text);

      const auto = await runCli(['import', ...paths, '-o', join(dir, 'auto.jsonl')]);
      expect(auto.stderr).toContain('--from auto chose otel');
      expect(readFileSync(join(dir, 'auto.jsonl'), 'utf8')).toBe(payloads);

      const gz = join(dir, 'traces.jsonl.gz');
      writeFileSync(gz, gzipSync(readFileSync(join(paths[0]!, 'traces.jsonl'))));
      const gzipped = await runCli(['import', gz]);
      expect(gzipped.code).toBe(1);
      expect(gzipped.stdout).toBe(payloads.split('\n').slice(0, 6).join('\n') + '\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('in a pretty-printed document a bad span is rejected at its own line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsmeter-otel-'));
    try {
      const text = readFileSync(join(paths[1]!, 'in.json'), 'utf8');
      const bad = text.replace('"intValue": "27"', '"intValue": "-27"');
      expect(bad).not.toBe(text);
      const file = join(dir, 'body.json');
      writeFileSync(file, bad);
      const rejectsFile = join(dir, 'rejects.jsonl');
      const r = await runCli(['import', file, '--rejects', rejectsFile]);
      expect(r.code).toBe(1);
      const lines = text.split('\n');
      const spanLine = lines.findIndex((l) => l.includes('"traceId": "77d66be22a4ffc8149309684b3a319f7"')); // 0-based: the `{` above it is this line number
      const [reject] = readFileSync(rejectsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect([reject.line, reject.reason]).toEqual([spanLine, 'attribute gen_ai.usage.output_tokens is a string, not a token count']);
      expect(lines[spanLine - 1]!.trim()).toBe('{');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
