/**
 * custom_id is unique only within one batch (OpenAI's examples use `request-1` in every
 * batch), so ids derived from it alone would make the server drop a second batch's rows as
 * duplicates. Two batches with overlapping custom_ids must give distinct externalRequestIds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchIds, batchIdFromName } from '../../src/importers/readers/batch-id.js';
import { runCli } from '../helpers/cli.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'opsmeter-batch-ids-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function write(dir: string, name: string, rows: unknown[]): string {
  mkdirSync(join(tmp, dir), { recursive: true });
  const file = join(tmp, dir, name);
  writeFileSync(file, jsonl(rows));
  return file;
}

const payloads = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { externalRequestId: string; metadata: Record<string, unknown> });

/** OpenAI batch output lines: `request-1`… in every batch, each line with its own batch_req id. */
const openaiLine = (batch: string, n: number) => ({
  id: `batch_req_${batch}${n}`,
  custom_id: `request-${n}`,
  response: {
    status_code: 200,
    request_id: `${batch}${n}`.padEnd(32, '0'),
    body: { id: `chatcmpl-${batch}${n}`, object: 'chat.completion', created: 1757683214, model: 'gpt-4o-mini-2024-07-18', usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 } },
  },
  error: null,
});
const openaiExpired = (batch: string, n: number) => ({
  id: `batch_req_${batch}x${n}`,
  custom_id: `request-${n}`,
  response: null,
  error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
});
/** Azure lines: no `id`; cancelled ones carry nothing but the custom_id. */
const azureOk = (uuid: string, n: number) => ({
  custom_id: `task-${n}`,
  response: { status_code: 200, request_id: uuid, body: { id: `chatcmpl-${uuid}`, created: 1726677619, model: 'gpt-4o-2024-05-13', usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } } },
  error: null,
});
const azureCancelled = (n: number) => ({ custom_id: `task-${n}`, response: null, error: { code: 'batch_cancelled', message: 'cancelled' } });

/** Anthropic results: every result type, the same custom_ids in both batches. */
const anthropicLines = (batch: string) => [
  { custom_id: 'req-01', result: { type: 'succeeded', message: { id: `msg_01${batch}A`, type: 'message', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 5, output_tokens: 3 } } } },
  { custom_id: 'req-02', result: { type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: 'x' }, request_id: `req_011${batch}B` } } },
  { custom_id: 'req-03', result: { type: 'errored', error: { type: 'overloaded_error', message: 'Overloaded' } } },
  { custom_id: 'req-04', result: { type: 'expired' } },
  { custom_id: 'req-05', result: { type: 'canceled' } },
];

describe('batch ids in file names', () => {
  it.each([
    ['anthropic-batch', 'msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d_results.jsonl', 'msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d'],
    ['anthropic-batch', 'downloads/msgbatch_013Zva2CMHLNnXjNJJKqJ2EF.jsonl', 'msgbatch_013Zva2CMHLNnXjNJJKqJ2EF'],
    ['anthropic-batch', 'results.jsonl', undefined],
    ['anthropic-batch', 'xmsgbatch_0123456.jsonl', undefined],
    ['openai-batch', 'batch_68c3a1e9f0b48190_output.jsonl', 'batch_68c3a1e9f0b48190'],
    ['openai-batch', 'batch_68c3a1e9f0b48190_error.jsonl', 'batch_68c3a1e9f0b48190'],
    ['openai-batch', 'out-batch_fe3f047a-de39-4068-9008-346795bfc1db.jsonl', 'batch_fe3f047a-de39-4068-9008-346795bfc1db'],
    ['openai-batch', 'azure_batch_output.jsonl', undefined], // no digit: a word, not an id
    ['openai-batch', 'batch_req_68c3a1f2e4b8.jsonl', undefined], // a request id, not a batch
    ['openai-batch', 'msgbatch_01HkcTjaV5uDC8jWR4Zs.jsonl', undefined],
    ['openai-batch', 'batch_68c3a1e9f0b48190/output.jsonl', undefined], // only the file's own name counts
  ] as const)('%s %s → %s', (format, name, id) => {
    expect(batchIdFromName(format, name)).toBe(id);
  });

  it('--batch-id wins over the name; lines without any batch id are counted', () => {
    const flagged = new BatchIds('anthropic-batch', 'B1');
    expect(flagged.scope('msgbatch_0123456789_results.jsonl', 'req-1')).toBe('B1:req-1');
    const named = new BatchIds('anthropic-batch');
    expect(named.scope('msgbatch_0123456789_results.jsonl', 'req-1')).toBe('msgbatch_0123456789:req-1');
    expect(named.scope('results.jsonl', 'req-1')).toBe('req-1');
    expect(named.unscoped).toBe(1);
    expect(named.notes(['msgbatch_0123456789_results.jsonl', 'results.jsonl'])).toEqual([
      'batch id from file name: msgbatch_0123456789 — 1 line without a global id identified as msgbatch_0123456789:<custom_id>',
      expect.stringMatching(/^⚠ 1 line identified by custom_id alone .* give --batch-id/),
    ]);
  });
});

