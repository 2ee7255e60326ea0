import { describe, expect, test } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { adapter } from '../../../src/importers/adapters/claude-code.js';
import type { SourceRecord } from '../../../src/importers/types.js';
import { FIXTURES } from '../../helpers/cli.js';
import { contentTexts, expectNoContent, loadRecords, payload, rejected, runAdapter, skipped, type Outcomes } from './harness.js';

const ROOT_DIR = join(FIXTURES, 'import', 'claude-code');
const S1 = '2ff46cd5-f4e7-4724-bb20-579dae7956ea';
const S2 = '7c1e9b04-2d3a-4f6e-8a5b-9c0d1e2f3a4b';
const MAIN = `${S1}.jsonl`;
const SUB = 'agent-a3f9c1.jsonl';
const RESUMED = `${S2}.jsonl`;
const SONNET = 'claude-sonnet-4-5-20250929';
const HAIKU = 'claude-haiku-4-5-20251001';

/** The transcript files a directory import reads: fileFilter applied, sorted like paths are. */
function transcriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => adapter.fileFilter!.test(f))
    .map((f) => join(dir, f))
    .sort();
}

async function loadProjects(order: (files: string[]) => string[] = (f) => f): Promise<SourceRecord[]> {
  const records: SourceRecord[] = [];
  for (const f of order(transcriptFiles(join(ROOT_DIR, 'projects')))) records.push(...(await loadRecords(f)));
  return records;
}

const s1 = (extra: Record<string, string | number | boolean>) => ({ sessionId: S1, ...extra });

