/**
 * Issue 23's formats in one folder, end to end through the built CLI: OpenTelemetry span
 * exports, a Gemini CLI ~/.gemini/tmp tree, OpenCode's storage and a Codex session, imported
 * with `--from auto` in one run — each file read as its own format, with the counts the same
 * files give with --from FORMAT (plus the files beside them that --from FORMAT does not read:
 * Gemini CLI's logs.json, OpenCode's session and part files, each a row not_a_request).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-mixed-agents-'));
const team = join(tmp, 'agents');
const F = (...p: string[]) => join(FIXTURES, 'import', ...p);

beforeAll(() => {
  const copy = (from: string, to: string) => {
    mkdirSync(join(team, to, '..'), { recursive: true });
    cpSync(from, join(team, to), { recursive: true });
  };
  copy(F('otel', 'collector'), 'otel/collector');
  copy(F('otel', 'openllmetry'), 'otel/openllmetry');
  copy(F('gemini-cli', 'tmp'), 'gemini/tmp');
  copy(F('opencode', 'storage'), 'opencode/storage');
  copy(F('codex', 'sessions', '2026', '02', '23', 'rollout-2026-02-23T13-19-38-019c8a70-dda7-7f33-98ea-f30553347322.jsonl'), 'codex/rollout-2026-02-23T13-19-38-019c8a70-dda7-7f33-98ea-f30553347322.jsonl');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('--from auto on a folder of the coding agents\' and OpenTelemetry files', () => {
  test('each file read as its format, exact counts, the invariant; the rejected logs document makes it exit 1', async () => {
    const summaryFile = join(tmp, 'summary.json');
    const r = await runCli(['import', team, '--summary-json', summaryFile, '-o', join(tmp, 'out.jsonl')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('--from auto found 4 formats: codex (1 file), gemini-cli (4 files), opencode (11 files), otel (2 files); each file is read as its own format');
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
    const byFormat = Object.fromEntries(
      summary.formats.map((f: { format: string; files: string[]; read: number; complete: number; partial: number; skipped: number; rejected: number }) => [f.format, [f.files.length, f.read, f.complete, f.partial, f.skipped, f.rejected]]),
    );
    expect(byFormat).toEqual({
      codex: [1, 19, 1, 0, 18, 0],
      'gemini-cli': [4, 31, 7, 2, 22, 0], // logs.json: 2 prompts, not requests
      opencode: [11, 11, 5, 2, 4, 0], // the session and part files: not requests
      otel: [2, 12, 6, 1, 4, 1],
    });
    expect(summary).toMatchObject({ read: 73, complete: 19, invariantHolds: true });
    const payloads = readFileSync(join(tmp, 'out.jsonl'), 'utf8');
    const v = await runCli(['validate', '-', '--format', 'json'], { input: payloads });
    expect(JSON.parse(v.stdout).summary).toMatchObject({ records: 19 + 5, errors: 0 });
  });
});
