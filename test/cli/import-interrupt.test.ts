/**
 * End-to-end: SIGINT, SIGTERM and SIGHUP during `import -o FILE --summary-json FILE` (the built
 * CLI, reading a LiteLLM spend log from a pipe that stays open, as a long export would). The
 * run stops reading, writes the lines it made whole, prints the summary, writes --summary-json
 * marked interrupted with the counts so far, keeps the payloads as `<name>.partial` (never
 * under the result's name) and exits with the signal's code.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-import-interrupt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The header and the first record (one line) of a real LiteLLM spend export, the record repeated with new ids. */
const [HEADER, RECORD] = readFileSync(join(FIXTURES, 'import', 'litellm', 'spend.csv'), 'utf8').split('\n');
/** A bound against a run that never opens its outputs: the test fails instead of writing forever. */
const MAX_ROWS = 50_000;

async function interruptImport(signal: NodeJS.Signals) {
  const dir = mkdtempSync(join(tmp, `${signal}-`));
  const out = join(dir, 'out.jsonl');
  const summary = join(dir, 'summary.json');
  const report = join(dir, 'report.html');
  const child = spawn(process.execPath, [BIN, 'import', '-', '--from', 'litellm', '--stdin-filename', 'spend.csv', '-o', out, '--summary-json', summary, '--report', report], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: tmp, NO_COLOR: '1', TZ: 'UTC' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  child.stdout.resume();
  child.stdin.on('error', () => {}); // the import stops reading: later writes may find the pipe closed
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stdin.write(`${HEADER}\n`);
  let written = 0;
  // Feed rows until the run has opened its result files (beside their names) and made some lines.
  await waitFor(
    () => {
      if (readdirSync(dir).length >= 2 && written > 0) return true;
      if (written >= MAX_ROWS) throw new Error(`no result files after ${written} rows: ${stderr}`);
      for (let k = 0; k < 50; k++, written++) child.stdin.write(`${RECORD!.replace(/^[^,]+/, `req-${written}`)}\n`);
      return false;
    },
    'the import to open its result files',
  );
  child.kill(signal);
  const code = await closed;
  return { code, stderr, dir, out, summary, written };
}

describe('interrupting import -o FILE', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s: whole lines kept as .partial, summary and --summary-json marked interrupted, exit %i', async (signal, exitCode) => {
    const r = await interruptImport(signal);
    expect(r.code, r.stderr).toBe(exitCode);
    const read = Number(/opsmeter import: [^\n]*: stopped reading after (\d+) rows; the counts above are those rows/.exec(r.stderr)?.[1]);
    expect(read, r.stderr).toBeGreaterThan(0);
    expect(read).toBeLessThanOrEqual(r.written);
    expect(r.stderr).toContain(`${r.out} was not written: its whole lines so far are in ${r.out}.partial`);
    // The summary names no file as written that was not.
    expect(r.stderr).toContain(`payloads → ${r.out} not written (interrupted, see below)`);
    // The report page is made only for a complete import: it would read as the whole of it.
    expect(r.stderr).toContain(`${join(r.dir, 'report.html')} was not written: a report of some of the rows would read as the whole import`);
    // Nothing under the result's name, no temp file: the partial lines and the summary only.
    expect(readdirSync(r.dir).sort()).toEqual(['out.jsonl.partial', 'summary.json']);
    const s = JSON.parse(readFileSync(r.summary, 'utf8')) as { interrupted: { signal: string; exitCode: number }; formats: { read: number; complete: number; partial: number; skipped: number; rejected: number }[] };
    expect(s.interrupted).toEqual({ signal, exitCode });
    const f = s.formats[0]!;
    expect(f.read).toBe(read);
    expect(f.complete + f.partial + f.skipped + f.rejected).toBe(read);
    // Every line made is whole: it parses, and there is one per payload counted.
    const lines = readFileSync(`${r.out}.partial`, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(f.complete + f.partial);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });
});
