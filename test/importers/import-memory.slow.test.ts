/**
 * The import's memory does not grow with its input (docs/import.md, "Memory"): 3,000,000 rows
 * with distinct ids, and copies of the earliest at the end, found in the duplicate-id index's
 * runs on disk, peak under the 200 MB the README promises at any size. With every id in
 * memory (26 bytes each, and twice that while the table doubled) this import peaked at
 * ~300 MB; now at 135–160 MB, depending on when the garbage collector frees the read buffers.
 * Slow (a 170 MB file, ~15 s of CPU): in the `slow` project, which .ci/run runs after the
 * default one.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-import-memory-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 3_000_000;
const COPIES = 2000;

describe('import memory', () => {
  it('3,000,000 CSV rows peak under 200 MB of RSS, and copies of the first rows at the end are still skipped', async () => {
    const path = join(dir, 'requests.csv');
    const fd = openSync(path, 'w');
    const row = (i: number) => `r-${i},2026-03-01T12:00:00Z,openai,gpt-4o-mini,${100 + (i % 900)},${i % 50}\n`;
    let buf = 'req_id,ts,vendor,model_name,prompt,completion\n';
    for (let i = 0; i < ROWS + COPIES; i++) {
      buf += row(i < ROWS ? i : (i - ROWS) * 97);
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = '';
      }
    }
    writeSync(fd, buf);
    closeSync(fd);
    const rss = join(dir, 'rss.json');
    const summary = join(dir, 'summary.json');
    const map = ['provider=vendor', 'model=model_name', 'inputTokens=prompt', 'outputTokens=completion', 'externalRequestId=req_id', 'createdAt=ts'].flatMap((m) => ['--map', m]);
    const r = await runCli(['import', path, '--from', 'csv', ...map, '-o', join(dir, 'payloads.jsonl'), '--summary-json', summary], {
      env: { NODE_OPTIONS: `--require ${join(ROOT, 'bench', 'rss-probe.cjs')}`, OPSMETER_RSS_FILE: rss },
      timeoutMs: 540_000,
    });
    rmSync(path);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(summary, 'utf8'));
    expect(s.read).toBe(ROWS + COPIES);
    expect(s.complete).toBe(ROWS);
    expect(s.skipped.byReason.duplicate_copy).toBe(COPIES);
    expect(JSON.parse(readFileSync(rss, 'utf8')).maxRssKb / 1024).toBeLessThan(200);
  }, 560_000);
});
