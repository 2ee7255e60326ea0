/**
 * Headless Chromium for the tests that open a report page in a real browser (Debian's
 * `chromium`, which .ci/run installs): offline, a profile of its own each time. CHROMIUM is
 * undefined where none is installed, and those tests skip, saying so.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runProcess } from './cli.js';

export const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => {
  try {
    execFileSync(c, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

/** Chromium, headless, with no network of its own and a profile of its own under `tmp`; its stdout. */
export async function chromium(tmp: string, args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmp, 'profile-'));
  const r = await runProcess(
    CHROMIUM!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { timeoutMs: 90_000 },
  );
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}
