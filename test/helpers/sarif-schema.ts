/**
 * Checks of a SARIF document, two ways:
 *
 * - sarifShapeErrors, always: the structure opsmeter writes, as test/cli/validate.test.ts
 *   checks validate's (version, rules, each result's rule index, level, message, location),
 *   with every artifact URI an RFC 3986 URI reference.
 * - sarifSchemaErrors, against the official SARIF 2.1.0 JSON Schema (OASIS, errata 01: from
 *   https://github.com/oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json at commit
 *   e0583813964ec43cea53b6b531b402866095ed1f), kept as test data in
 *   test/report/sarif-schema-2.1.0.json (its source and terms: test/report/SOURCES.md); should
 *   it be missing, the tests that need it are reported as skipped (HAS_SARIF_SCHEMA). The schema is draft-04; ajv 8
 *   reads it as draft-07 once its `id` is spelled `$id` (the keywords it uses mean the same in
 *   both), and its three formats are checked here as RFC 3986 and RFC 3339 define them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { ALL_RULES } from '../../src/contract/rules.js';
import { ROOT, SHARED } from './cli.js';

type ValidateFn = ((v: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (
  opts: object,
) => {
  compile(schema: object): ValidateFn;
  addFormat(name: string, check: (s: string) => boolean): void;
};

/** RFC 3986 URI-reference: unreserved, reserved and percent-encoded characters only, and a scheme (if any) that parses. */
const URI_CHARS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
export const isUriReference = (s: string) => URI_CHARS.test(s) && (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) || URL.canParse(s));
const isUri = (s: string) => URI_CHARS.test(s) && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && URL.canParse(s);
const isDateTime = (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s));

const SCHEMA_PATH = [join(ROOT, 'test', 'report', 'sarif-schema-2.1.0.json'), join(SHARED, 'reference', 'sarif-schema-2.1.0.json')].find((p) => existsSync(p));
export const HAS_SARIF_SCHEMA = SCHEMA_PATH !== undefined;

let validate: ValidateFn | undefined;

/** The schema errors of a SARIF document ("/" = the root); [] when it is valid. Needs HAS_SARIF_SCHEMA. */
export function sarifSchemaErrors(doc: unknown): string[] {
  if (!SCHEMA_PATH) throw new Error('the SARIF 2.1.0 schema is not available: skip this test when !HAS_SARIF_SCHEMA');
  if (!validate) {
    const { id, $schema: _draft, ...schema } = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('uri', isUri);
    ajv.addFormat('uri-reference', isUriReference);
    ajv.addFormat('date-time', isDateTime);
    validate = ajv.compile({ $id: id, ...schema });
  }
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

interface SarifResult {
  ruleId?: string;
  ruleIndex?: number;
  level?: string;
  message?: { text?: string };
  locations?: { physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number; startColumn?: number } } }[];
}

/** What is wrong with the structure opsmeter writes; [] when nothing is. */
export function sarifShapeErrors(doc: unknown): string[] {
  const errors: string[] = [];
  const d = doc as {
    $schema?: string;
    version?: string;
    runs?: { tool?: { driver?: { name?: string; rules?: { id: string }[] } }; results?: SarifResult[] }[];
  };
  if (d.version !== '2.1.0') errors.push(`version is ${d.version}`);
  if (!/sarif-2\.1\.0/.test(d.$schema ?? '')) errors.push(`$schema is ${d.$schema}`);
  if (d.runs?.length !== 1) return [...errors, 'not exactly one run'];
  const run = d.runs[0]!;
  if (run.tool?.driver?.name !== 'opsmeter') errors.push('the driver is not opsmeter');
  const rules = run.tool?.driver?.rules ?? [];
  if (rules.map((r) => r.id).join() !== ALL_RULES.map((r) => r.id).join()) errors.push('the rules are not the registry');
  (run.results ?? []).forEach((r, i) => {
    const at = `results[${i}]`;
    if (r.ruleIndex === undefined || rules[r.ruleIndex]?.id !== r.ruleId) errors.push(`${at}: ruleIndex ${r.ruleIndex} is not ${r.ruleId}`);
    if (!['error', 'warning', 'note'].includes(r.level ?? '')) errors.push(`${at}: level ${r.level}`);
    if (!r.message?.text) errors.push(`${at}: no message`);
    const loc = r.locations?.[0]?.physicalLocation;
    const uri = loc?.artifactLocation?.uri;
    if (uri === undefined || !isUriReference(uri)) errors.push(`${at}: uri ${JSON.stringify(uri)} is no URI reference`);
    if (!((loc?.region?.startLine ?? 0) >= 1 && (loc?.region?.startColumn ?? 0) >= 1)) errors.push(`${at}: region ${JSON.stringify(loc?.region)}`);
  });
  return errors;
}
