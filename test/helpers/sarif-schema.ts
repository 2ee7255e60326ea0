/**
 * Validation against the official SARIF 2.1.0 JSON Schema (OASIS, errata 01), kept verbatim in
 * test/report/sarif-schema-2.1.0.json: from https://github.com/oasis-tcs/sarif-spec,
 * sarif-2.1/schema/sarif-schema-2.1.0.json at commit e0583813964ec43cea53b6b531b402866095ed1f.
 *
 * The schema is draft-04; ajv 8 reads it as draft-07 once its `id` is spelled `$id` (the
 * keywords it uses mean the same in both). Its three formats are checked here as RFC 3986
 * and RFC 3339 define them, strictly enough to catch a space or a control character in a
 * URI reference (a file name that was not percent-encoded).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { ROOT } from './cli.js';

type ValidateFn = ((v: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (
  opts: object,
) => {
  compile(schema: object): ValidateFn;
  addFormat(name: string, check: (s: string) => boolean): void;
};

/** RFC 3986 URI-reference: unreserved, reserved and percent-encoded characters only, and a scheme (if any) that parses. */
const URI_CHARS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
const isUriReference = (s: string) => URI_CHARS.test(s) && (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) || URL.canParse(s));
const isUri = (s: string) => URI_CHARS.test(s) && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && URL.canParse(s);
const isDateTime = (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s));

let validate: ValidateFn | undefined;

/** The schema errors of a SARIF document ("" path = the root); [] when it is valid. */
export function sarifSchemaErrors(doc: unknown): string[] {
  if (!validate) {
    const {
      id,
      $schema: _draft,
      ...schema
    } = JSON.parse(readFileSync(join(ROOT, 'test', 'report', 'sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('uri', isUri);
    ajv.addFormat('uri-reference', isUriReference);
    ajv.addFormat('date-time', isDateTime);
    validate = ajv.compile({ $id: id, ...schema });
  }
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
