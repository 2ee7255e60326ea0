/**
 * --hash-user-ids and externalRequestId, through the built CLI. A batch line's source id can be
 * its caller-chosen `custom_id` / `recordId` (an e-mail address here): a plain SHA-256 of it would
 * let anyone holding the payloads confirm a guessed address, so under a salt the id is keyed by
 * the salt (HMAC). Without a salt the ids must stay what they always were (re-imports).
 * Duplicate detection and the worker threads must keep working on the keyed ids.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const NAMES = ['ivan.petrov', 'judy.smith'];
const EMAILS = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com', 'erin@example.com', 'frank@example.com', 'grace@example.com', 'heidi@example.com'];

let dir: string;
let anthropic: string;
let openai: string;
let bedrock: string;
let gemini: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-hashed-ids-'));
  // Anthropic batch results (no batch id in the name): lines without a message id are known by custom_id alone.
  anthropic = join(dir, 'results.jsonl');
  const expired = '{"custom_id":"alice@example.com","result":{"type":"expired"}}';
  writeFileSync(
    anthropic,
    [
      expired,
      expired, // the same record again: a copy
      '{"custom_id":"bob@example.com","result":{"type":"errored","error":{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}}}',
      '{"custom_id":"carol@example.com","result":{"type":"canceled"}}',
      '{"custom_id":"dave@example.com","result":{"type":"paused"}}', // rejected: its copy in the rejects file is scrubbed
    ].join('\n') + '\n',
  );
  // The OpenAI Batch guide's example (batch_req_123 names two custom_ids), custom_ids made e-mails, line 1 twice.
  const guide = readFileSync('fixtures/import/duplicates/openai-batch-guide.jsonl', 'utf8')
    .replace('"request-2"', '"erin@example.com"')
    .replace('"request-1"', '"frank@example.com"')
    .replace('"request-3"', '"grace@example.com"');
  openai = join(dir, 'output.jsonl');
  writeFileSync(openai, guide.split('\n')[0] + '\n' + guide);
  // A Bedrock batch line whose recordId is an address, without --batch-id: the bare recordId is its source id.
  bedrock = join(dir, 'job.jsonl.out');
  writeFileSync(bedrock, '{"recordId":"heidi@example.com","modelInput":{"inputText":"Hello world"},"error":{"errorCode":400,"errorMessage":"bad request"}}\n');
  // Gemini batch output whose keys are user names (not PII-looking: hashed because `key` is caller-chosen like custom_id).
  gemini = join(dir, 'predictions.jsonl');
  writeFileSync(gemini, '{"key": "ivan.petrov", "error": {"code": 3, "message": "invalid request"}}\n{"key": "judy.smith", "result": {}}\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** The id without a salt, as docs/import.md defines it. */
const plainId = (format: string, sourceId: string) => 'ext_' + sha256(`${format}:${sourceId}`).slice(0, 24);
const keyedId = (salt: string, format: string, sourceId: string) => 'ext_' + createHmac('sha256', salt).update(`${format}:${sourceId}`).digest('hex').slice(0, 24);

/** The source ids these inputs give (docs/import-formats.md), one per payload. */
const SOURCE_IDS: [string, string][] = [
  ['anthropic-batch', 'alice@example.com'],
  ['anthropic-batch', 'bob@example.com'],
  ['anthropic-batch', 'carol@example.com'],
  ['openai-batch', 'batch_req_123'],
  ['openai-batch', 'batch_req_456'],
  ['openai-batch', 'batch_req_123#grace@example.com'],
  ['bedrock', 'heidi@example.com'],
  ['gemini', 'key:ivan.petrov'],
];

interface Run {
  code: number | null;
  payloads: string;
  rejects: string;
  summary: string;
  stderr: string;
  ids: string[];
}

let n = 0;
async function importAll(extra: string[], env: Record<string, string> = {}): Promise<Run> {
  const out: Run = { code: 0, payloads: '', rejects: '', summary: '', stderr: '', ids: [] };
  for (const [file, format] of [
    [anthropic, 'anthropic-batch'],
    [openai, 'openai-batch'],
    [bedrock, 'bedrock'],
    [gemini, 'gemini'],
  ] as const) {
    const tag = join(dir, `run${n++}`);
    const r = await runCli(['import', file, '--from', format, '--rejects', `${tag}.rejects`, '--summary-json', `${tag}.summary`, ...extra], { env });
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    out.code = Math.max(out.code ?? 0, r.code ?? 99);
    out.payloads += r.stdout;
    out.rejects += readFileSync(`${tag}.rejects`, 'utf8');
    out.summary += readFileSync(`${tag}.summary`, 'utf8');
    out.stderr += r.stderr;
  }
  out.ids = out.payloads
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { externalRequestId: string }).externalRequestId);
  return out;
}

