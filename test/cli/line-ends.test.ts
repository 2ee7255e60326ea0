/**
 * End to end: the same payload files written with LF, CRLF and CR-only line ends (old Mac
 * files, some Excel exports) give the same line:column for every problem through the built
 * CLI — a pretty-printed single-object .json, a pretty-printed .json array (the streamed
 * reader), and .jsonl — including a duplicate key and a syntax fault, and the code frame
 * shows the right line. Run `npx tsc -p tsconfig.json` before running this file alone.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-line-ends-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const EOLS = { lf: '\n', crlf: '\r\n', cr: '\r' } as const;

const payload = (id: string, extra: Record<string, unknown> = {}) => ({
  externalRequestId: id,
  provider: 'openai',
  model: 'gpt-4o-mini',
  promptVersion: 'v1',
  endpointTag: 'chat',
  inputTokens: 12,
  outputTokens: 3,
  latencyMs: 5,
  status: 'success',
  ...extra,
});

/** Writes `lfText` with each line end and validates it; returns "line:column rule" per problem. */
async function positions(name: string, lfText: string, eol: string): Promise<{ code: number | null; found: string[]; pretty: string }> {
  const file = join(tmp, name);
  writeFileSync(file, lfText.replace(/\n/g, eol));
  const json = await runCli(['validate', '--no-config', '--format', 'json', file]);
  const report = JSON.parse(json.stdout) as { problems: { line: number; column: number; rule: string }[] };
  const pretty = await runCli(['validate', '--no-config', file]);
  return { code: json.code, found: report.problems.map((p) => `${p.line}:${p.column} ${p.rule}`), pretty: pretty.stdout };
}

describe('validate: LF, CRLF and CR-only line ends give the same positions', () => {
  const object = JSON.stringify(payload('e1', { inputTokens: '12' }), null, 2) + '\n';
  // Line 7 is `  "inputTokens": "12",`: the value starts at column 18.
  it.each(Object.entries(EOLS))('a pretty-printed single-object .json (%s)', async (kind, eol) => {
    const r = await positions(`object-${kind}.json`, object, eol);
    expect(r.code).toBe(1);
    expect(r.found).toEqual(['7:18 payload/type']);
    expect(r.pretty).toContain('  7:18 ');
    expect(r.pretty).toContain('7 |   "inputTokens": "12",');
  });

  const duplicate = '{\n  "provider": "openai",\n  "model": "gpt-4o-mini",\n  "provider": "anthropic"\n}\n';
  it.each(Object.entries(EOLS))('a duplicate key in a .json file (%s)', async (kind, eol) => {
    const r = await positions(`dup-${kind}.json`, duplicate, eol);
    expect(r.found).toContain('4:3 json/duplicate-key');
  });

  const broken = '{\n  "provider": "openai",\n  "model": "gpt-4o-mini"\n  "status": "success"\n}\n';
  it.each(Object.entries(EOLS))('a syntax fault in a .json file (%s)', async (kind, eol) => {
    const r = await positions(`syntax-${kind}.json`, broken, eol);
    expect(r.found).toEqual(['4:3 json/syntax']);
  });

  const array = JSON.stringify([payload('a1'), payload('a2', { inputTokens: '12' })], null, 2) + '\n';
  // The second element starts on line 13; its `"inputTokens": "12"` is line 19, value at column 20.
  it.each(Object.entries(EOLS))('a pretty-printed .json array, streamed element by element (%s)', async (kind, eol) => {
    const r = await positions(`array-${kind}.json`, array, eol);
    expect(r.code).toBe(1);
    expect(r.found).toEqual(['19:20 payload/type']);
    expect(r.pretty).toContain('19 |     "inputTokens": "12",');
  });

  const jsonl = [payload('l1'), payload('l2', { inputTokens: '12' }), payload('l3')].map((p) => JSON.stringify(p)).join('\n') + '\n{"provider":\n';
  const column = JSON.stringify(payload('l2', { inputTokens: '12' })).indexOf('"12"') + 1;
  it.each(Object.entries(EOLS))('.jsonl, a bad value and a truncated last line (%s)', async (kind, eol) => {
    const r = await positions(`lines-${kind}.jsonl`, jsonl, eol);
    expect(r.found).toEqual([`2:${column} payload/type`, '4:13 json/syntax']);
  });
});
