/**
 * `opsmeter schema` prints the payload JSON Schema (draft 2020-12, io "input"), and an
 * independent validator — ajv — agrees with the zod schema on every fixture record and
 * on generated payloads.
 *
 * Two checks of the contract cannot be written in JSON Schema, and are the only allowed
 * differences (each asserted explicitly, never skipped silently):
 *  - PII in userId (e-mail, phone number, IP address, card number, IBAN): a heuristic in code, not a pattern;
 *    JSON Schema accepts such a userId, zod and the linter refuse it.
 *  - createdAt that has the ISO-8601 shape but is not a date (month 13, minute 60, February 30):
 *    JSON Schema has the pattern only; zod and the linter also parse the date.
 */
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATETIME_WITH_ZONE, parseZonedDateTime } from '../../src/contract/fields.js';
import { piiKind } from '../../src/contract/lint.js';
import { payloadJsonSchema, payloadSchema } from '../../src/contract/schema.js';
import { readRecords } from '../../src/read/records.js';
import { payloadArb } from '../helpers/arbitraries.js';
import { runCli } from '../helpers/cli.js';
import { PAYLOAD_FIXTURES, payloadFilesUnder, sourceFor } from '../helpers/payloads.js';

type ValidateFn = ((v: unknown) => boolean) & { errors?: unknown };
const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as new (opts: object) => {
  compile(schema: object): ValidateFn;
  validateSchema(schema: object): boolean;
  errors?: unknown;
};

let printed: Record<string, unknown>;
let validate: ValidateFn;

beforeAll(async () => {
  const r = await runCli(['schema']);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  printed = JSON.parse(r.stdout) as Record<string, unknown>;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  validate = ajv.compile(printed);
});

/** Why ajv and zod may disagree on a value, or undefined when they must agree. */
function inexpressible(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const p = value as Record<string, unknown>;
  const reasons: string[] = [];
  if (typeof p.userId === 'string' && piiKind(p.userId)) reasons.push('pii');
  if (typeof p.createdAt === 'string' && DATETIME_WITH_ZONE.test(p.createdAt) && Number.isNaN(parseZonedDateTime(p.createdAt))) reasons.push('not-a-date');
  return reasons.length ? reasons.join('+') : undefined;
}

/** Asserts agreement, or the one direction of disagreement JSON Schema allows. Returns the class. */
function compare(value: unknown, where: string): 'agree' | 'inexpressible' {
  const ajvOk = validate(value);
  const zodOk = payloadSchema.safeParse(value).success;
  if (ajvOk === zodOk) return 'agree';
  const why = inexpressible(value);
  // JSON Schema can only be more permissive than zod here, never stricter.
  if (why && ajvOk && !zodOk) {
    // Removing the inexpressible part makes zod accept whatever ajv accepts.
    const fixed = { ...(value as Record<string, unknown>) };
    if (why.includes('pii')) fixed.userId = 'u_hashed';
    if (why.includes('not-a-date')) fixed.createdAt = '2026-03-01T12:00:00Z';
    expect(payloadSchema.safeParse(fixed).success, `${where}: zod still refuses once ${why} is removed`).toBe(true);
    return 'inexpressible';
  }
  throw new Error(`ajv ${ajvOk ? 'accepts' : 'refuses'} but zod ${zodOk ? 'accepts' : 'refuses'} ${where}: ${JSON.stringify(value).slice(0, 1000)}\najv: ${JSON.stringify(validate.errors)}`);
}

describe('opsmeter schema', () => {
  it('prints a JSON Schema draft 2020-12 document generated from the zod schema', () => {
    expect(printed.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    // Opsmeter publishes no schema URL, so the id is a URN, not an address that does not exist.
    expect(printed.$id).toBe('urn:opsmeter-cli:schema:llm-request');
    expect(printed).toEqual(payloadJsonSchema());
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validateSchema(printed)).toBe(true);
  });

  it('describes the input side: two object shapes (complete, partial) with the field table', () => {
    const branches = printed.anyOf as { required: string[]; properties: Record<string, { description?: string }> }[];
    expect(branches).toHaveLength(2);
    expect([...branches[0]!.required].sort()).toEqual(['inputTokens', 'model', 'outputTokens', 'provider', 'status']);
    expect([...branches[1]!.required].sort()).toEqual(['metadata', 'model', 'provider', 'status']);
    expect(branches[0]!.properties.inputTokens!.description).toBe('All input tokens, cache reads and writes included.');
  });

  it('--output writes the same document to a file', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'opsmeter-schema-'));
    try {
      const file = join(dir, 'payload.schema.json');
      const r = await runCli(['schema', '--output', file]);
      expect(r).toMatchObject({ code: 0, stdout: '' });
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(printed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ajv (independent JSON Schema validator) and zod agree', () => {
  it('on every fixture record', async () => {
    const counts = { agree: 0, inexpressible: 0, ajvAccepts: 0 };
    for (const path of payloadFilesUnder(PAYLOAD_FIXTURES)) {
      await readRecords(sourceFor(path), {
        record: (r) => {
          counts[compare(r.value, `${path}:${r.line}`)]++;
          if (validate(r.value)) counts.ajvAccepts++;
        },
        fault: () => undefined,
      });
    }
    expect(counts.agree).toBeGreaterThan(80);
    expect(counts.ajvAccepts).toBeGreaterThan(20);
    // The PII fixtures (rules/payload__pii-user-id/bad.jsonl) are the known inexpressible ones.
    expect(counts.inexpressible).toBe(4);
  });

  it('on the inexpressible cases, explicitly', () => {
    const base = { provider: 'openai', model: 'gpt-4o-mini', status: 'success', inputTokens: 1, outputTokens: 2 };
    expect(compare({ ...base, userId: 'jane@example.com' }, 'pii')).toBe('inexpressible');
    expect(compare({ ...base, createdAt: '2026-13-01T00:00:00Z' }, 'month 13')).toBe('inexpressible');
    expect(compare({ ...base, userId: 'u_1', createdAt: '2026-03-01T12:00:00Z' }, 'clean')).toBe('agree');
  });

  it('on generated payloads', () => {
    fc.assert(
      fc.property(payloadArb, (p) => {
        compare(p, 'a generated payload');
      }),
      { numRuns: 2000, seed: 4242 },
    );
  });
});
