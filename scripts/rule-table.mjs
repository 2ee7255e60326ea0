#!/usr/bin/env node
/**
 * Prints the lint rule table (markdown) from the rule registry, so docs never drift from
 * src/contract/rules.ts. Reads the build: run `npm run build` first.
 *   node scripts/rule-table.mjs > /tmp/rules.md
 */
import { ALL_RULES } from '../dist/contract/rules.js';

const cell = (s) => s.replace(/\|/g, '\\|');
const lines = ['| rule | severity | what it means |', '|---|---|---|'];
for (const r of ALL_RULES) lines.push(`| \`${r.id}\` | ${r.severity} | ${cell(r.doc)} |`);
process.stdout.write(lines.join('\n') + '\n');