describe('externalRequestId under --hash-user-ids', () => {
  it('without a salt: the ids are SHA-256 of <format>:<source id>, as before', async () => {
    const r = await importAll([]);
    expect(r.code).toBe(1); // the paused line and the Gemini line without response or error are rejected
    expect(r.ids).toEqual(SOURCE_IDS.map(([f, id]) => plainId(f, id)));
  });

  it('with a salt: keyed by it, stable across runs, and neither an address nor its plain hash appears anywhere', async () => {
    const a = await importAll(['--hash-user-ids', 'pepper']);
    const b = await importAll(['--hash-user-ids', 'pepper']);
    expect(a.code).toBe(1);
    expect(a.ids).toEqual(SOURCE_IDS.map(([f, id]) => keyedId('pepper', f, id)));
    expect(b.payloads).toBe(a.payloads); // a re-import with the same salt gives the same ids
    expect(new Set(a.ids).size).toBe(SOURCE_IDS.length);

    const everything = [a.payloads, a.rejects, a.summary, a.stderr].join('\n');
    const plain = SOURCE_IDS.map(([f, id]) => plainId(f, id));
    for (const leak of [...EMAILS, ...NAMES, ...EMAILS.map(sha256), ...plain, ...plain.map((id) => id.slice(4))]) expect(everything).not.toContain(leak);
    expect(everything).not.toMatch(/@example\.com/);
    // The rejected line is still there, scrubbed.
    const u = (id: string) => 'u_' + createHmac('sha256', 'pepper').update(id).digest('hex');
    const rejected = a.rejects.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { line: number; raw: string });
    expect(rejected.map((r) => [r.line, JSON.parse(r.raw)])).toEqual([
      [5, { custom_id: u('dave@example.com'), result: { type: 'paused' } }],
      [2, { key: u('judy.smith'), result: {} }],
    ]);
    const geminiPayload = JSON.parse(a.payloads.trim().split('\n').at(-1)!) as { metadata: Record<string, unknown> };
    expect(geminiPayload.metadata.key).toBe(u('ivan.petrov'));

    const other = await importAll(['--hash-user-ids', 'another salt']);
    expect(other.ids).toHaveLength(a.ids.length);
    for (const [i, id] of other.ids.entries()) expect(id).not.toBe(a.ids[i]);
  });

  it('copies are still found on the keyed ids: the repeated lines are skipped as duplicate_copy, with or without a salt', async () => {
    const summaries = async (extra: string[]) => (await importAll(extra)).summary.split(/\n(?=\{)/).map((s) => JSON.parse(s));
    for (const extra of [[], ['--hash-user-ids', 'pepper']]) {
      const [anth, oai, bed, gem] = await summaries(extra);
      expect(anth).toMatchObject({ read: 5, complete: 0, partial: { total: 3 }, skipped: { total: 1, byReason: { duplicate_copy: 1 } }, rejected: { total: 1 }, invariantHolds: true });
      expect(oai).toMatchObject({ read: 4, complete: 2, partial: { total: 1 }, skipped: { total: 1, byReason: { duplicate_copy: 1 } }, rejected: { total: 0 }, invariantHolds: true });
      expect(bed).toMatchObject({ read: 1, partial: { total: 1 }, invariantHolds: true });
      expect(gem).toMatchObject({ read: 2, partial: { total: 1 }, rejected: { total: 1 }, invariantHolds: true });
    }
  });

  it('worker threads write the same bytes as the main thread alone under a salt', async () => {
    const extra = ['--hash-user-ids', 'pepper'];
    const off = await importAll(extra, { OPSMETER_IMPORT_WORKERS: 'off' });
    const two = await importAll(extra, { OPSMETER_IMPORT_WORKERS: '2', NODE_DEBUG: 'worker' });
    // Node's own trace: threads ran for the two formats whose records are independent (the Bedrock file has none).
    expect(two.stderr.match(/created Worker with ID/g)?.length).toBe(4);
    expect(two.payloads).toBe(off.payloads);
    expect(two.rejects).toBe(off.rejects);
    expect(two.summary).toBe(off.summary);
    expect(two.ids).toEqual(SOURCE_IDS.map(([f, id]) => keyedId('pepper', f, id)));
  });
});
