/**
 * Globs as a user types them on the command line (quoted, so opsmeter expands them):
 * `opsmeter validate '[12].jsonl'` checks 1.jsonl and 2.jsonl and nothing else.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-globs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const event = join(FIXTURES, 'payloads', 'valid', 'events.jsonl');
for (const f of ['1.jsonl', '2.jsonl', '3.jsonl', '.dot.jsonl']) copyFileSync(event, join(tmp, f));
mkdirSync(join(tmp, '.hidden'));
copyFileSync(event, join(tmp, '.hidden', 'h.jsonl'));

describe('validate with quoted globs', () => {
  it("'[12].jsonl' checks 1.jsonl and 2.jsonl", async () => {
    const r = await runCli(['validate', '--format', 'json', '[12].jsonl'], { cwd: tmp });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { files: { file: string }[] } & Record<string, unknown>;
    const files = JSON.stringify(report);
    expect(files).toContain('1.jsonl');
    expect(files).toContain('2.jsonl');
    expect(files).not.toContain('3.jsonl');
  });

  it("'.hidden/*.jsonl' and '.*.jsonl' reach the dot files they name; '*.jsonl' does not", async () => {
    const named = await runCli(['validate', '--format', 'json', '.hidden/*.jsonl', '.*.jsonl'], { cwd: tmp });
    expect(named.code).toBe(0);
    expect(named.stdout).toContain('h.jsonl');
    expect(named.stdout).toContain('.dot.jsonl');
    const star = await runCli(['validate', '--format', 'json', '*.jsonl'], { cwd: tmp });
    expect(star.code).toBe(0);
    expect(star.stdout).not.toContain('.dot.jsonl');
    expect(star.stdout).not.toContain('h.jsonl');
  });

  it("a glob that matches nothing is exit 2 naming it", async () => {
    const r = await runCli(['validate', '[89].jsonl'], { cwd: tmp });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[89].jsonl');
  });
});
