/**
 * The JSON adapters (openai-batch, openai-log, anthropic-batch, claude-code, bedrock) end to
 * end through the built CLI and the shared pipeline: named and auto-detected, every payload
 * valid, every row accounted for. Their exact per-row outcomes are tested in test/importers/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'opsmeter-import-adapters-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const FORMATS = ['openai-batch', 'openai-log', 'anthropic-batch', 'claude-code', 'bedrock'] as const;

describe.each(FORMATS)('%s through the CLI', (format) => {
  const dir = `fixtures/import/${format}`;

  it('imports its fixture directory: invariant holds, rejected rows listed, every payload validates', async () => {
    const summaryFile = join(tmp, `${format}.json`);
    const rejectsFile = join(tmp, `${format}-rejects.jsonl`);
    const r = await runCli(['import', dir, '--from', format, '--summary-json', summaryFile, '--rejects', rejectsFile]);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
    expect(s.invariantHolds).toBe(true);
    expect(s.read).toBe(s.complete + s.partial.total + s.skipped.total + s.rejected.total);
    expect(s.complete).toBeGreaterThan(0);
    const rejects = readFileSync(rejectsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(rejects).toHaveLength(s.rejected.total);
    for (const x of rejects) expect(x).toEqual({ file: expect.any(String), line: expect.any(Number), reason: expect.any(String), raw: expect.anything() });
    expect(r.code).toBe(s.rejected.total > 0 ? 1 : 0);
    const payloads = r.stdout.split('\n').filter(Boolean);
    expect(payloads).toHaveLength(s.complete + s.partial.total);
    for (const p of payloads) expect(JSON.parse(p).metadata.source).toBe(format);
    const v = await runCli(['validate', '-', '--format', 'json'], { input: r.stdout });
    expect(v.code).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.summary?.errors ?? report.counts?.errors).toBe(0);
  });

  it('is recognised by --from auto and gives the same payloads', async () => {
    const named = await runCli(['import', dir, '--from', format]);
    const auto = await runCli(['import', dir]);
    expect(auto.stderr).toContain(`--from auto chose ${format}`);
    expect(auto.stdout).toBe(named.stdout);
  });
});
