/**
 * Whatever a record holds, an adapter answers it exactly once and never throws; a payload
 * it drafts either carries both token counts or is marked partial, and its counts are
 * non-negative safe integers. Records are fixture records with random parts replaced,
 * removed or retyped (what truncated, hand-edited or newer-version files look like), plus
 * arbitrary JSON.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { adapter as openaiBatch } from '../../src/importers/adapters/openai-batch.js';
import { adapter as openaiLog } from '../../src/importers/adapters/openai-log.js';
import { adapter as anthropicBatch } from '../../src/importers/adapters/anthropic-batch.js';
import { adapter as claudeCode } from '../../src/importers/adapters/claude-code.js';
import { adapter as bedrock } from '../../src/importers/adapters/bedrock.js';
import type { Adapter, Draft, SourceRecord } from '../../src/importers/types.js';
import { FIXTURES } from '../helpers/cli.js';
import { loadRecords } from './adapters/harness.js';

const DIR = join(FIXTURES, 'import');
const ADAPTERS: [Adapter, string][] = [
  [openaiBatch, 'openai-batch'],
  [openaiLog, 'openai-log'],
  [anthropicBatch, 'anthropic-batch'],
  [claudeCode, 'claude-code'],
  [bedrock, 'bedrock'],
];

async function fixtureValues(dir: string): Promise<unknown[]> {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(jsonl|json|json\.gz)$/.test(f));
  const out: unknown[] = [];
  for (const f of files) out.push(...(await loadRecords(join(dir, f))).map((r) => r.value));
  return out;
}

type Path = (string | number)[];

function paths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      const p = [...prefix, Array.isArray(v) ? Number(k) : k];
      out.push(p);
      paths(x, p, out);
    }
  }
  return out;
}

/** Replace (or delete, when `replacement` is undefined) the value at `path` in a deep copy. */
function mutate(v: unknown, path: Path, replacement: unknown): unknown {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let node = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) delete node[last];
  else node[last] = replacement;
  return copy;
}

const odd = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(''),
  fc.constant(-1),
  fc.constant(1.5),
  fc.constant(1e400),
  fc.constant(Number.MAX_SAFE_INTEGER + 2),
  fc.string({ maxLength: 300 }),
  fc.integer({ min: 0, max: 10_000 }),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.jsonValue({ maxDepth: 2 }),
);

function checkDraft(d: Draft): void {
  for (const k of ['inputTokens', 'outputTokens', 'totalTokens', 'cachedInputTokens', 'cacheWriteTokens', 'reasoningTokens', 'latencyMs'] as const) {
    if (d[k] !== undefined) expect(Number.isSafeInteger(d[k]) && d[k]! >= 0, `${k} = ${d[k]}`).toBe(true);
  }
  if (d.inputTokens === undefined || d.outputTokens === undefined) expect(d.partialReason).toBeDefined();
  expect(typeof d.sourceId === 'string' && d.sourceId !== '').toBe(true);
  expect(typeof d.model === 'string' && d.model !== '').toBe(true);
  // An undefined entry is allowed: the payload leaves it out (Draft.metadata).
  for (const v of Object.values(d.metadata ?? {})) expect(['string', 'number', 'boolean', 'undefined'].includes(typeof v) || v === null).toBe(true);
}

function runAll(adapter: Adapter, values: unknown[]): void {
  const converter = adapter.create({ map: {} });
  const records: SourceRecord[] = values.map((value, i) => ({ value, file: 'mutated.jsonl', line: i + 1 }));
  const seen = new Map<number, number>();
  const take = (rs: ReturnType<typeof converter.push>) => {
    for (const r of rs) {
      seen.set(r.record.line, (seen.get(r.record.line) ?? 0) + 1);
      if (r.outcome.kind === 'payload') checkDraft(r.outcome.draft);
      if (r.outcome.kind === 'reject') expect(r.outcome.reason.length).toBeLessThan(200);
    }
  };
  for (const r of records) take(converter.push(r));
  take(converter.finish());
  expect(seen.size).toBe(records.length);
  expect([...seen.values()].every((n) => n === 1)).toBe(true);
}

describe.each(ADAPTERS)('%s adapter under corrupted records', (adapter, dir) => {
  test('mutated fixture records: answered once each, never a throw, never an unmarked payload without usage', async () => {
    const values = await fixtureValues(join(DIR, dir));
    const targets = values.map((v) => ({ v, paths: paths(v) }));
    const mutation = fc
      .tuple(fc.nat(targets.length - 1), fc.nat(), odd)
      .map(([i, j, x]) => {
        const t = targets[i]!;
        return t.paths.length === 0 ? x : mutate(t.v, t.paths[j % t.paths.length]!, x);
      });
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 4, arbitrary: mutation }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }), { maxLength: 40 }), (batch) => {
        runAll(adapter, batch);
      }),
      { numRuns: 150, seed: 20250915 },
    );
  });
});
