/**
 * Shared test material for the contract, reader and validate tests: a clean payload, the
 * fixed clock the createdAt rules are checked against, in-process validation of files, the
 * payload fixture files and the sender's test events.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { builtinCatalog } from '../../src/contract/catalog.js';
import type { LintContext } from '../../src/contract/lint.js';
import type { SendItem } from '../../src/ingest/sender.js';
import { formatFromExtension, type Source } from '../../src/read/records.js';
import { validateSources, type ValidateOptions, type ValidateResult } from '../../src/validate/validate.js';
import { FIXTURES } from './cli.js';

export const PAYLOAD_FIXTURES = join(FIXTURES, 'payloads');

/** The clock every time-dependent check in the tests runs against. */
export const NOW = Date.parse('2026-03-01T12:00:00Z');

export const lintCtx = (): LintContext => ({ catalog: builtinCatalog(), now: NOW });

/** A payload that passes every rule (no error, no warning). */
export function cleanPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const p: Record<string, unknown> = {
    externalRequestId: 'ext_d6d2e4e3ea72d9f95fdb5e2c',
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptVersion: 'summary_v3',
    endpointTag: 'checkout.ai_summary',
    inputTokens: 120,
    outputTokens: 45,
    totalTokens: 165,
    latencyMs: 820,
    status: 'success',
    errorCode: null,
    userId: null,
    dataMode: 'real',
    environment: 'prod',
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete p[k];
    else p[k] = v;
  }
  return p;
}

export function sourceFor(path: string, name = path): Source {
  return { name, path, format: formatFromExtension(path) };
}

/** Validate files in-process with the fixed clock and the built-in catalog. */
export function validateFiles(paths: string[], opts: Partial<ValidateOptions> = {}): Promise<ValidateResult> {
  return validateSources(
    paths.map((p) => sourceFor(p)),
    { catalog: builtinCatalog(), now: NOW, ...opts },
  );
}

/** "line:column rule" for compact assertions. */
export const brief = (r: ValidateResult) => r.problems.map((p) => `${p.line}:${p.column} ${p.rule}`);

/** Payload files (.json, .jsonl, .ndjson) below a folder, in a stable order. */
export function payloadFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...payloadFilesUnder(p));
    else if (/\.(json|jsonl|ndjson)$/.test(name)) out.push(p);
  }
  return out;
}

/** The sender's i-th test event (`ext_t_<i>`), as send reads it from a file. */
export function sendItem(i: number, extra: Record<string, unknown> = {}): SendItem {
  return {
    value: {
      externalRequestId: `ext_t_${i}`,
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptVersion: 'v1',
      endpointTag: 'test.tag',
      inputTokens: 10,
      outputTokens: 5,
      totalTokens: 15,
      latencyMs: 100,
      status: 'success',
      dataMode: 'test',
      environment: 'staging',
      ...extra,
    },
    where: `test #${i}`,
  };
}