describe('two batches with overlapping custom_ids', () => {
  it('openai-batch: distinct externalRequestIds (own batch_req ids), custom_id kept in metadata', async () => {
    write('oa', 'batch_aaaa1111_output.jsonl', [openaiLine('a', 1), openaiLine('a', 2), openaiExpired('a', 3)]);
    write('oa', 'batch_bbbb2222_output.jsonl', [openaiLine('b', 1), openaiLine('b', 2), openaiExpired('b', 3)]);
    const r = await runCli(['import', join(tmp, 'oa'), '--from', 'openai-batch', '--data-mode', 'test']);
    expect(r.code).toBe(0);
    const p = payloads(r.stdout);
    expect(p).toHaveLength(6);
    expect(new Set(p.map((x) => x.externalRequestId)).size).toBe(6);
    expect(p.map((x) => x.metadata.customId)).toEqual(['request-1', 'request-2', 'request-3', 'request-1', 'request-2', 'request-3']);
    expect(p.map((x) => x.metadata.batchId)).toEqual(['batch_aaaa1111', 'batch_aaaa1111', 'batch_aaaa1111', 'batch_bbbb2222', 'batch_bbbb2222', 'batch_bbbb2222']);
    expect(r.stderr).toContain('batch id from file name: batch_aaaa1111 — not needed (every line has a globally unique id)');
    expect(r.stderr).not.toContain('custom_id alone');
  });

  it('openai-batch, Azure: request ids tell lines apart; cancelled lines need a batch id, and say so without one', async () => {
    const a = write('az', 'first.jsonl', [azureOk('1dfa42c2-0769-474f-9ce9-f819be76cbaa', 0), azureCancelled(1)]);
    const b = write('az', 'second.jsonl', [azureOk('6c0e5a1b-3f2d-4e8a-9b7c-1d2e3f4a5b6c', 0), azureCancelled(1)]);
    const bare = await runCli(['import', a, b, '--from', 'openai-batch']);
    const ids = payloads(bare.stdout).map((x) => x.externalRequestId);
    // The documented limitation: nothing on a cancelled Azure line identifies its batch, so
    // the second file's cancelled line has the first one's id and is skipped as a copy.
    expect(ids).toHaveLength(3);
    expect(ids[0]).not.toBe(ids[2]);
    expect(bare.stderr).toContain('skipped  1   duplicate_copy 1');
    expect(bare.stderr).toContain('⚠ 2 lines identified by custom_id alone');
    const first = await runCli(['import', a, '--from', 'openai-batch', '--batch-id', 'batch_11111111']);
    const second = await runCli(['import', b, '--from', 'openai-batch', '--batch-id', 'batch_22222222']);
    const [p1, p2] = [payloads(first.stdout), payloads(second.stdout)];
    expect(p1[0]!.externalRequestId).toBe(ids[0]); // lines with a global id do not depend on the batch id
    expect(p1[1]!.externalRequestId).not.toBe(p2[1]!.externalRequestId);
    expect(p1[1]!.metadata).toMatchObject({ customId: 'task-1', batchId: 'batch_11111111' });
    expect(first.stderr).toContain('batch id from --batch-id: batch_11111111 — 1 line without a global id identified as batch_11111111:<custom_id>');
    expect(first.stderr).not.toContain('custom_id alone');
  });

  it('anthropic-batch: distinct externalRequestIds for every result type, batch id from the file names', async () => {
    write('an', 'msgbatch_01AAAAAAAAAAAA_results.jsonl', anthropicLines('A'));
    write('an', 'msgbatch_01BBBBBBBBBBBB_results.jsonl', anthropicLines('B'));
    const r = await runCli(['import', join(tmp, 'an'), '--from', 'anthropic-batch', '--summary-json', join(tmp, 'an.json')]);
    expect(r.code).toBe(0);
    const p = payloads(r.stdout);
    expect(p).toHaveLength(10);
    expect(new Set(p.map((x) => x.externalRequestId)).size).toBe(10);
    expect(r.stderr).toContain('batch id from file name: msgbatch_01AAAAAAAAAAAA — 3 lines without a global id identified as msgbatch_01AAAAAAAAAAAA:<custom_id>');
    expect(r.stderr).toContain('batch id from file name: msgbatch_01BBBBBBBBBBBB — 3 lines');
    expect(r.stderr).not.toContain('custom_id alone');
    // Re-running gives the same ids (idempotent).
    const again = await runCli(['import', join(tmp, 'an'), '--from', 'anthropic-batch']);
    expect(again.stdout).toBe(r.stdout);
  });

  it('anthropic-batch: files named without an id are told apart by --batch-id, and warned about without it', async () => {
    const a = write('an2', 'results-1.jsonl', anthropicLines('A'));
    const b = write('an2', 'results-2.jsonl', anthropicLines('B'));
    const bare = await runCli(['import', a, b, '--from', 'anthropic-batch']);
    const ids = payloads(bare.stdout).map((x) => x.externalRequestId);
    // Nothing global on the flattened-error, expired and canceled lines: the second file's
    // have the first file's ids and are skipped as copies.
    expect(ids).toHaveLength(7);
    expect(ids[0]).not.toBe(ids[5]); // message ids
    expect(ids[1]).not.toBe(ids[6]); // error request ids
    expect(bare.stderr).toContain('skipped  3   duplicate_copy 3');
    expect(bare.stderr).toContain('⚠ 6 lines identified by custom_id alone');
    const one = payloads((await runCli(['import', a, '--from', 'anthropic-batch', '--batch-id', 'msgbatch_01AAAAAAAAAAAA'])).stdout);
    const two = payloads((await runCli(['import', b, '--from', 'anthropic-batch', '--batch-id', 'msgbatch_01BBBBBBBBBBBB'])).stdout);
    const all = [...one, ...two].map((x) => x.externalRequestId);
    expect(new Set(all).size).toBe(10);
  });

  it('--batch-id is refused for other formats and when malformed (exit 2)', async () => {
    const other = await runCli(['import', 'fixtures/import/litellm', '--from', 'litellm', '--batch-id', 'x']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('--batch-id applies to --from openai-batch, anthropic-batch and bedrock (batch output) only');
    const bad = await runCli(['import', 'fixtures/import/anthropic-batch', '--from', 'anthropic-batch', '--batch-id', 'has space']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--batch-id must be');
    const auto = await runCli(['import', 'fixtures/import/codex/sessions', '--batch-id', 'x']);
    expect(auto.code).toBe(2);
    expect(auto.stderr).toContain('--from auto chose codex');
    expect(auto.stdout).toBe('');
  });
});
