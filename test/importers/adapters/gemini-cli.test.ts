import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapter } from '../../../src/importers/adapters/gemini-cli.js';
import { adapter as claudeCode } from '../../../src/importers/adapters/claude-code.js';
import { adapter as codex } from '../../../src/importers/adapters/codex.js';
import type { RecordOutcome, SourceRecord } from '../../../src/importers/types.js';
import { FIXTURES, runCli } from '../../helpers/cli.js';
import { contentTexts, expectNoContent, loadRecords, payload, rejected, runAdapterInOrder, unpackRecords } from './harness.js';

const PROJECT = '9e2f41c7d8b05a36e1f4c2d9a7b8e3f0c6d1a4b5e8f7c2d3a9b0e1f4c5d6a7b8';
const CHATS = join(FIXTURES, 'import', 'gemini-cli', 'tmp', PROJECT, 'chats');
const JSON_SESSION = join(CHATS, 'session-2025-10-18T14-57-7f3a9c1e.json');
const JSONL_SESSION = join(CHATS, 'session-2026-06-02T09-15-4c1d2e3f.jsonl');
const SUBAGENT = join(CHATS, '4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', '8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1b.jsonl');

/** The records the pipeline reads: the JSON layout's messages one by one (arrayMember), a checkpoint's messages unpacked. */
async function sessionRecords(path: string): Promise<SourceRecord[]> {
  const records = await loadRecords(path);
  return unpackRecords(adapter, records);
}

const outcomes = async (path: string): Promise<[number, RecordOutcome][]> => runAdapterInOrder(adapter, await sessionRecords(path)).map((r) => [r.record.line, r.outcome]);

describe('gemini-cli: the JSON layout (session-*.json)', () => {
  test('each gemini message is one call: input = input + tool, output = output + thoughts, cached inside input', async () => {
    const [, call1, call2, , , call3, noTokens] = (await outcomes(JSON_SESSION)).map(([, o]) => o);
    expect(call1).toEqual(
      payload({
        sourceId: '9cea53d4-c143-4bd1-bde2-7294e27deb9d',
        provider: 'google',
        model: 'gemini-2.5-pro',
        status: 'success',
        inputTokens: 8396,
        outputTokens: 44, // 20 + 24 thoughts
        cachedInputTokens: 0,
        reasoningTokens: 24,
        createdAt: '2025-10-18T14:57:31.684Z',
      }),
    );
    expect(call2).toMatchObject({ kind: 'payload', draft: { inputTokens: 8612, outputTokens: 15, cachedInputTokens: 8000 } }); // 8500 + 112 tool
    expect(call3).toMatchObject({ kind: 'payload', draft: { model: 'gemini-2.5-flash', inputTokens: 9120, outputTokens: 228, reasoningTokens: 187 } });
    expect(noTokens).toEqual(payload({ sourceId: 'd6f0b2a8-3c5e-4f71-9b8d-2e4a6c8f0b37', provider: 'google', model: 'gemini-2.5-flash', status: 'success', partialReason: 'usage_missing', createdAt: '2025-10-18T14:59:07.161Z' }));
  });

  test('user and info messages are not requests; the document\'s total states agree with the parts', async () => {
    const all = await outcomes(JSON_SESSION);
    expect(all.map(([, o]) => (o.kind === 'payload' ? 'call' : o.kind === 'skip' ? o.reason : o.reason))).toEqual(['not_a_request', 'call', 'call', 'not_a_request', 'not_a_request', 'call', 'call']);
    expect(all.some(([, o]) => o.kind === 'payload' && o.draft.metadata?.loggedTotalTokens !== undefined)).toBe(false);
  });
});