describe('claude-code: a projects directory (two sessions, a subagent file)', () => {
  // Skips and rejects come back at once, in order; responses are held until finish() and
  // released in first-seen order.
  const expected: Outcomes = [
    [`${MAIN}:1`, skipped('not_a_request')], // summary
    [`${MAIN}:2`, skipped('not_a_request')], // file-history-snapshot
    [`${MAIN}:3`, skipped('not_a_request')], // user prompt
    [`${MAIN}:4`, skipped('duplicate_copy')], // streaming snapshot (output 2), replaced by the larger line 5
    [`${MAIN}:6`, skipped('duplicate_copy')], // same response, tool_use block, same usage: first kept
    [`${MAIN}:7`, skipped('not_a_request')], // tool result
    [`${MAIN}:9`, skipped('not_a_request')], // system compact boundary
    [`${MAIN}:12`, skipped('not_a_request')], // <synthetic> "No response requested." — no API call
    [`${MAIN}:15`, skipped('duplicate_copy')], // no requestId: same message.id in the same session, smaller
    [`${MAIN}:19`, skipped('not_a_request')], // queue-operation
    [`${SUB}:1`, skipped('not_a_request')],
    [`${SUB}:2`, skipped('sidechain_replay')], // parent msg replayed under a new requestId
    [`${SUB}:3`, skipped('duplicate_copy')], // the subagent's own copy of the progress line's response
    [`${RESUMED}:1`, skipped('not_a_request')],
    [`${RESUMED}:2`, skipped('duplicate_copy')], // history copied into the resumed session
    [`${RESUMED}:3`, skipped('not_a_request')],
    // cache semantics as Anthropic: 3 + 2285 written + 22137 read
    [`${MAIN}:5`, payload({
      sourceId: 'req_011CTBq1xk8nYp2RcW3dVe4F', provider: 'anthropic', model: SONNET, status: 'success',
      inputTokens: 24425, outputTokens: 412, cachedInputTokens: 22137, cacheWriteTokens: 2285, createdAt: '2025-09-15T09:00:06.203Z',
      metadata: s1({ providerRequestId: 'req_011CTBq1xk8nYp2RcW3dVe4F', responseId: 'msg_015oRrxAaM8CuSF2MFET9J3i', stopReason: 'tool_use', serviceTier: 'standard' }),
    })],
    // cache write from the TTL split (1200 + 3000): 5 + 4200 + 24422
    [`${MAIN}:8`, payload({
      sourceId: 'req_011CTBq4Mz2pWq7EsX8fYg1H', provider: 'anthropic', model: SONNET, status: 'success',
      inputTokens: 28627, outputTokens: 890, cachedInputTokens: 24422, cacheWriteTokens: 4200, createdAt: '2025-09-15T09:00:14.930Z',
      metadata: s1({ providerRequestId: 'req_011CTBq4Mz2pWq7EsX8fYg1H', responseId: 'msg_01QxT7bVn3LkP9wR2sYz4AbC', stopReason: 'end_turn', serviceTier: 'standard' }),
    })],
    // cache_read_input_tokens null: no cache reads, the row is complete
    [`${MAIN}:10`, payload({
      sourceId: 'req_011CTBr2Nb3qXr8FtY9gZh2J', provider: 'anthropic', model: SONNET, status: 'success',
      inputTokens: 8, outputTokens: 57, cacheWriteTokens: 0, createdAt: '2025-09-15T09:05:09.447Z',
      metadata: s1({ providerRequestId: 'req_011CTBr2Nb3qXr8FtY9gZh2J', responseId: 'msg_01RyU8cWo4MlQ0xS3tZa5BcD', stopReason: 'end_turn', serviceTier: 'standard' }),
    })],
    // <synthetic> API error: failed, partial; its placeholder zeros are not a measurement
    [`${MAIN}:11`, payload({
      sourceId: '5d1f0a9b-8c2e-4b3d-9e4f-6a7b8c9d0e1f', provider: 'anthropic', model: 'unknown', status: 'error', errorCode: 'rate_limit',
      partialReason: 'request_failed', createdAt: '2025-09-15T09:06:30.118Z',
      metadata: s1({ responseId: '5d1f0a9b-8c2e-4b3d-9e4f-6a7b8c9d0e1f', httpStatus: 429 }),
    })],
    // fast mode is its own model id (as ccusage does)
    [`${MAIN}:13`, payload({
      sourceId: 'req_011CTBr9Pc4rYs9GuZ0hAi3K', provider: 'anthropic', model: 'claude-opus-4-6-fast', status: 'success',
      inputTokens: 31014, outputTokens: 233, cachedInputTokens: 31008, cacheWriteTokens: 0, createdAt: '2025-09-15T09:07:12.884Z',
      metadata: s1({ providerRequestId: 'req_011CTBr9Pc4rYs9GuZ0hAi3K', responseId: 'msg_01SzV9dXp5NmR1yT4uAb6CdE', stopReason: 'end_turn', serviceTier: 'standard', speed: 'fast' }),
    })],
    // a distinct sidechain response counts
    [`${MAIN}:14`, payload({
      sourceId: 'req_011CTBsAQd5sZt0HvA1iBj4L', provider: 'anthropic', model: HAIKU, status: 'success',
      inputTokens: 1204, outputTokens: 96, cachedInputTokens: 0, cacheWriteTokens: 0, createdAt: '2025-09-15T09:08:02.310Z',
      metadata: s1({ providerRequestId: 'req_011CTBsAQd5sZt0HvA1iBj4L', responseId: 'msg_01TaW0eYq6OnS2zU5vBc7DeF', stopReason: 'end_turn', serviceTier: 'standard', sidechain: true }),
    })],
    // no requestId (a proxy): identified by message.id
    [`${MAIN}:16`, payload({
      sourceId: 'msg_01UbX1fZr7PoT3aV6wCd8EfG', provider: 'anthropic', model: SONNET, status: 'success',
      inputTokens: 33124, outputTokens: 188, cachedInputTokens: 33120, cacheWriteTokens: 0, createdAt: '2025-09-15T09:09:43.702Z',
      metadata: s1({ responseId: 'msg_01UbX1fZr7PoT3aV6wCd8EfG', stopReason: 'tool_use', serviceTier: 'standard' }),
    })],
    [`${MAIN}:17`, payload({
      sourceId: 'req_011CTBsQRe6tAu1IwB2jCk5M', provider: 'anthropic', model: SONNET, status: 'success', partialReason: 'usage_missing',
      createdAt: '2025-09-15T09:10:05.219Z',
      metadata: s1({ providerRequestId: 'req_011CTBsQRe6tAu1IwB2jCk5M', responseId: 'msg_01VcY2gAs8QpU4bW7xDe9FgH', stopReason: 'end_turn' }),
    })],
    // an agent-progress line: the nested subagent response, counted once
    [`${MAIN}:18`, payload({
      sourceId: 'req_011CTBt1Sf7uBv2JxC3kDl6N', provider: 'anthropic', model: HAIKU, status: 'success',
      inputTokens: 9745, outputTokens: 141, cachedInputTokens: 8200, cacheWriteTokens: 1536, createdAt: '2025-09-15T09:11:20.640Z',
      metadata: s1({ providerRequestId: 'req_011CTBt1Sf7uBv2JxC3kDl6N', responseId: 'msg_01WdZ3hBt9RqV5cX8yEf0GhI', stopReason: 'tool_use', serviceTier: 'standard', sidechain: true }),
    })],
    [`${SUB}:4`, payload({
      sourceId: 'req_011CTBt4Tg8vCw3KyD4lEm7O', provider: 'anthropic', model: HAIKU, status: 'success',
      inputTokens: 9748, outputTokens: 64, cachedInputTokens: 9736, cacheWriteTokens: 0, createdAt: '2025-09-15T09:11:31.115Z',
      metadata: s1({ providerRequestId: 'req_011CTBt4Tg8vCw3KyD4lEm7O', responseId: 'msg_01XeA4iCu0SrW6dY9zFg1HiJ', stopReason: 'end_turn', serviceTier: 'standard', sidechain: true }),
    })],
    [`${RESUMED}:4`, payload({
      sourceId: 'req_011CTCa8Uh9wDx4LzE5mFn8P', provider: 'anthropic', model: SONNET, status: 'success',
      inputTokens: 27395, outputTokens: 302, cachedInputTokens: 26880, cacheWriteTokens: 512, createdAt: '2025-09-16T14:22:11.408Z',
      metadata: { sessionId: S2, providerRequestId: 'req_011CTCa8Uh9wDx4LzE5mFn8P', responseId: 'msg_01YfB5jDv1TsX7eZ0aGh2IjK', stopReason: 'end_turn', serviceTier: 'standard' },
    })],
  ];

  test('every line has its exact outcome', async () => {
    const records = await loadProjects();
    expect(records).toHaveLength(19 + 4 + 4);
    const { results } = runAdapter(adapter, records);
    expect(results.map((r) => [`${r.record.file.split('/').pop()}:${r.record.line}`, r.outcome])).toEqual(expected);
  });

  test('nothing of the conversation or the machine reaches the outcomes', async () => {
    const records = await loadProjects();
    const { results } = runAdapter(adapter, records);
    expectNoContent(results, [
      ...contentTexts(records),
      '/home/dev', 'acme-billing', 'feature/invoice-rounding', 'invoice.ts', 'banker', 'agent_progress',
    ]);
    // Held records (the payloads, released at finish) come back trimmed to ids and usage:
    // no message content is retained while the import runs.
    const held = results.filter((r) => r.outcome.kind === 'payload').map((r) => r.record.value);
    expect(held).toHaveLength(11);
    expect(JSON.stringify(held)).not.toMatch(/Math\.round|"content"|"cwd"/);
  });

  test('file order changes which equal copy is kept, never what is counted', async () => {
    const forward = runAdapter(adapter, await loadProjects()).results;
    const reversed = runAdapter(adapter, await loadProjects((f) => [...f].reverse())).results;
    const summary = (rs: typeof forward) => {
      const drafts = rs.flatMap((r) => (r.outcome.kind === 'payload' ? [r.outcome.draft] : []));
      const kinds = rs.map((r) => (r.outcome.kind === 'skip' ? r.outcome.reason : r.outcome.kind)).sort();
      return {
        kinds,
        sources: drafts.map((d) => d.sourceId).sort(),
        input: drafts.reduce((n, d) => n + (d.inputTokens ?? 0), 0),
        output: drafts.reduce((n, d) => n + (d.outputTokens ?? 0), 0),
      };
    };
    expect(summary(reversed)).toEqual(summary(forward));
  });

  test('a sidechain copy seen first is replaced by its parent when the parent arrives', () => {
    const line = (sidechain: boolean, requestId: string) => ({
      type: 'assistant', sessionId: S1, isSidechain: sidechain, requestId, uuid: `u-${requestId}`, timestamp: '2025-09-15T09:00:00Z',
      message: { id: 'msg_01Same', model: SONNET, usage: { input_tokens: 1, output_tokens: 5, cache_read_input_tokens: 100 } },
    });
    const records = [line(true, 'req_side'), line(false, 'req_parent')].map((value, i) => ({ value, file: 'x.jsonl', line: i + 1 }));
    const { results } = runAdapter(adapter, records);
    expect(results.map((r) => [r.record.line, r.outcome.kind === 'payload' ? r.outcome.draft.sourceId : r.outcome])).toEqual([
      [1, skipped('sidechain_replay')],
      [2, 'req_parent'],
    ]);
  });

  test('without a requestId, the same message.id in another session is another response', () => {
    const line = (sessionId: string) => ({
      type: 'assistant', sessionId, uuid: `u-${sessionId}`, timestamp: '2025-09-15T09:00:00Z',
      message: { id: 'msg_01Proxy', model: SONNET, usage: { input_tokens: 10, output_tokens: 5 } },
    });
    const records = [line('a'), line('b'), line('a')].map((value, i) => ({ value, file: 'x.jsonl', line: i + 1 }));
    const { results } = runAdapter(adapter, records);
    expect(results.map((r) => [r.record.line, r.outcome.kind])).toEqual([[3, 'skip'], [1, 'payload'], [2, 'payload']]);
  });
});

