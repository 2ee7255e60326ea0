/** SARIF 2.1.0, for GitHub code scanning and other static-analysis dashboards. */
import { ALL_RULES } from '../contract/rules.js';
import type { Renderer } from './types.js';

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export const renderSarif: Renderer = (result, ctx) => {
  const ruleIndex = new Map(ALL_RULES.map((r, i) => [r.id, i]));
  const sarif = {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'opsmeter',
            version: ctx.version,
            informationUri: 'https://opsmeter.io/docs',
            rules: ALL_RULES.map((r) => ({
              id: r.id,
              shortDescription: { text: r.doc },
              help: { text: r.hint },
              defaultConfiguration: { level: r.severity },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        results: result.problems.map((p) => ({
          ruleId: p.rule,
          ruleIndex: ruleIndex.get(p.rule) ?? -1,
          level: p.severity === 'error' || ctx.strict ? 'error' : 'warning',
          message: { text: p.hint ? `${p.message}. Hint: ${p.hint}` : p.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: p.file.split('\\').join('/') },
                region: { startLine: p.line, startColumn: p.column },
              },
              ...(p.pointer ? { logicalLocations: [{ fullyQualifiedName: p.pointer, kind: 'member' }] } : {}),
            },
          ],
        })),
        invocations: [{ executionSuccessful: true }],
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
};
