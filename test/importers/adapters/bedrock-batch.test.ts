/**
 * Bedrock batch inference output (`<job id>/<input>.jsonl.out`) through the built CLI: the AWS
 * docs' own example (a Titan line and an error line), a real Claude line, the job manifest, and
 * Converse / Meta Llama lines wrapped around recorded Bedrock responses (fixtures/import/SOURCES.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';

const DIR = 'fixtures/import/bedrock/batch';
const DOCS = `${DIR}/aws-docs/input.jsonl.out`;
const CLAUDE = `${DIR}/claude/meta_Appliances_0.jsonl.out`;
const MANIFEST = `${DIR}/aws-docs/manifest.json.out`;
const CONVERSE = `${DIR}/converse/nova-lite-converse.jsonl.out`;
const CACHE = `${DIR}/converse/claude-sonnet-4-5-cache.jsonl.out`;
const NOVA_CACHE = `${DIR}/converse/nova-lite-cache-write.jsonl.out`;
const LLAMA = `${DIR}/llama/llama3-1-70b.jsonl.out`;
const LLAMA_DOCS = `${DIR}/llama/aws-distillation-example.jsonl.out`;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'opsmeter-bedrock-batch-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const lines = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** The payloads validate cleanly. */
async function expectValid(payloads: string): Promise<void> {
  const v = await runCli(['validate', '-', '--format', 'json'], { input: payloads });
  expect(v.code).toBe(0);
}