describe('claude-code: lines that cannot be interpreted', () => {
  test('rejects.jsonl', async () => {
    const { results } = runAdapter(adapter, await loadRecords(join(ROOT_DIR, 'rejects.jsonl')));
    expect(results.map((r) => [r.record.line, r.outcome])).toEqual([
      [1, rejected('message.model is missing on an assistant entry')],
      [2, rejected('line is a string, not a Claude Code transcript entry')],
      [3, rejected('message.usage.output_tokens is a string, not a token count')],
      [4, rejected('no requestId, message.id or uuid to identify the response')],
      [5, rejected('type is missing: not a Claude Code transcript entry')],
      [6, rejected('message is missing on an assistant entry')],
    ]);
  });

  test('sniff and file filter', async () => {
    const [first] = await loadRecords(transcriptFiles(join(ROOT_DIR, 'projects'))[0]!);
    expect(adapter.sniff!(first!)).toBe(true); // a summary line
    const [, , user] = await loadRecords(transcriptFiles(join(ROOT_DIR, 'projects'))[0]!);
    expect(adapter.sniff!(user!)).toBe(true);
    expect(adapter.sniff!({ value: { custom_id: 'x', result: {} }, file: 'x', line: 1 })).toBe(false);
    expect(adapter.fileFilter!.test('abc.jsonl')).toBe(true);
    expect(adapter.fileFilter!.test('settings.json')).toBe(false);
  });
});

