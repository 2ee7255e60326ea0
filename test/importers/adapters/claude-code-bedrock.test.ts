/** Claude Code run on AWS Bedrock (issue 23): the provider and model follow the message id, as anthropic-log's do. */
import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapter } from '../../../src/importers/adapters/claude-code.js';
import { FIXTURES, runCli } from '../../helpers/cli.js';
import { loadRecords, runAdapter, skipped } from './harness.js';

const DIR = join('fixtures', 'import', 'claude-code', 'bedrock', 'projects');
const FILE = join(FIXTURES, 'import', 'claude-code', 'bedrock', 'projects', '-home-dev-src-acme-billing', 'b3d1e7a2-6c4f-4e0b-9a8d-5f2c1e7b3a90.jsonl');

describe('claude-code on Bedrock', () => {
  test('msg_bdrk_ ids are aws-bedrock calls; an inference-profile ARN is reduced to its model id; streaming snapshots are one call', async () => {
    const { results } = runAdapter(adapter, await loadRecords(FILE));
    const byLine = new Map(results.map((r) => [r.record.line, r.outcome]));
    expect(byLine.get(1)).toEqual(skipped('not_a_request'));
    expect(byLine.get(2)).toEqual(skipped('duplicate_copy')); // the stream's snapshot (output 2) under the same message id
    const drafts = results.flatMap((r) => (r.outcome.kind === 'payload' ? [{ line: r.record.line, ...r.outcome.draft }] : []));
    expect(drafts.map((d) => [d.line, d.sourceId, d.provider, d.model, d.inputTokens, d.outputTokens, d.cachedInputTokens, d.cacheWriteTokens])).toEqual([
      [3, 'msg_bdrk_01QjKY4iZgTq69BYEKRD112G', 'aws-bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', 3 + 311 + 28530, 96, 28530, 311],
      [4, 'msg_bdrk_01TRwJeNivnr3Xs1x84gExCb', 'aws-bedrock', 'us.anthropic.claude-opus-4-1-20250805-v1:0', 1 + 1024 + 28841, 412, 28841, 1024],
      [5, 'msg_bdrk_014pifLTHsNZz6Lmtw1ywgDJ', 'aws-bedrock', 'converse/us.anthropic.claude-haiku-4-5-20251001-v1:0', 4982, 57, 0, 0],
    ]);
  });

  test('a msg_vrtx_ id is a Vertex AI call (google); other ids stay anthropic', () => {
    const line = (id: string, n: number) => ({
      value: { type: 'assistant', sessionId: 's', uuid: `u${n}`, requestId: `req_${n}`, message: { id, model: 'claude-sonnet-4-5@20250929', usage: { input_tokens: 1, output_tokens: 1 } } },
      file: 'x.jsonl',
      line: n,
    });
    const { results } = runAdapter(adapter, [line('msg_vrtx_01A', 1), line('msg_01B', 2)]);
    expect(results.map((r) => (r.outcome.kind === 'payload' ? r.outcome.draft.provider : r.outcome.kind))).toEqual(['google', 'anthropic']);
  });
});

describe('opsmeter import of a Claude Code on Bedrock folder (built CLI)', () => {
  test('every model maps to an aws-bedrock catalog id and is priced; auto agrees; validate clean', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsmeter-cc-bedrock-'));
    try {
      const summaryFile = join(dir, 'summary.json');
      const r = await runCli(['import', '--from', 'claude-code', DIR, '--summary-json', summaryFile, '-o', join(dir, 'out.jsonl')]);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
      expect(summary).toMatchObject({ read: 5, complete: 3, skipped: { total: 2 }, rejected: { total: 0 }, invariantHolds: true, unknownModels: { models: 0, payloads: 0 } });
      expect(summary.models.map((m: { provider: string; model: string }) => `${m.provider}/${m.model}`).sort()).toEqual([
        'aws-bedrock/anthropic.claude-haiku-4-5-20251001-v1:0', // converse/us.… → the route and region prefixes dropped
        'aws-bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0', // us.… → the region prefix dropped
        'aws-bedrock/us.anthropic.claude-opus-4-1-20250805-v1:0', // the catalog lists this inference profile itself
      ]);
      expect(summary.models.every((m: { estimatedUsd: number | null }) => typeof m.estimatedUsd === 'number' && m.estimatedUsd > 0)).toBe(true);
      const payloads = readFileSync(join(dir, 'out.jsonl'), 'utf8');
      expect(payloads).not.toContain('111122223333'); // the account in the ARN is not copied
      const v = await runCli(['validate', '-', '--format', 'json'], { input: payloads });
      expect(JSON.parse(v.stdout).summary).toMatchObject({ records: 3, errors: 0 });
      const auto = await runCli(['import', DIR]);
      expect(auto.stderr).toContain('--from auto chose claude-code');
      expect(auto.stdout).toBe(payloads);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
