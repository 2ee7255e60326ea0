/**
 * Duplicate source records across one run (built CLI): a record whose source id was already
 * written is skipped as duplicate_copy; one source id naming two different requests (another
 * custom_id) is scoped so both are kept, with a warning.
 */
import { describe, expect, test } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FIXTURES, runCli } from '../helpers/cli.js';

const GZ = join(FIXTURES, 'import', 'bedrock', 'AWSLogs', '111122223333', 'BedrockModelInvocationLogs', 'us-east-1', '2025', '09', '12', '14', '20250912T140000Z_7f3e9c1ab2d4e5f6.json.gz');

describe('duplicate source records', () => {
  test('Bedrock: the same invocations as .json.gz (S3) and .json are counted once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsmeter-dup-'));
    try {
      const logs = join(dir, 'logs');
      mkdirSync(logs);
      copyFileSync(GZ, join(logs, 's3.json.gz'));
      writeFileSync(join(logs, 'cloudwatch-copy.json'), gunzipSync(readFileSync(GZ)));
      await runCli(['import', '--from', 'bedrock', join(logs, 's3.json.gz'), '--summary-json', join(dir, 'once.json')]);
      const twice = await runCli(['import', '--from', 'bedrock', logs, '--summary-json', join(dir, 'twice.json')]);
      expect(twice.code).toBe(0);
      const [a, b] = [JSON.parse(readFileSync(join(dir, 'once.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'twice.json'), 'utf8'))];
      const rows = a.read as number;
      expect(b.read).toBe(2 * rows);
      expect(b.skipped.byReason.duplicate_copy).toBe(rows);
      expect(b.tokens).toEqual(a.tokens);
      expect(b.estimatedUsd).toEqual(a.estimatedUsd);
      const ids = twice.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).externalRequestId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(rows);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('OpenAI Batch guide: batch_req_123 for two custom_ids is scoped, not dropped, with a warning', async () => {
    const r = await runCli(['import', '--from', 'openai-batch', join('fixtures', 'import', 'duplicates', 'openai-batch-guide.jsonl')]);
    expect(r.code).toBe(0);
    const p = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(p.map((x) => x.metadata.customId)).toEqual(['request-2', 'request-1', 'request-3']);
    expect(new Set(p.map((x) => x.externalRequestId)).size).toBe(3);
    expect(r.stderr).toContain('read 3 = complete 2 + partial 1 + skipped 0 + rejected 0 ✔');
    expect(r.stderr).toContain('⚠ 1 source ids were shared by different requests (another custom_id): those payloads are identified as <source id>#<custom_id>');
    // Re-running gives the same ids.
    const again = await runCli(['import', '--from', 'openai-batch', join('fixtures', 'import', 'duplicates', 'openai-batch-guide.jsonl')]);
    expect(again.stdout).toBe(r.stdout);
  });
});