describe('claude-code: subagents and files of other formats', () => {
  const inner = { type: 'assistant', sessionId: S1, uuid: 'sub-1', requestId: 'req_sub_1', timestamp: '2025-09-15T09:11:20.640Z', message: { id: 'msg_sub_1', model: 'claude-haiku-4-5-20251001', usage: { input_tokens: 10, output_tokens: 5 } } };
  test("a subagent response copied into the parent's agent_progress line stays a sidechain, and its own line is a plain copy", () => {
    const progress: SourceRecord = { value: { type: 'progress', sessionId: S1, uuid: 'p-1', isSidechain: false, data: { type: 'agent_progress', message: inner } }, file: MAIN, line: 1 };
    const own: SourceRecord = { value: { ...inner, isSidechain: true }, file: SUB, line: 1 };
    const { results } = runAdapter(adapter, [progress, own]);
    const kept = results.filter((r) => r.outcome.kind === 'payload');
    expect(kept).toHaveLength(1);
    expect((kept[0]!.outcome as { draft: { metadata: Record<string, unknown> } }).draft.metadata.sidechain).toBe(true);
    expect(results.find((r) => r.outcome.kind === 'skip')!.outcome).toEqual(skipped('duplicate_copy'));
  });

  test('a file with no Claude Code entries (a Codex rollout, a Messages object) has its rows rejected, saying so', async () => {
    const codex = await loadRecords(join(FIXTURES, 'import', 'codex', 'sessions', '2026', '02', '23', 'rollout-2026-02-23T13-19-38-019c8a70-dda7-7f33-98ea-f30553347322.jsonl'));
    const message = await loadRecords(join(FIXTURES, 'import', 'anthropic-log', 'messages.jsonl'));
    const { results } = runAdapter(adapter, [...codex, ...message.slice(0, 1)]);
    expect(results.every((r) => r.outcome.kind === 'reject')).toBe(true);
    expect(results[0]!.outcome).toEqual(rejected('type "session_meta" without uuid or sessionId: not a Claude Code transcript entry (a file of another format?)'));
    expect(results.at(-1)!.outcome).toEqual(rejected('type "message" without uuid or sessionId: not a Claude Code transcript entry (a file of another format?)'));
  });
});
