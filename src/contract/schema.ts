/**
 * The zod schema of the ingest payload, built from the field table (fields.ts).
 * It is what `opsmeter schema` prints (as JSON Schema, io "input") and what the emulator
 * and the sender use to accept or refuse a payload. The fast linter (lint.ts) must agree
 * with it on every error; test/contract/agreement.test.ts checks that.
 */
import { z } from 'zod';
import {
  DATETIME_WITH_ZONE,
  FIELDS,
  PARTIAL_REASONS,
  parseZonedDateTime,
  type FieldName,
  type FieldSpec,
} from './fields.js';
import { piiKind } from './lint.js';

const metadataValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const isMetadataValue = (x: unknown) =>
  x === null || typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x));

/**
 * zod skips an own "__proto__" key without validating it (a prototype-pollution guard),
 * but JSON.parse creates one from `{"__proto__": …}` and the linter and JSON Schema
 * validators check it like any key. This check sees the raw input, so all three agree.
 */
const protoKeyChecked = z.custom<Record<string, unknown>>(
  (v) => typeof v !== 'object' || v === null || !Object.hasOwn(v, '__proto__') || isMetadataValue(Object.getOwnPropertyDescriptor(v, '__proto__')!.value),
  { message: 'metadata.__proto__ must be a string, number, boolean or null' },
);

/** Flat metadata: the given known keys, every other value a string/number/boolean/null. */
function metadataObject(known: Record<string, z.ZodType>): z.ZodType {
  return z.intersection(z.looseObject(known).catchall(metadataValue), protoKeyChecked);
}

function fieldSchema(name: FieldName, spec: FieldSpec): z.ZodType {
  switch (spec.kind) {
    case 'string': {
      let s: z.ZodType = z.string().min(spec.min).max(spec.max);
      if (name === 'userId') {
        s = (s as z.ZodString).refine((v) => piiKind(v) === undefined, { message: 'userId looks like PII; hash it' });
      }
      return spec.nullable ? s.nullable() : s;
    }
    case 'enum':
      return z.enum(spec.values as [string, ...string[]]);
    case 'count':
      return z.int().nonnegative();
    case 'datetime':
      return z.string().regex(DATETIME_WITH_ZONE, 'ISO-8601 date-time with a zone').refine((v) => !Number.isNaN(parseZonedDateTime(v)), 'not a real date-time');
    case 'metadata':
      return metadataObject({});
  }
}

/**
 * The field table as a zod shape. `overrides` replace a field's schema; an overridden
 * 'unless-partial' field becomes optional, and `alsoRequired` makes optional fields required.
 */
function shape(overrides: Partial<Record<FieldName, z.ZodType>>, alsoRequired: readonly FieldName[] = []): Record<string, z.ZodType> {
  const out: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries(FIELDS) as [FieldName, FieldSpec][]) {
    let s = overrides[name] ?? fieldSchema(name, spec);
    const required = spec.required === true || (spec.required === 'unless-partial' && !overrides[name]) || alsoRequired.includes(name);
    if (!required) s = s.optional();
    out[name] = s.describe(spec.doc);
  }
  return out;
}

/** A payload with measured usage: both token counts present. */
const completePayload = z
  .looseObject(
    shape({
      metadata: metadataObject({ usageStatus: z.literal('complete').optional() }),
    }),
  )
  .describe('Complete payload: usage was measured.');

/** A payload marked partial: token counts that are unknown are omitted, never 0. */
const partialPayload = z
  .looseObject(
    shape({
      inputTokens: z.int().nonnegative(),
      outputTokens: z.int().nonnegative(),
      metadata: metadataObject({ usageStatus: z.literal('partial'), partialReason: z.enum(PARTIAL_REASONS) }),
    }, ['metadata']), // the partial mark lives in metadata: without it, this branch must not match
  )
  .describe('Partial payload (opsmeter convention): metadata.usageStatus = "partial" with a partialReason.');

export const payloadSchema = z.union([completePayload, partialPayload]).describe('Opsmeter ingest payload (POST /v1/ingest/llm-request)');

/** The printed schema's `$id` (docs/validate.md, "opsmeter schema"). */
const PAYLOAD_SCHEMA_ID = 'urn:opsmeter-cli:schema:llm-request';

export function payloadJsonSchema(): Record<string, unknown> {
  const js = z.toJSONSchema(payloadSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    // Opsmeter publishes no schema URL: a URN names this document without claiming one.
    $id: PAYLOAD_SCHEMA_ID,
    title: 'Opsmeter ingest payload',
    ...js,
  };
}
