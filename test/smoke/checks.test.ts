/**
 * The smoke checklist as a list of named checks (src/smoke/checks.ts): what each declares, and
 * how runSmoke's loop applies it (where a check applies, what it needs, a failure's detail).
 * The whole checklist end to end is test/cli/smoke.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { resolveTarget } from '../../src/ingest/config.js';
import { DEFAULT_EMULATOR_KEY } from '../../src/emulator/server.js';
import { SMOKE_CHECKS, runSmoke, type SmokeCheck } from '../../src/smoke/checks.js';
import type { CheckResult, SmokeOptions } from '../../src/smoke/context.js';
import { startEmulatorForTest } from '../helpers/emulators.js';

const ROOT = join(import.meta.dirname, '..', '..');
const catalog = builtinCatalog();
const options = (extra: Partial<SmokeOptions> = {}): SmokeOptions => ({ catalog, root: ROOT, timeoutMs: 5000, seed: 'unit', ...extra });
const brief = (rs: CheckResult[]) => rs.map((r) => [r.name, r.status, r.detail]);

describe('SMOKE_CHECKS', () => {
  it('names each check once, says what it proves, and needs only checks listed before it', () => {
    const names = SMOKE_CHECKS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const [i, c] of SMOKE_CHECKS.entries()) {
      expect(c.proves.length).toBeGreaterThan(20);
      if (c.needs) expect(names.slice(0, i)).toContain(c.needs.check);
      if (typeof c.against === 'object') expect(c.against.emulatorOnly).toMatch(/^emulator only: /);
    }
  });

  it("is the README's checklist, in its order (the checks that apply to the emulator)", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const shown = [...readme.matchAll(/^✔ (.+?) — /gm)].map((m) => m[1]);
    expect(shown).toEqual(SMOKE_CHECKS.filter((c) => c.against !== 'api').map((c) => c.name));
  });
});

describe('runSmoke', () => {
  const passing = (name: string, extra: Partial<SmokeCheck> = {}): SmokeCheck => ({ name, proves: 'a test check', against: 'any', run: async () => `${name} ran`, ...extra });

  it('against the emulator: api-only checks are left out; a failed check skips the checks that need it', async () => {
    const seen: string[] = [];
    const report = await runSmoke(options({ onCheck: (r) => seen.push(r.name) }), [
      passing('only on the API', { against: 'api' }),
      passing('a', { needs: { check: 'only on the API', otherwise: 'unused' } }),
      passing('b', {
        run: async () => {
          throw new Error('boom');
        },
      }),
      passing('c', { needs: { check: 'b', otherwise: 'needs b' } }),
      passing('d', { skipReason: () => 'not here' }),
      passing('e', { against: { emulatorOnly: 'emulator only: test' } }),
    ]);
    expect(report.embedded).toBe(true);
    expect(report.target).toMatch(/^embedded emulator at http:\/\/127\.0\.0\.1:\d+$/);
    expect(brief(report.checks)).toEqual([
      ['a', 'pass', 'a ran'],
      ['b', 'fail', 'unexpected error: boom'],
      ['c', 'skip', 'needs b'],
      ['d', 'skip', 'not here'],
      ['e', 'pass', 'e ran'],
    ]);
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('against a real API: emulator-only checks are skipped with their reason; the shared checks run on its key', async () => {
    const api = await startEmulatorForTest();
    const remote = { target: resolveTarget({ baseUrl: api.url }, {}), apiKey: DEFAULT_EMULATOR_KEY };
    const report = await runSmoke(
      options({ remote }),
      SMOKE_CHECKS.filter((c) => c.against !== 'any' || c.name === 'API key accepted'),
    );
    expect(report.embedded).toBe(false);
    expect(brief(report.checks)).toEqual([
      ['API host reachable', 'pass', `${api.url}/ answered HTTP`],
      ['API key accepted', 'pass', 'GET /v1/diagnostics/workspace-status answered with the workspace'],
      ['429 honoured with Retry-After', 'skip', 'emulator only: a real workspace is never throttled on purpose'],
      ['402 reported as paused', 'skip', 'emulator only: a real workspace is never paused on purpose'],
      ['budget stops reported as budget, not plan limit', 'skip', 'emulator only: a real workspace is never over budget on purpose'],
    ]);
  });
});
