/**
 * The README stays true to the tool: every command and every import format is documented
 * with an example, and the Quickstart holds the two commands CI and new users run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/main.js';
import { ADAPTERS } from '../src/importers/adapters/index.js';
import { ROOT } from './helpers/cli.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README.md', () => {
  it('has the Quickstart commands for the main job and the tests', () => {
    expect(readme).toContain('npm ci && npx opsmeter smoke');
    expect(readme).toContain('npm ci && npm test');
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toContain('npm ci');
    expect(ci).toContain('npm test');
  });

  it('every CI snippet (README, docs/, the Action) is on Node 24 and the current majors of the GitHub actions it uses', () => {
    const files = ['README.md', 'action.yml', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)];
    const text = files.map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
    const uses = (action: string) => [...text.matchAll(new RegExp(`${action}@(v\\d+)`, 'g'))].map((m) => m[1]);
    expect(uses('actions/setup-node').length).toBeGreaterThanOrEqual(3);
    expect(new Set(uses('actions/setup-node'))).toEqual(new Set(['v7']));
    expect(new Set(uses('actions/checkout'))).toEqual(new Set(['v7']));
    expect(new Set(uses('github/codeql-action/upload-sarif'))).toEqual(new Set(['v4']));
    expect(new Set(uses('actions/upload-artifact'))).toEqual(new Set(['v7']));
    expect(new Set([...text.matchAll(/node-version: (\S+) \}/g)].map((m) => m[1]))).toEqual(new Set(['24']));
    expect(new Set([...text.matchAll(/image: node:(\S+)/g)].map((m) => m[1]))).toEqual(new Set(['24']));
    // The README's install, CI and Action sections name Node 24.
    for (const section of ['## Install', '### GitHub Action', '**In CI**']) {
      const at = readme.indexOf(section);
      expect(at, section).toBeGreaterThan(-1);
      expect(readme.slice(at, at + 1500), section).toMatch(/Node(\.js)? 24/);
    }
  });

  it('documents every command in its command table', () => {
    const names = buildProgram().commands.map((c) => c.name());
    expect(names.length).toBeGreaterThanOrEqual(8);
    for (const name of names) expect(readme, name).toContain(`| \`opsmeter ${name}`);
  });

  it('documents every import format with an example command', () => {
    for (const a of ADAPTERS) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${a.id}\``) || l.startsWith(`| \`csv\` / \`jsonl\``) && (a.id === 'csv' || a.id === 'jsonl'));
      expect(row, a.id).toBeDefined();
      expect(row, a.id).toMatch(/`opsmeter import [^`]+`/);
    }
  });
});
