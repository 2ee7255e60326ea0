/**
 * The SARIF renderer's output (test/helpers/sarif-schema.ts): its structure, with every URI a
 * URI reference, always; and, where the official SARIF 2.1.0 JSON Schema is at hand (else
 * reported as skipped), valid against it: validate's report of broken files under settings that
 * write configuration overrides, and a file whose name a URI cannot hold raw. The emulator's
 * report, made of requests, is checked the same way in test/emulator/report.test.ts and end to
 * end in test/cli/emulate-app.test.ts.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { RulePolicy } from '../../src/contract/rule-settings.js';
import { ALL_RULES } from '../../src/contract/rules.js';
import { expandPaths } from '../../src/read/paths.js';
import { renderSarif } from '../../src/report/sarif.js';
import { PLAIN } from '../../src/terminal.js';
import { validateSources } from '../../src/validate/validate.js';
import { FIXTURES } from '../helpers/cli.js';
import { NOW } from '../helpers/payloads.js';
import { HAS_SARIF_SCHEMA, sarifSchemaErrors, sarifShapeErrors } from '../helpers/sarif-schema.js';

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

const broken = () =>
  sarifOf(
    [join(FIXTURES, 'payloads', 'broken'), join(FIXTURES, 'payloads', 'rules')],
    new RulePolicy({ 'payload/missing-latency': 'off', 'payload/unknown-field': 'error' }),
  );

async function oddlyNamed() {
  const odd = join(tmp, 'my events #2 100%.jsonl');
  copyFileSync(join(FIXTURES, 'payloads', 'broken', 'numbers-as-strings.jsonl'), odd);
  return sarifOf([odd]);
}

describe('validate --format sarif', () => {
  it('the broken fixtures, with rule settings: the structure opsmeter writes', async () => {
    const sarif = await broken();
    expect(sarif.runs[0]!.results.length).toBeGreaterThan(20);
    expect(sarifShapeErrors(sarif)).toEqual([]);
  });

  it('a file name with a space, # and % is percent-encoded into a URI reference', async () => {
    const sarif = await oddlyNamed();
    const uris = new Set(sarif.runs[0]!.results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri));
    expect([...uris].map((u) => u.slice(u.lastIndexOf('/') + 1))).toEqual(['my%20events%20%232%20100%25.jsonl']);
    expect(sarifShapeErrors(sarif)).toEqual([]);
  });

  it('the structure check can fail: a raw space in a URI, a wrong rule index', () => {
    const doc = {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: { driver: { name: 'opsmeter', rules: ALL_RULES.map((r) => ({ id: r.id })) } },
          results: [
            {
              ruleId: 'payload/type',
              ruleIndex: 0,
              level: 'error',
              message: { text: 'm' },
              locations: [{ physicalLocation: { artifactLocation: { uri: 'a b.json' }, region: { startLine: 1, startColumn: 1 } } }],
            },
          ],
        },
      ],
    };
    expect(sarifShapeErrors(doc)).toEqual(['results[0]: ruleIndex 0 is not payload/type', 'results[0]: uri "a b.json" is no URI reference']);
  });
});

describe.skipIf(!HAS_SARIF_SCHEMA)('validate --format sarif against the SARIF 2.1.0 schema', () => {
  it('the broken fixtures with rule settings, and an odd file name: valid', async () => {
    expect(sarifSchemaErrors(await broken())).toEqual([]);
    expect(sarifSchemaErrors(await oddlyNamed())).toEqual([]);
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