/** `--from auto` on the same arguments (without any `--from`) chooses bedrock and writes the same payloads. */
async function expectAutoAgrees(args: string[], payloads: string): Promise<void> {
  const auto = await runCli(['import', ...args.filter((a, i) => a !== '--from' && args[i - 1] !== '--from')]);
  expect(auto.stderr).toContain('--from auto chose bedrock');
  expect(auto.stdout).toBe(payloads);
}

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
    await expectValid(r.stdout);
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
    await expectAutoAgrees([CONVERSE, '--model', 'amazon.nova-lite-v1:0', '--batch-id', 'job0001nova'], r.stdout);
  });

  it('Converse lines with cache counts (recorded Claude Sonnet 4.5 calls): cache writes and reads are added to the input, Bedrock\'s own totalTokens agrees', async () => {
    const args = [CACHE, '--from', 'bedrock', '--model', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', '--batch-id', 'job0003cache'];
    const r = await importIt(args);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({
      read: 3,
      complete: 3,
      partial: { total: 0 },
      skipped: { total: 0 },
      rejected: { total: 0 },
      invariantHolds: true,
      tokens: { inputTokens: 4165, outputTokens: 15, cachedInputTokens: 2826, cacheWriteTokens: 1322 },
    });
    const model = 'anthropic.claude-sonnet-4-5-20250929-v1:0'; // the `us.` inference-profile prefix is kept as loggedModel
    const common = { provider: 'aws-bedrock', model, status: 'success', outputTokens: 5 };
    const [write, read, read2] = r.payloads;
    // inputTokens 2 (uncached) + cacheWriteInputTokens 1322; the body's totalTokens is 1329
    expect(write).toMatchObject({ ...common, inputTokens: 1324, totalTokens: 1329, latencyMs: 2023 });
    expect(write.metadata).toEqual({
      source: 'bedrock',
      recordId: 'CACHE000001',
      batchId: 'job0003cache',
      batch: true,
      stopReason: 'end_turn',
      cachedInputTokens: 0,
      cacheWriteTokens: 1322,
      loggedModel: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    });
    // the same prompt again: read from the cache (the twin cacheReadInputTokenCount is not added twice)
    expect(read).toMatchObject({ ...common, inputTokens: 1324, totalTokens: 1329, latencyMs: 1990 });
    expect(read.metadata).toMatchObject({ recordId: 'CACHE000002', cachedInputTokens: 1322, cacheWriteTokens: 0 });
    expect(read2).toMatchObject({ ...common, inputTokens: 1517, totalTokens: 1522, latencyMs: 2014 });
    expect(read2.metadata).toMatchObject({ recordId: 'CACHE000003', cachedInputTokens: 1504, cacheWriteTokens: 0 });
    for (const p of r.payloads) expect(p.metadata.partialReason).toBeUndefined();
    expect(new Set(r.payloads.map((p) => p.externalRequestId)).size).toBe(3);
    // Priced at AWS's regional price for Sonnet 4.5 (a `us.` profile: 10 % above `global.`, as the
    // price source has it): 17 uncached × $3.30 + 1,322 written × $4.125 + 2,826 read × $0.33 + 15 out × $16.50 per MTok.
    // --summary-json keeps full precision (it rounded to 6 decimals, 0.006689, before issue 23).
    expect(r.summary.models[0].estimatedUsd).toBeCloseTo((17 * 3.3 + 1322 * 4.125 + 2826 * 0.33 + 15 * 16.5) / 1e6, 12);
    await expectValid(r.stdout);
    await expectAutoAgrees(args, r.stdout);
  });

  it('the same calls through the global inference profile are priced at the global price, 10 % below the regional one', async () => {
    const r = await importIt([CACHE, '--from', 'bedrock', '--model', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', '--batch-id', 'job0003cache']);
    expect(r.code).toBe(0);
    expect(r.summary.models[0]).toMatchObject({ model: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', known: true });
    // 17 × $3 + 1,322 × $3.75 + 2,826 × $0.30 + 15 × $15 per MTok
    expect(r.summary.models[0].estimatedUsd).toBeCloseTo((17 * 3 + 1322 * 3.75 + 2826 * 0.3 + 15 * 15) / 1e6, 12);
  });

  it('a Nova Lite Converse line with a cache write (a recorded call): the same reading as Claude\'s', async () => {
    const r = await importIt([NOVA_CACHE, '--from', 'bedrock', '--model', 'us.amazon.nova-lite-v1:0', '--batch-id', 'job0005nova']);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({ read: 1, complete: 1, invariantHolds: true, tokens: { inputTokens: 1308, outputTokens: 2, cachedInputTokens: 0, cacheWriteTokens: 1298 } });
    // inputTokens 10 (uncached) + 1298 written; Bedrock's totalTokens is 1310
    expect(r.payloads).toEqual([
      {
        externalRequestId: expect.stringMatching(/^ext_[0-9a-f]{24}$/),
        provider: 'aws-bedrock',
        model: 'us.amazon.nova-lite-v1:0', // the catalog lists the inference profile itself
        inputTokens: 1308,
        outputTokens: 2,
        totalTokens: 1310,
        latencyMs: 797,
        status: 'success',
        dataMode: 'real',
        environment: 'prod',
        metadata: {
          source: 'bedrock',
          recordId: 'NOVACACHE01',
          batchId: 'job0005nova',
          batch: true,
          stopReason: 'end_turn',
          cachedInputTokens: 0,
          cacheWriteTokens: 1298,
        },
      },
    ]);
    await expectValid(r.stdout);
  });

  it('Meta Llama lines (recorded Llama 3.1 70B calls, and the AWS distillation guide\'s record): prompt_token_count / generation_token_count, stop_reason', async () => {
    const args = [LLAMA_DOCS, LLAMA, '--from', 'bedrock', '--model', 'meta.llama3-1-70b-instruct-v1:0', '--batch-id', 'job0004llama'];
    const r = await importIt(args);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({
      read: 3,
      complete: 3,
      partial: { total: 0 },
      skipped: { total: 0 },
      rejected: { total: 0 },
      invariantHolds: true,
      tokens: { inputTokens: 25, outputTokens: 32, cachedInputTokens: 0, cacheWriteTokens: 0 },
    });
    const common = { provider: 'aws-bedrock', model: 'meta.llama3-1-70b-instruct-v1:0', status: 'success' };
    const [docs, a, b] = r.payloads;
    expect(docs).toMatchObject({ ...common, inputTokens: 15, outputTokens: 12, totalTokens: 27 });
    expect(docs.metadata).toEqual({ source: 'bedrock', recordId: 'SUDAN000001', batchId: 'job0004llama', batch: true, stopReason: 'stop' });
    // cut off at max_gen_len 10: still a complete, billed call; the stop reason says why it ended
    expect(a).toMatchObject({ ...common, inputTokens: 5, outputTokens: 10, totalTokens: 15 });
    expect(a.metadata).toEqual({ source: 'bedrock', recordId: 'LLAMA310001', batchId: 'job0004llama', batch: true, stopReason: 'length' });
    expect(b).toMatchObject({ ...common, inputTokens: 5, outputTokens: 10, totalTokens: 15, metadata: { recordId: 'LLAMA310002', stopReason: 'length' } });
    for (const p of r.payloads) expect(p.latencyMs).toBeUndefined(); // InvokeModel bodies carry no latency
    await expectValid(r.stdout);
    await expectAutoAgrees(args, r.stdout);
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
    expect(lines(named.stdout)).toHaveLength(11);
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
