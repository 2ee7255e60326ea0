import { describe, expect, test } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapter } from '../../../src/importers/adapters/opencode.js';
import { adapter as claudeCode } from '../../../src/importers/adapters/claude-code.js';
import { adapter as geminiCli } from '../../../src/importers/adapters/gemini-cli.js';
import type { SourceRecord } from '../../../src/importers/types.js';
import { FIXTURES, runCli } from '../../helpers/cli.js';
import { contentTexts, expectNoContent, loadRecords, payload, rejected, runAdapter, skipped } from './harness.js';

const ROOT_DIR = join(FIXTURES, 'import', 'opencode');
const SESSION = join(ROOT_DIR, 'storage', 'message', 'ses_6b2f9e1a4ffeQ2bXk7Vd3tNcLw');

async function messages(): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for (const f of readdirSync(SESSION).sort()) out.push(...(await loadRecords(join(SESSION, f))));
  return out;
}

describe('opencode: message storage', () => {
  test('assistant messages are calls: input = input + cache read + cache write; reasoning inside the output except Google\'s', async () => {
    const { results } = runAdapter(adapter, await messages());
    const byFile = new Map(results.map((r) => [r.record.file.split('/').pop()!.replace('.json', ''), r.outcome]));
    expect(byFile.get('msg_9421c7d3e001LhKq2Rj5sVbW8X')).toEqual(skipped('not_a_request')); // the user's message
    expect(byFile.get('msg_9421c7d45002Tg6nP1xZcQ4mYe')).toEqual(
      payload({
        sourceId: 'msg_9421c7d45002Tg6nP1xZcQ4mYe',
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        status: 'success',
        inputTokens: 20300, // 12 + 18240 read + 2048 written
        outputTokens: 530,
        cachedInputTokens: 18240,
        cacheWriteTokens: 2048,
        reasoningTokens: 0,
        latencyMs: 9443,
        createdAt: 1788253200431,
        metadata: { sessionId: 'ses_6b2f9e1a4ffeQ2bXk7Vd3tNcLw', agent: 'build', stopReason: 'tool-calls', sourceCostUsd: 0.0169806 },
      }),
    );
    const drafts = results.flatMap((r) => (r.outcome.kind === 'payload' ? [r.outcome.draft] : []));
    expect(drafts.map((d) => [d.provider, d.model, d.status, d.errorCode, d.inputTokens, d.outputTokens, d.reasoningTokens, d.partialReason])).toEqual([
      ['anthropic', 'claude-sonnet-4-5', 'success', undefined, 20300, 530, 0, undefined],
      ['anthropic', 'claude-sonnet-4-5', 'success', undefined, 21495, 900, 220, undefined], // thinking inside the output
      ['google', 'gemini-2.5-pro', 'success', undefined, 5633, 350, 310, undefined], // Gemini's thoughts apart: 40 + 310
      ['openai', 'gpt-5', 'error', 'APIError', undefined, undefined, undefined, 'not_measured'], // a 429 with zero counts
      ['openai', 'gpt-5', 'success', undefined, 5370, 1178, 896, undefined], // 1274 + 4096 read; reasoning inside
      ['anthropic', 'claude-sonnet-4-5', 'success', undefined, 21649, 1342, 0, undefined], // a compaction summary: a call too
      ['anthropic', 'claude-sonnet-4-5', 'success', undefined, undefined, undefined, undefined, 'usage_missing'], // not completed, all zero
    ]);
    expect(drafts[2]!.metadata).toMatchObject({ agent: 'plan', reasoningAddedToOutput: true });
    expect(drafts[3]!.metadata).toMatchObject({ httpStatus: 429 });
    expect(drafts[5]!.metadata).toMatchObject({ summary: true });
  });

  test('session and part files are not requests; bad messages are rejected, saying why', async () => {
    const session = await loadRecords(join(ROOT_DIR, 'storage', 'session', '4a7c8d1e9f0b2a3c5d6e7f8091a2b3c4d5e6f708', 'ses_6b2f9e1a4ffeQ2bXk7Vd3tNcLw.json'));
    const part = await loadRecords(join(ROOT_DIR, 'storage', 'part', 'msg_9421c7d3e001LhKq2Rj5sVbW8X', 'prt_9421c7d3e0012mGh5Tn8Qw.json'));
    const bad = (value: unknown, line: number): SourceRecord => ({ value, file: 'bad.jsonl', line });
    const { results } = runAdapter(adapter, [
      ...session,
      ...part,
      bad({ role: 'assistant', providerID: 'openai', modelID: 'gpt-5', sessionID: 's', tokens: { input: 1, output: 1 } }, 1),
      bad({ id: 'msg_1', role: 'assistant', modelID: 'gpt-5', sessionID: 's', tokens: {} }, 2),
      bad({ id: 'msg_2', role: 'assistant', providerID: 'openai', modelID: 'gpt-5', sessionID: 's', tokens: { input: 1.5, output: 1 } }, 3),
      bad({ id: 'msg_3', role: 'system' }, 4),
      bad([1], 5),
    ]);
    expect(results.map((r) => r.outcome)).toEqual([
      skipped('not_a_request'),
      skipped('not_a_request'),
      rejected('id is missing (an export of opencode.db must add the row id to its data: docs/import-formats.md#opencode)'),
      rejected('providerID is missing on an assistant message'),
      rejected('tokens.input is a fraction, not a token count'),
      rejected('role "system" is not an OpenCode message role'),
      rejected('record is an array, not an OpenCode message'),
    ]);
  });

  test('no conversation content, paths or error messages are copied', async () => {
    const records = await messages();
    const { results } = runAdapter(adapter, records);
    expectNoContent(results, ['/home/dev/src/acme-billing', 'Rate limit reached for gpt-5', ...contentTexts(records)]);
  });

  test('sniff: messages, session and part files; not the other coding agents\' lines; fileFilter keeps message files and JSONL', async () => {
    const records = await messages();
    expect(records.every((r) => adapter.sniff!(r))).toBe(true);
    expect(records.some((r) => claudeCode.sniff!(r) || geminiCli.sniff!(r))).toBe(false);
    const claude = await loadRecords(join(FIXTURES, 'import', 'claude-code', 'projects', '-home-dev-src-acme-billing', '7c1e9b04-2d3a-4f6e-8a5b-9c0d1e2f3a4b.jsonl'));
    expect(claude.some((r) => adapter.sniff!(r))).toBe(false);
    expect(['msg_9421c7d45002Tg6nP1xZcQ4mYe.json', 'messages.jsonl'].every((f) => adapter.fileFilter!.test(f))).toBe(true);
    expect(['prt_9421c7d3e0012mGh5Tn8Qw.json', 'ses_6b2f9e1a4ffeQ2bXk7Vd3tNcLw.json', 'opencode.db'].some((f) => adapter.fileFilter!.test(f))).toBe(false);
  });
});

