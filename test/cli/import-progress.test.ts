/**
 * The import's progress line (issue 24): on a terminal, bytes read of the inputs' total with
 * a percentage, rows, rows per second and an ETA, on stderr only; never in a pipe. The built
 * CLI runs under a pseudo-terminal made by `script` (util-linux), skipped visibly where it is
 * missing; OPSMETER_IMPORT_PROGRESS_MS=0 draws at every chance, so the line shows however
 * fast the machine is.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importProgressText } from '../../src/cli/import-progress.js';
import { BIN, FIXTURES, runCli, runProcess } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-progress-'));
const spend = join(tmp, 'spend.csv');
/** A LiteLLM spend log of 8,000 rows: the fixture's first row again and again, each with a request id of its own. */
beforeAll(() => {
  const [header, row] = readFileSync(join(FIXTURES, 'import', 'litellm', 'spend.csv'), 'utf8').split('\n') as [string, string];
  const id = row.slice(0, row.indexOf(','));
  const rows = Array.from({ length: 8_000 }, (_, i) => row.replace(id, `${id.slice(0, -6)}${String(i).padStart(6, '0')}`));
  writeFileSync(spend, `${header}\n${rows.join('\n')}\n`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasScript) console.warn('SKIPPED: the pseudo-terminal test of the import\'s progress line needs `script` (util-linux), which is not installed');

describe('the progress line text', () => {
  it('bytes of the total with a percentage, rows, rows/s, an ETA from the pace so far, the file', () => {
    expect(importProgressText({ rows: 120_000, bytes: 12_300_000, fileIndex: 2, files: 12 }, 3, 45_600_000)).toBe(
      '  importing: 12.3 MB of 45.6 MB (26%) · 120,000 rows · 40,000 rows/s · ETA 9s · file 3/12',
    );
    expect(importProgressText({ rows: 10, bytes: 1_000, fileIndex: 0, files: 1 }, 2, 61_000)).toBe('  importing: 1.00 KB of 61.0 KB (1%) · 10 rows · 5 rows/s · ETA 2m00s');
  });

  it('without a total (stdin): no percentage and no ETA; none either before anything was read, nor once all was', () => {
    expect(importProgressText({ rows: 5, bytes: 2_000_000, fileIndex: 0, files: 1 }, 1, undefined)).toBe('  importing: 2.00 MB · 5 rows · 5 rows/s');
    expect(importProgressText({ rows: 0, bytes: 0, fileIndex: 0, files: 1 }, 0.5, 1_000)).toBe('  importing: 0 B of 1.00 KB (0%) · 0 rows · 0 rows/s');
    expect(importProgressText({ rows: 9, bytes: 1_000, fileIndex: 0, files: 1 }, 1, 1_000)).toBe('  importing: 1.00 KB of 1.00 KB (100%) · 9 rows · 9 rows/s');
  });
});

describe('the progress line of the built CLI', () => {
  it.skipIf(!hasScript)('under a pseudo-terminal: %, rows/s and an ETA on the terminal, then the summary on a clean line', async () => {
    const out = join(tmp, 'payloads.jsonl');
    const command = [process.execPath, BIN, 'import', spend, '--from', 'litellm', '-o', out].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const r = await runProcess('script', ['-qec', command, '/dev/null'], { env: { OPSMETER_IMPORT_PROGRESS_MS: '0' } });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\r\x1b[2K').filter((l) => l.startsWith('  importing: '));
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.some((l) => /^ {2}importing: [\d.]+ [KM]B of [\d.]+ MB \(\d{1,2}%\) · [\d,]+ rows · [\d,]+ rows\/s · ETA \d+(s|m\d\ds)$/.test(l.trimEnd()))).toBe(true);
    // The line is cleared before the summary, which the terminal shows whole.
    expect(r.stdout).toContain('read 8000 = complete');
  });

  it('never in a pipe: stderr has the summary and no progress line', async () => {
    const r = await runCli(['import', spend, '--from', 'litellm', '-o', join(tmp, 'piped.jsonl')], { env: { OPSMETER_IMPORT_PROGRESS_MS: '0' } });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('importing:');
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).toContain('read 8000 = complete');
  });
});
