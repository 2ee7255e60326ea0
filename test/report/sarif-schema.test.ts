/**
 * The SARIF renderer's output validates against the official SARIF 2.1.0 JSON Schema
 * (test/helpers/sarif-schema.ts): validate's report of broken files, under settings that
 * write configuration overrides, and a file whose name a URI cannot hold raw. The emulator's
 * report, made of requests, is checked the same way in test/emulator/report.test.ts and
 * end to end in test/cli/emulate-app.test.ts.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { RulePolicy } from '../../src/contract/rule-settings.js';
import { expandPaths } from '../../src/read/paths.js';
import { renderSarif } from '../../src/report/sarif.js';
import { PLAIN } from '../../src/terminal.js';
import { validateSources } from '../../src/validate/validate.js';
import { FIXTURES } from '../helpers/cli.js';
import { NOW } from '../helpers/payloads.js';
import { sarifSchemaErrors } from '../helpers/sarif-schema.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-sarif-schema-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ctx = { paint: PLAIN, strict: false, version: '0.1.0', catalog: 'built-in snapshot' };

async function sarifOf(paths: string[], rules?: RulePolicy) {
  const { sources } = await expandPaths(paths, { include: /\.(json|jsonl|ndjson|txt|bin)$/i });
  const result = await validateSources(sources, { catalog: builtinCatalog(), now: NOW, rules });
  return JSON.parse(renderSarif(result, { ...ctx, ruleSettings: rules?.overrides })) as {
    runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[];
  };
}

describe('validate --format sarif against the SARIF 2.1.0 schema', () => {
  it('the broken fixtures, with rule settings: valid', async () => {
    const sarif = await sarifOf(
      [join(FIXTURES, 'payloads', 'broken'), join(FIXTURES, 'payloads', 'rules')],
      new RulePolicy({ 'payload/missing-latency': 'off', 'payload/unknown-field': 'error' }),
    );
    expect(sarif.runs[0]!.results.length).toBeGreaterThan(20);
    expect(sarifSchemaErrors(sarif)).toEqual([]);
  });

  it('a file name with a space, # and % is percent-encoded into a URI reference', async () => {
    const odd = join(tmp, 'my events #2 100%.jsonl');
    copyFileSync(join(FIXTURES, 'payloads', 'broken', 'numbers-as-strings.jsonl'), odd);
    const sarif = await sarifOf([odd]);
    const uris = new Set(sarif.runs[0]!.results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri));
    expect([...uris].map((u) => u.slice(u.lastIndexOf('/') + 1))).toEqual(['my%20events%20%232%20100%25.jsonl']);
    expect(sarifSchemaErrors(sarif)).toEqual([]);
  });

  it('the check can fail: a raw space in a URI or a missing version is an error', () => {
    expect(
      sarifSchemaErrors({
        version: '2.1.0',
        runs: [
          {
            tool: { driver: { name: 'x' } },
            results: [{ message: { text: 'm' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'a b.json' } } }] }],
          },
        ],
      }),
    ).not.toEqual([]);
    expect(sarifSchemaErrors({ runs: [] })).not.toEqual([]);
    expect(sarifSchemaErrors({ version: '2.1.0', runs: [] })).toEqual([]);
  });
});