describe('gemini-cli: the JSONL layout (what the CLI appends as a session goes)', () => {
  test('a message written again (tokens, then tool calls, then a checkpoint) is one call, at its first version with tokens; a rewound call still counts', async () => {
    const all = await outcomes(JSONL_SESSION);
    expect(all.map(([line, o]) => [line, o.kind === 'payload' ? o.draft.sourceId : o.kind === 'skip' ? o.reason : o.reason])).toEqual([
      [1, 'not_a_request'], // the metadata line
      [2, 'not_a_request'],
      [3, 'not_a_request'], // $set
      [4, 'duplicate_copy'], // the first version, before its tokens came
      [5, 'not_a_request'],
      [6, '1c2d3e4f-5a6b-4c7d-9e8f-0a1b2c3d4e52'], // with its tokens
      [7, 'duplicate_copy'], // with its tool calls
      [8, '2d3e4f5a-6b7c-4d8e-8f9a-1b2c3d4e5f63'], // later rewound ($rewindTo at line 11): billed all the same
      [9, 'not_a_request'],
      [10, 'not_a_request'], // a warning
      [11, 'not_a_request'], // $rewindTo
      [12, 'not_a_request'],
      [13, '5a6b7c8d-9e0f-4a1b-9c2d-4e5f6a7b8c96'],
      [14, 'not_a_request'],
      [15, '6b7c8d9e-0f1a-4b2c-8d3e-5f6a7b8c9d07'], // all-zero tokens: not measured
      [16, 'not_a_request'], // the checkpoint's messages: user…
      [16, 'duplicate_copy'], // …the first call again
      [16, 'not_a_request'],
      [16, 'duplicate_copy'],
    ]);
    const drafts = all.flatMap(([, o]) => (o.kind === 'payload' ? [o.draft] : []));
    expect(drafts.map((d) => [d.inputTokens, d.outputTokens, d.cachedInputTokens, d.reasoningTokens, d.partialReason, d.metadata?.sessionId])).toEqual([
      [12043, 347, 10240, 311, undefined, '4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f'],
      [14497, 1360, 12032, 958, undefined, '4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f'], // 13310 + 1187 tool; 402 + 958 thoughts
      [14102, 228, 13056, 140, undefined, '4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f'],
      [undefined, undefined, undefined, undefined, 'usage_missing', '4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f'],
    ]);
  });

  test('a subagent\'s session is a session of its own', async () => {
    const all = await outcomes(SUBAGENT);
    expect(all.map(([, o]) => o.kind)).toEqual(['skip', 'skip', 'payload']);
    expect(all[2]![1]).toMatchObject({ kind: 'payload', draft: { model: 'gemini-2.5-flash', inputTokens: 4210, outputTokens: 85, metadata: { sessionId: '8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1b' } } });
  });

  test('copies are settled per file; a stated total that disagrees is kept in metadata; bad lines are rejected', () => {
    const message = (tokens: unknown) => ({ id: 'm1', timestamp: '2026-06-02T09:15:14.090Z', type: 'gemini', content: [], model: 'gemini-2.5-pro', tokens });
    const results = runAdapterInOrder(adapter, [
      { value: message({ input: 10, output: 5, cached: 0, thoughts: 0, tool: 0, total: 99 }), file: 'a.jsonl', line: 1 },
      { value: message({ input: 10, output: 5, cached: 0, thoughts: 0, tool: 0, total: 99 }), file: 'b.jsonl', line: 1 }, // another file: not this file's copy (the run's id index tells copies across files)
      { value: message({ input: -1 }), file: 'b.jsonl', line: 2 },
      { value: { type: 'model' }, file: 'b.jsonl', line: 3 },
      { value: 'text', file: 'b.jsonl', line: 4 },
      { value: { hello: 1 }, file: 'b.jsonl', line: 5 },
    ]);
    expect(results.map((r) => r.outcome)).toEqual([
      payload({ sourceId: 'm1', provider: 'google', model: 'gemini-2.5-pro', status: 'success', inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, reasoningTokens: 0, createdAt: '2026-06-02T09:15:14.090Z', metadata: { loggedTotalTokens: 99 } }),
      payload({ sourceId: 'm1', provider: 'google', model: 'gemini-2.5-pro', status: 'success', inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, reasoningTokens: 0, createdAt: '2026-06-02T09:15:14.090Z', metadata: { loggedTotalTokens: 99 } }),
      rejected('tokens.input is a negative number, not a token count'),
      rejected('type "model" is not a Gemini CLI message type'),
      rejected('line is a string, not a Gemini CLI session record'),
      rejected('neither a message ({id, type}) nor session metadata: not a Gemini CLI session record'),
    ]);
  });

  test('no prompt, answer, thought or tool content is copied', async () => {
    const records = [...(await loadRecords(JSON_SESSION)), ...(await loadRecords(JSONL_SESSION))];
    const results = runAdapterInOrder(adapter, unpackRecords(adapter, records));
    expectNoContent(results, ['List the files in the current directory', 'Analyzing Directory Structure', '/home/dev/src/acme-billing', 'roundInvoiceTotal', ...contentTexts(records)]);
  });

  test('sniff: metadata lines, whole documents, message lines, logs.json; not the other coding agents\' lines', async () => {
    const [meta, user] = await loadRecords(JSONL_SESSION);
    expect(adapter.sniff!(meta!)).toBe(true);
    expect(adapter.sniff!(user!)).toBe(true);
    const [doc] = await loadRecords(JSON_SESSION); // read whole, as the sniff's peek does
    expect(adapter.sniff!(doc!)).toBe(true);
    expect(adapter.sniff!({ value: { messages: [(doc!.value as { messages: unknown[] }).messages[0]] }, file: 'x', line: 1 })).toBe(true); // a document cut by the peek
    const [prompt] = await loadRecords(join(CHATS, '..', 'logs.json'));
    expect(adapter.sniff!(prompt!)).toBe(true);
    for (const r of [meta!, user!, doc!]) expect(claudeCode.sniff!(r) || codex.sniff!(r)).toBe(false);
    const claude = await loadRecords(join(FIXTURES, 'import', 'claude-code', 'projects', '-home-dev-src-acme-billing', '7c1e9b04-2d3a-4f6e-8a5b-9c0d1e2f3a4b.jsonl'));
    expect(claude.some((r) => adapter.sniff!(r))).toBe(false);
    expect(['session-2025-10-18T14-57-7f3a9c1e.json', 'session-2026-06-02T09-15-4c1d2e3f.jsonl', '8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1b.jsonl'].every((f) => adapter.fileFilter!.test(f))).toBe(true);
    expect(['logs.json', 'settings.json', 'checkpoint-a.json'].some((f) => adapter.fileFilter!.test(f))).toBe(false);
  });
});

