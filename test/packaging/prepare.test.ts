/**
 * scripts/prepare.mjs, npm's `prepare`: it builds only when dist/ is missing or older than what
 * it is built from, so the first `npx opsmeter` in a clone (npx runs prepare again) does not
 * rebuild what `npm ci` built (test/packaging/integrations.slow.test.ts shows that in a fresh
 * clone). Here in a small project of its own whose `build` logs each run, through `npm run
 * prepare` as npm runs it: a missing dist/, an edited source file, a deleted one, a changed
 * tsconfig.json each build; an up-to-date dist/ does not.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runProcess } from '../helpers/cli.js';

const project = mkdtempSync(join(tmpdir(), 'opsmeter-prepare-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

// The build writes the two files prepare looks for, and logs that it ran.
const BUILD = `node -e "const fs=require('fs');fs.rmSync('dist',{recursive:true,force:true});for(const d of ['dist/cli','dist/api'])fs.mkdirSync(d,{recursive:true});fs.writeFileSync('dist/cli/main.js','');fs.writeFileSync('dist/api/index.js','');fs.appendFileSync('builds.log','built\\\\n')"`;
mkdirSync(join(project, 'scripts'));
mkdirSync(join(project, 'src', 'cli'), { recursive: true });
cpSync(join(ROOT, 'scripts', 'prepare.mjs'), join(project, 'scripts', 'prepare.mjs'));
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'p', private: true, scripts: { build: BUILD, prepare: 'node scripts/prepare.mjs' } }));
writeFileSync(join(project, 'tsconfig.json'), '{}');
writeFileSync(join(project, 'src', 'cli', 'main.ts'), '');
writeFileSync(join(project, 'src', 'old.ts'), '');

/** Sources an hour old: whatever dist/ a build writes now is newer. */
const HOUR_AGO = new Date(Date.now() - 3_600_000);
const age = (...paths: string[]) => {
  for (const p of paths) utimesSync(join(project, p), HOUR_AGO, HOUR_AGO);
};
age('src/cli/main.ts', 'src/old.ts', 'src/cli', 'src', 'tsconfig.json', 'package.json');

const builds = () => readFileSync(join(project, 'builds.log'), 'utf8').split('\n').filter(Boolean).length;

async function prepare(): Promise<string> {
  const r = await runProcess('npm', ['run', 'prepare', '--silent', '--foreground-scripts'], { cwd: project, drop: ['npm_'], timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('prepare builds only what is out of date', () => {
  it('no dist/: builds', async () => {
    await prepare();
    expect(builds()).toBe(1);
  });

  it('dist/ newer than every input: no build, and says so', async () => {
    expect(await prepare()).toContain('opsmeter: dist/ is up to date with src/, no build');
    expect(builds()).toBe(1);
  });

  it('a source file edited since: builds', async () => {
    writeFileSync(join(project, 'src', 'cli', 'main.ts'), 'export {};\n');
    await prepare();
    expect(builds()).toBe(2);
    await prepare();
    expect(builds()).toBe(2);
  });

  it('a source file deleted since (its folder changed): builds', async () => {
    unlinkSync(join(project, 'src', 'old.ts'));
    await prepare();
    expect(builds()).toBe(3);
  });

  it('tsconfig.json changed since: builds; a dist/ file missing: builds', async () => {
    writeFileSync(join(project, 'tsconfig.json'), '{ "compilerOptions": {} }');
    await prepare();
    expect(builds()).toBe(4);
    unlinkSync(join(project, 'dist', 'api', 'index.js'));
    await prepare();
    expect(builds()).toBe(5);
  });
});
