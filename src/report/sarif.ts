/**
 * SARIF 2.1.0, for GitHub code scanning and other static-analysis dashboards.
 *
 * How the run configured each rule follows the spec's split: a rule's `defaultConfiguration`
 * is its default (the rules table in docs/validate.md), and what this run did differently is
 * a `configurationOverride` in `invocations[0].ruleConfigurationOverrides` — the effective
 * level, or `enabled: false` for a rule that was not checked (turned off, or a warning rule
 * under --quiet alone). Each result carries its own effective `level` as well.
 *
 * Files are named from the repository's root: each artifact's `uri` is relative to the
 * `%SRCROOT%` base, which `originalUriBaseIds` defines as the root's `file:` URI (the spec's
 * way, and what code scanning resolves against its checkout). A file outside the root is an
 * absolute `file:` URI. Every path segment is percent-encoded, so a space or `#` in a name
 * still makes a valid URI reference.
 */
import { ALL_RULES, type RuleInfo } from '../contract/rules.js';
import { pathToFileURL } from 'node:url';
import { jsonWithStreamedArray, rootPaths, STREAMED, wholeText, type RenderContext, type Renderer } from './types.js';

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** The base every in-repository artifact's `uri` is relative to. */
const SRCROOT = '%SRCROOT%';

/** A folder as a `file:` URI ending in "/", as a base URI must. */
const directoryUri = (dir: string) => {
  const uri = pathToFileURL(dir).href;
  return uri.endsWith('/') ? uri : `${uri}/`;
};

/** Each segment percent-encoded: a relative URI reference that any name makes valid. */
const encodePath = (path: string) => {
  try {
    return path.split('/').map(encodeURIComponent).join('/');
  } catch {
    return path; // a lone surrogate, which no URI can encode: the name as it is
  }
};

function artifactLocation(path: string, inRoot: boolean): { uri: string; uriBaseId?: string } {
  if (inRoot) return { uri: encodePath(path), uriBaseId: SRCROOT };
  return { uri: path.startsWith('/') || /^[A-Za-z]:\//.test(path) ? pathToFileURL(path).href : encodePath(path) };
}

export const streamSarif: Renderer = (result, ctx) => {
  const ruleIndex = new Map(ALL_RULES.map((r, i) => [r.id, i]));
  const place = rootPaths(ctx);
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
        ...(ctx.root ? { originalUriBaseIds: { [SRCROOT]: { uri: directoryUri(ctx.root.dir) } } } : {}),
        columnKind: 'utf16CodeUnits',
        results: STREAMED,
        invocations: [{ executionSuccessful: true, ...overridesOf(ctx, result.warningsSkipped) }],
      },
    ],
  };
  return jsonWithStreamedArray(sarif, result.problems, (p) => ({
    ruleId: p.rule,
    ruleIndex: ruleIndex.get(p.rule) ?? -1,
    level: p.severity === 'error' || ctx.strict ? 'error' : 'warning',
    message: { text: p.hint ? `${p.message}. Hint: ${p.hint}` : p.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: artifactLocation(place(p.file).path, place(p.file).inRoot),
          region: { startLine: p.line, startColumn: p.column },
        },
        ...(p.pointer ? { logicalLocations: [{ fullyQualifiedName: p.pointer, kind: 'member' }] } : {}),
      },
    ],
  }));
};

export const renderSarif = wholeText(streamSarif);

/** SARIF `reportingConfiguration` for a rule whose run differs from its default; undefined when it does not. */
function effectiveConfiguration(rule: RuleInfo, ctx: RenderContext, warningsSkipped: boolean): { enabled?: false; level?: string } | undefined {
  const level = ctx.ruleSettings?.[rule.id] ?? rule.severity;
  if (level === 'off' || (level === 'warning' && warningsSkipped)) return { enabled: false };
  // --strict reports warnings as errors (as the results say), so the run treated the rule as one.
  const effective = level === 'warning' && ctx.strict ? 'error' : level;
  return effective === rule.severity ? undefined : { level: effective };
}

function overridesOf(ctx: RenderContext, warningsSkipped: boolean): { ruleConfigurationOverrides?: unknown[] } {
  const overrides = ALL_RULES.flatMap((rule, index) => {
    const configuration = effectiveConfiguration(rule, ctx, warningsSkipped);
    return configuration ? [{ descriptor: { id: rule.id, index }, configuration }] : [];
  });
  return overrides.length > 0 ? { ruleConfigurationOverrides: overrides } : {};
}
