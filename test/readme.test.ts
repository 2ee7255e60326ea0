/**
 * The README stays true to the tool: every command and every import format is documented
 * with an example, and the Quickstart holds the two commands CI and new users run.
 */
import { readFileSync } from 'node:fs';
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
