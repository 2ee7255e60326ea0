/**
 * End-to-end on a real full filesystem: a 64 KB tmpfs filled to the last block (mounting needs
 * root — CI runs as root; elsewhere these cases are skipped with a message), and /dev/full.
 * A write that fails stops the run with exit 2 and says what was not written; no result file
 * (-o, --summary-json, validate -o) is left under its name, no temp file beside it; a journal
 * that cannot be written fails the send (exit 2), it is never a warning; one that is no file
 * (/dev/full) is refused before anything is sent.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/server.js';
import { FIXTURES, runCli, type CliResult } from '../helpers/cli.js';

const KEY = 'om_live_FULLDISK_0123456789';
const base = mkdtempSync(join(tmpdir(), 'opsmeter-full-disk-'));
const disk = join(base, 'tmpfs');
let mounted = false;
let emulator: Emulator | undefined;

function mountFullTmpfs(): boolean {
  mkdirSync(disk);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk], { stdio: 'pipe' });
  } catch (e) {
    console.log(`full-disk tests on tmpfs skipped: cannot mount a tmpfs here (${(e as Error).message.split('\n')[0]}); CI runs them as root`);
    return false;
  }
  // Fill it to the last block: every later write fails with ENOSPC, creating a file does not.
  try {
    for (;;) appendFileSync(join(disk, 'filler'), Buffer.alloc(4096, 120));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  return true;
}

beforeAll(async () => {
  mounted = mountFullTmpfs();
  emulator = await startEmulator({ host: '127.0.0.1', port: 0, apiKey: KEY, seed: 7 });
});
afterAll(async () => {
  await emulator?.close();
  if (mounted) execFileSync('umount', [disk]);
  rmSync(base, { recursive: true, force: true });
});

const noStack = (r: CliResult) => expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
/** What the filesystem holds besides the filler: nothing, after a failed run. */
const leftOnDisk = () => readdirSync(disk).filter((f) => f !== 'filler');
const LITELLM = join(FIXTURES, 'import', 'litellm', 'spend.csv');

describe('a full filesystem (tmpfs)', () => {
  it('import -o FILE --summary-json FILE: exit 2, says what was not written, nothing under either name', async (ctx) => {
    if (!mounted) ctx.skip();
    const r = await runCli(['import', LITELLM, '--from', 'litellm', '-o', join(disk, 'out.jsonl'), '--summary-json', join(disk, 'summary.json')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('no space left on device (ENOSPC)');
    noStack(r);
    expect(leftOnDisk()).toEqual([]);
  });

  it('validate -o FILE: exit 2, nothing under the name', async (ctx) => {
    if (!mounted) ctx.skip();
    const r = await runCli(['validate', join(FIXTURES, 'payloads', 'valid', 'events.jsonl'), '--format', 'json', '-o', join(disk, 'report.json')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('no space left on device (ENOSPC)');
    noStack(r);
    expect(leftOnDisk()).toEqual([]);
  });

  it('send --journal on it: the send stops and exits 2, never 0', async (ctx) => {
    if (!mounted) ctx.skip();
    const r = await runCli(['send', '--test', '--count', '50', '--seed', '3', '--base-url', emulator!.url, '--journal', join(disk, 'journal.jsonl')], { env: { OPSMETER_API_KEY: KEY } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/journal[^\n]*no space left on device \(ENOSPC\)/);
    noStack(r);
  });
});

describe.skipIf(!existsSync('/dev/full'))('/dev/full', () => {
  it('send --journal /dev/full is refused before anything is sent (a journal must be a file that holds its lines): exit 2', async () => {
    const before = emulator!.rows().length;
    const r = await runCli(['send', '--test', '--count', '5', '--seed', '4', '--base-url', emulator!.url, '--journal', '/dev/full'], { env: { OPSMETER_API_KEY: KEY } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe('opsmeter: journal /dev/full is not a regular file\n');
    expect(emulator!.rows().length).toBe(before);
  });
});
