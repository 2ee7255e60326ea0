/**
 * Corrupting arbitrary lines or bytes of a fixture never crashes the import and never
 * breaks `read = complete + partial + skipped + rejected`: checked in-process on many
 * cases, and through the built CLI (exit 0 or 1, no stack trace) on fewer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { lintPayload } from '../../src/contract/lint.js';
import { adapterById } from '../../src/importers/adapters/index.js';
import { runImport } from '../../src/importers/run.js';
import { LineSink } from '../../src/importers/sink.js';
import { Writable } from 'node:stream';
import { runCli } from '../helpers/cli.js';

const CASES = [
  { format: 'litellm', file: 'fixtures/import/litellm/spend.csv', csv: true, args: ['--from', 'litellm'] },
  { format: 'openrouter', file: 'fixtures/import/openrouter/openrouter_activity_2026-06-28.csv', csv: true, args: ['--from', 'openrouter'] },
  { format: 'litellm', file: 'fixtures/import/litellm/spend-logs.json', csv: false, args: ['--from', 'litellm'] },
  { format: 'openai-batch', file: 'fixtures/import/openai-batch/batch_68c3a1e9f0b48190_output.jsonl', csv: false, args: ['--from', 'openai-batch'] },
  { format: 'claude-code', file: 'fixtures/import/claude-code/projects/-home-dev-src-acme-billing/2ff46cd5-f4e7-4724-bb20-579dae7956ea.jsonl', csv: false, args: ['--from', 'claude-code'] },
  {
    format: 'csv',
    file: 'fixtures/import/csv/requests.csv',
    csv: true,
    args: ['--from', 'csv', '--map', 'provider=vendor', '--map', 'model=model_name', '--map', 'inputTokens=prompt', '--map', 'outputTokens=completion', '--map', 'cachedInputTokens=usage_json.cached', '--map', 'createdAt=ts'],
  },
];
const MAPS: Record<string, Record<string, string>> = {
  csv: { provider: 'vendor', model: 'model_name', inputTokens: 'prompt', outputTokens: 'completion', cachedInputTokens: 'usage_json.cached', createdAt: 'ts' },
};

type Op =
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'deleteLine'; line: number }
  | { kind: 'duplicateLine'; line: number }
  | { kind: 'truncateLine'; line: number; keep: number }
  | { kind: 'truncateFile'; keep: number };

const SPECIAL = [0x22, 0x2c, 0x0a, 0x0d, 0x7b, 0x7d, 0x00, 0xff, 0xc3, 0x5b];
const byteArb = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...SPECIAL));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: byteArb }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(byteArb, { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('deleteLine' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateLine' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('truncateLine' as const), line: fc.nat(), keep: fc.nat() }),
  fc.record({ kind: fc.constant('truncateFile' as const), keep: fc.nat() }),
);

/** Apply corruptions; for CSV the header (line 1) is kept, since a broken header is a clean exit 2 by design. */
function corrupt(original: Buffer, ops: Op[], keepHeader: boolean): Buffer {
  let buf = original;
  const headerEnd = keepHeader ? buf.indexOf(10) + 1 : 0;
  for (const op of ops) {
    const body = buf.subarray(headerEnd);
    const head = buf.subarray(0, headerEnd);
    const lines = body.toString('latin1').split('\n');
    const li = (n: number) => n % Math.max(lines.length, 1);
    let next: Buffer;
    switch (op.kind) {
      case 'byte': {
        next = Buffer.from(body);
        if (next.length > 0) next[op.at % next.length] = op.value;
        break;
      }
      case 'insert': {
        const at = body.length === 0 ? 0 : op.at % body.length;
        next = Buffer.concat([body.subarray(0, at), Buffer.from(op.bytes), body.subarray(at)]);
        break;
      }
      case 'deleteLine':
        lines.splice(li(op.line), 1);
        next = Buffer.from(lines.join('\n'), 'latin1');
        break;
      case 'duplicateLine':
        lines.splice(li(op.line), 0, lines[li(op.line)] ?? '');
        next = Buffer.from(lines.join('\n'), 'latin1');
        break;
      case 'truncateLine': {
        const i = li(op.line);
        lines[i] = (lines[i] ?? '').slice(0, op.keep % ((lines[i] ?? '').length + 1));
        next = Buffer.from(lines.join('\n'), 'latin1');
        break;
      }
      case 'truncateFile':
        next = body.subarray(0, op.keep % (body.length + 1));
        break;
    }
    buf = Buffer.concat([head, next]);
  }
  return buf;
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'opsmeter-import-prop-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sinkTo = () => {
  let text = '';
  return {
    sink: new LineSink(new Writable({ write: (c, _e, cb) => ((text += c.toString()), cb()) }), 'memory'),
    text: () => text,
  };
};

describe('import under corruption', () => {
  it.each(CASES.map((c) => [`${c.format} ${c.file.split('/').pop()}`, c] as const))('in-process: %s — no throw, invariant holds, every payload lint-clean', async (_n, c) => {
    const original = readFileSync(c.file);
    const ext = c.file.slice(c.file.lastIndexOf('.'));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 4 }), async (ops) => {
        const path = join(tmp, `case-${n++}${ext}`);
        writeFileSync(path, corrupt(original, ops, c.csv));
        const out = sinkTo();
        const rejects = sinkTo();
        const catalog = builtinCatalog();
        const tally = await runImport({
          adapter: adapterById(c.format)!,
          sources: [{ name: path, path }],
          ctx: { map: MAPS[c.format] ?? {} },
          catalog,
          defaults: { dataMode: 'real', environment: 'prod' },
          output: out.sink,
          rejects: rejects.sink,
        }).catch((e: Error) => {
          // A corrupted CSV header may be refused (exit 2 by design); anything else is a bug.
          if (e.constructor.name === 'ImportStop' && c.csv) return undefined;
          throw e;
        });
        await out.sink.end();
        await rejects.sink.end();
        rmSync(path, { force: true });
        if (!tally) return;
        expect(tally.read).toBe(tally.complete + tally.partialTotal + tally.skippedTotal + tally.rejectedTotal);
        const payloads = out.text().split('\n').filter(Boolean);
        expect(payloads).toHaveLength(tally.complete + tally.partialTotal);
        for (const p of payloads) {
          const errors = lintPayload(JSON.parse(p), { catalog, now: Date.now() }).filter((f) => f.rule.severity === 'error');
          expect(errors).toEqual([]);
        }
        expect(rejects.text().split('\n').filter(Boolean)).toHaveLength(tally.rejectedTotal);
      }),
      { numRuns: 60, seed: 20261126 },
    );
  });

  it('through the built CLI: exit 0 or 1, never a stack trace, invariant in --summary-json', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CASES), fc.array(opArb, { minLength: 1, maxLength: 3 }), async (c, ops) => {
        const ext = c.file.slice(c.file.lastIndexOf('.'));
        const path = join(tmp, `cli-${n}${ext}`);
        const summary = join(tmp, `cli-${n++}.json`);
        writeFileSync(path, corrupt(readFileSync(c.file), ops, c.csv));
        const r = await runCli(['import', path, ...c.args, '--summary-json', summary, '-o', join(tmp, 'out.jsonl')]);
        expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
        expect([0, 1]).toContain(r.code);
        const s = JSON.parse(readFileSync(summary, 'utf8'));
        expect(s.invariantHolds).toBe(true);
        expect(s.read).toBe(s.complete + s.partial.total + s.skipped.total + s.rejected.total);
        expect(r.code).toBe(s.rejected.total > 0 ? 1 : 0);
      }),
      { numRuns: 24, seed: 7 },
    );
  });
});
