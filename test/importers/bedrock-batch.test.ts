/**
 * Bedrock batch inference output (`<job id>/<input>.jsonl.out`) through the built CLI: the AWS
 * docs' own example (a Titan line and an error line), a real Claude line, and the job manifest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const DIR = 'fixtures/import/bedrock/batch';
const DOCS = `${DIR}/aws-docs/input.jsonl.out`;
const CLAUDE = `${DIR}/claude/meta_Appliances_0.jsonl.out`;
const MANIFEST = `${DIR}/aws-docs/manifest.json.out`;
const CONVERSE = `${DIR}/converse/nova-lite-converse.jsonl.out`;
const LLAMA = `${DIR}/llama/llama3-70b.jsonl.out`;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'opsmeter-bedrock-batch-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const lines = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l));

async function importIt(args: string[]) {
  const summaryFile = join(tmp, `s${Math.random().toString(36).slice(2)}.json`);
  const r = await runCli(['import', ...args, '--summary-json', summaryFile]);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return { ...r, payloads: lines(r.stdout), summary: JSON.parse(readFileSync(summaryFile, 'utf8')) };
}

describe('bedrock: batch inference output', () => {
  it('reads every line: exact counts, tokens, ids, error lines partial; the invariant holds', async () => {
    const r = await importIt([DOCS, CLAUDE, MANIFEST, '--from', 'bedrock']);
    expect(r.code).toBe(0);
    const s = r.summary;
    expect(s.read).toBe(4);
    expect(s.complete).toBe(2);
    expect(s.partial.total).toBe(1);
    expect(s.skipped.total).toBe(1); // the manifest: job totals, not a request
    expect(s.rejected.total).toBe(0);
    expect(s.read).toBe(s.complete + s.partial.total + s.skipped.total + s.rejected.total);
    const [titan, failed, claude] = r.payloads;
    expect(titan).toMatchObject({ provider: 'aws-bedrock', model: 'unknown', status: 'success', inputTokens: 8, outputTokens: 3 });
    expect(titan.metadata).toMatchObject({ recordId: '3223593EFGH', batch: true, stopReason: 'FINISH' });
    expect(titan.metadata.partialReason).toBeUndefined();
    expect(failed).toMatchObject({ provider: 'aws-bedrock', model: 'unknown', status: 'error', errorCode: '400' });
    expect(failed.metadata).toMatchObject({ recordId: '1223213ABCD', partialReason: 'request_failed' });
    expect(failed.inputTokens).toBeUndefined();
    // Anthropic bodies name the model (Anthropic's name) and carry a global msg_bdrk_ id
    expect(claude).toMatchObject({ provider: 'aws-bedrock', model: 'claude-3-haiku-20240307', status: 'success', inputTokens: 111, outputTokens: 73 });
    expect(claude.metadata).toMatchObject({ responseId: 'msg_bdrk_018FaiigbPq6PehfhWM2GMBv', recordId: 'meta_Appliances_0_0', stopReason: 'stop_sequence' });
    expect(new Set(r.payloads.map((p) => p.externalRequestId)).size).toBe(3);
    const v = await runCli(['validate', '-', '--format', 'json'], { input: r.stdout });
    expect(v.code).toBe(0);
  });

  it('a Converse job line (a real Nova Lite Converse response): usage.inputTokens/outputTokens, metrics.latencyMs; the list price is said to overstate', async () => {
    const r = await importIt([CONVERSE, '--from', 'bedrock', '--model', 'amazon.nova-lite-v1:0', '--batch-id', 'job0001nova']);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({ read: 1, complete: 1, invariantHolds: true, tokens: { inputTokens: 4, outputTokens: 38, cachedInputTokens: 0, cacheWriteTokens: 0 } });
    expect(r.payloads).toEqual([
      {
        externalRequestId: expect.stringMatching(/^ext_[0-9a-f]{24}$/),
        provider: 'aws-bedrock',
        model: 'amazon.nova-lite-v1:0',
        inputTokens: 4,
        outputTokens: 38,
        totalTokens: 42,
        latencyMs: 302,
        status: 'success',
        dataMode: 'real',
        environment: 'prod',
        metadata: { source: 'bedrock', recordId: 'CONVERSE001', batchId: 'job0001nova', batch: true, stopReason: 'end_turn' },
      },
    ]);
    expect(r.summary.batchPricing).toBeNull();
    expect(r.summary.notes).toContain(
      '⚠ 1 Bedrock batch inference line is priced at the on-demand list price: AWS bills batch inference at a discount (50 % for the models that support it) that the price source does not know, so their estimate is too high (metadata.batch marks them)',
    );
    const auto = await runCli(['import', CONVERSE, '--model', 'amazon.nova-lite-v1:0', '--batch-id', 'job0001nova']);
    expect(auto.stderr).toContain('--from auto chose bedrock');
    expect(auto.stdout).toBe(r.stdout);
  });

  it('a Meta Llama line (AWS test data, not a recorded call): prompt_token_count / generation_token_count, stop_reason', async () => {
    const r = await importIt([LLAMA, '--from', 'bedrock', '--model', 'meta.llama3-70b-instruct-v1:0', '--batch-id', 'job0002llama']);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({ read: 1, complete: 1, tokens: { inputTokens: 2095, outputTokens: 503 } });
    expect(r.payloads[0]).toMatchObject({ model: 'meta.llama3-70b-instruct-v1:0', inputTokens: 2095, outputTokens: 503, totalTokens: 2598, metadata: { recordId: 'LLAMA000001', batch: true, stopReason: 'stop' } });
    expect(r.payloads[0].latencyMs).toBeUndefined();
  });

  it('--model names the job\'s model for every line; --batch-id scopes recordIds without a global id', async () => {
    const a = await importIt([DOCS, CLAUDE, '--from', 'bedrock', '--model', 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0']);
    expect(a.payloads.map((p) => p.model)).toEqual(Array(3).fill('anthropic.claude-3-haiku-20240307-v1:0'));
    expect(a.payloads[2].metadata.responseModel).toBe('claude-3-haiku-20240307');
    const b = await importIt([DOCS, '--from', 'bedrock', '--batch-id', 'abcd1234efgh']);
    const c = await importIt([DOCS, '--from', 'bedrock']);
    expect(b.payloads[0].externalRequestId).not.toBe(c.payloads[0].externalRequestId);
    expect(c.stderr).toMatch(/2 lines identified by recordId alone/);
    const wrong = await runCli(['import', DOCS, '--from', 'openai-batch', '--model', 'x']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--model applies to --from bedrock/);
  });

  it('--from auto picks bedrock for a job folder (the manifest is not listed) and agrees with --from bedrock', async () => {
    const named = await runCli(['import', DIR, '--from', 'bedrock']);
    const auto = await runCli(['import', DIR]);
    expect(auto.stderr).toContain('--from auto chose bedrock');
    expect(auto.stdout).toBe(named.stdout);
    expect(lines(named.stdout)).toHaveLength(5);
    const manifest = await runCli(['import', MANIFEST]);
    expect(manifest.code).toBe(2);
    expect(manifest.stderr).toMatch(/batch inference job manifest/);
  });

  it('an input line (no output, no error) is rejected with a clear word', async () => {
    const input = '{"recordId": "CALL0000001", "modelInput": {"inputText": "Hello"}}\n';
    const r = await runCli(['import', '-', '--from', 'bedrock', '--stdin-filename', 'x.jsonl.out'], { input });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/batch inference input line/);
  });
});

describe('bedrock batch: --hash-user-ids', () => {
  it('hashes the caller-chosen recordId in metadata like a batch custom_id', async () => {
    const r = await runCli(['import', DOCS, '--from', 'bedrock', '--hash-user-ids', 'salt']);
    const [titan] = lines(r.stdout);
    expect(titan.metadata.recordId).toMatch(/^u_[0-9a-f]{64}$/);
  });
});