describe('opsmeter import --from opencode (built CLI)', () => {
  test('the storage folder: exact counts and sums, validate clean; with the database export the same messages are copies; auto agrees', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsmeter-opencode-'));
    try {
      const summaryFile = join(dir, 'summary.json');
      const out = join(dir, 'out.jsonl');
      const storage = join('fixtures', 'import', 'opencode', 'storage');
      const r = await runCli(['import', '--from', 'opencode', storage, '--summary-json', summaryFile, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(readFileSync(summaryFile, 'utf8'))).toMatchObject({
        read: 9, // message files only: the part and session files are not read
        complete: 5,
        partial: { total: 2, byReason: { not_measured: 1, usage_missing: 1 } },
        skipped: { total: 2, byReason: { not_a_request: 2 } },
        rejected: { total: 0 },
        invariantHolds: true,
        tokens: { inputTokens: 74447, outputTokens: 4300, cachedInputTokens: 42624, cacheWriteTokens: 24888, reasoningTokens: 1426 },
      });
      const payloads = readFileSync(out, 'utf8');
      const v = await runCli(['validate', '-', '--format', 'json'], { input: payloads });
      expect(JSON.parse(v.stdout).summary).toMatchObject({ records: 7, errors: 0 });

      const all = join('fixtures', 'import', 'opencode');
      const both = await runCli(['import', '--from', 'opencode', all, '--summary-json', summaryFile, '-o', join(dir, 'both.jsonl')]);
      expect(both.code, both.stderr).toBe(0);
      expect(JSON.parse(readFileSync(summaryFile, 'utf8'))).toMatchObject({ read: 12, complete: 6, skipped: { total: 4, byReason: { duplicate_copy: 2, not_a_request: 2 } } });
      const auto = await runCli(['import', all, '-o', join(dir, 'auto.jsonl')]);
      expect(auto.stderr).toContain('--from auto chose opencode');
      expect(readFileSync(join(dir, 'auto.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'both.jsonl'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