describe('opsmeter import --from gemini-cli (built CLI)', () => {
  const DIR = join('fixtures', 'import', 'gemini-cli');

  test('a ~/.gemini/tmp folder: exact counts and sums, validate clean, auto agrees (logs.json beside the chats is not read)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsmeter-gemini-cli-'));
    try {
      const summaryFile = join(dir, 'summary.json');
      const out = join(dir, 'out.jsonl');
      const r = await runCli(['import', '--from', 'gemini-cli', DIR, '--summary-json', summaryFile, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
      expect(summary).toMatchObject({
        read: 29,
        complete: 7,
        partial: { total: 2, byReason: { usage_missing: 2 } },
        skipped: { total: 20, byReason: { not_a_request: 16, duplicate_copy: 4 } },
        rejected: { total: 0 },
        invariantHolds: true,
        tokens: { inputTokens: 70980, outputTokens: 2307, cachedInputTokens: 51776, cacheWriteTokens: 0, reasoningTokens: 1686 },
      });
      expect(summary.files.map((f: { file: string }) => f.file.split('/').pop())).toEqual(['8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1b.jsonl', 'session-2025-10-18T14-57-7f3a9c1e.json', 'session-2026-06-02T09-15-4c1d2e3f.jsonl']);
      // Biggest estimate first (the summary's order since issue 24).
      expect(summary.models.map((m: { provider: string; model: string }) => `${m.provider}/${m.model}`)).toEqual(['google/gemini-3-pro-preview', 'google/gemini-2-5-pro', 'google/gemini-2-5-flash']);
      const estimates = summary.models.map((m: { estimatedUsd: number }) => m.estimatedUsd);
      expect(estimates).toEqual([...estimates].sort((a: number, b: number) => b - a));
      const payloads = readFileSync(out, 'utf8');
      const v = await runCli(['validate', '-', '--format', 'json'], { input: payloads });
      expect(JSON.parse(v.stdout).summary).toMatchObject({ records: 9, errors: 0 });
      const auto = await runCli(['import', DIR, '-o', join(dir, 'auto.jsonl')]);
      expect(auto.stderr).toContain('--from auto chose gemini-cli');
      expect(readFileSync(join(dir, 'auto.jsonl'), 'utf8')).toBe(payloads);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a session document larger than --from auto\'s peek is recognised and streamed message by message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsmeter-gemini-cli-'));
    try {
      const doc = JSON.parse(readFileSync(JSON_SESSION, 'utf8'));
      // A tool's output of 400 KB in the first answer: the head (256 KB) ends inside it.
      doc.messages[1].toolCalls[0].result[0].functionResponse.response.output = 'x'.repeat(400_000);
      const file = join(dir, 'session-2025-10-18T14-57-7f3a9c1e.json');
      writeFileSync(file, JSON.stringify(doc, null, 2));
      const r = await runCli(['import', file]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('--from auto chose gemini-cli');
      expect(r.stdout.trim().split('\n')).toHaveLength(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
