/**
 * .json arrays read element by element (issue 8): a bad element is one fault where it is and
 * the others are still read; duplicate keys are found per element and belong to that record
 * only (issue 12), in pretty and one-line arrays alike; validate and import read an array
 * larger than their heap in flat memory.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineIndex, loadLocator } from '../../src/read/locate.js';
import { readRecords, type FaultInfo, type RecordInfo } from '../../src/read/records.js';
import { importFixture } from '../importers/helpers.js';
import { FIXTURES, runCli } from '../helpers/cli.js';
import { cleanPayload } from '../helpers/payloads.js';

beforeAll(loadLocator);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-arrays-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: string | Buffer, ext = '.json'): string {
  const path = join(dir, `a${n++}${ext}`);
  writeFileSync(path, content);
  return path;
}

async function read(content: string | Buffer) {
  const path = file(content);
  const records: RecordInfo[] = [];
  const faults: FaultInfo[] = [];
  const stats = await readRecords({ name: path, path, format: 'json' }, { record: (r) => void records.push(r), fault: (f) => void faults.push(f) });
  return { records, faults, stats };
}

describe('.json arrays, element by element', () => {
  it('a bad element is one syntax fault at its position with its /N pointer; the elements after it are read', async () => {
    const { records, faults, stats } = await read('[\n  {"a": 1},\n  {"a": 01},\n  {"a": 3}\n]\n');
    expect(faults).toEqual([{ fault: 'syntax', line: 3, column: 10, pointer: '/1', message: 'expected "," or a closing bracket', text: '  {"a": 01}' }]);
    expect(records.map((r) => [r.index, r.line, r.pointer, r.value])).toEqual([
      [0, 2, '/0', { a: 1 }],
      [1, 4, '/2', { a: 3 }],
    ]);
    expect(stats).toMatchObject({ format: 'json', records: 2, lines: 5, stopped: false });
  });

  it('in a one-line array, a position carries the tail of the line before the element, and the column that tail starts at', async () => {
    const before = Array.from({ length: 40 }, (_, i) => `{"n":${i}}`).join(',');
    const { records, faults } = await read(`[${before},{"n":1,"n":2}]`);
    const column = before.length + 3; // "[", the elements, "," — then the element's "{"
    expect(faults).toHaveLength(1);
    const f = faults[0]!;
    expect(f).toMatchObject({ fault: 'duplicate-key', line: 1, column: column + 7, pointer: '/40/n', recordIndex: 40 });
    // The excerpt ends with the element, and the column it starts at lines the caret up.
    expect(f.text!.endsWith(',{"n":1,"n":2}')).toBe(true);
    expect(f.text![f.column - f.textColumn!]).toBe('"');
    expect(f.text!.slice(f.column - f.textColumn!)).toBe('"n":2}');
    expect(records[40]!.locate('', 'record')).toMatchObject({ line: 1, column });
  });

  it('a duplicate key belongs to its element only: the fault says which record holds it', async () => {
    const { records, faults } = await read('[{"a":1},{"b":1,"b":2},{"c":1}]');
    expect(faults).toMatchObject([{ fault: 'duplicate-key', line: 1, column: 17, pointer: '/1/b', recordIndex: 1 }]);
    expect(records.map((r) => r.value)).toEqual([{ a: 1 }, { b: 2 }, { c: 1 }]);
  });

  it('a duplicate key in a single multi-line object is at its line and belongs to record 0', async () => {
    const { records, faults } = await read('{\n  "model": "a",\n  "x": 1,\n  "model": "b"\n}\n');
    expect(faults).toMatchObject([{ fault: 'duplicate-key', line: 4, column: 3, pointer: '/model', recordIndex: 0 }]);
    expect(records).toHaveLength(1);
  });

  it('a break in the array: jsonc-parser names an earlier fault in the element when there is one', async () => {
    const { records, faults } = await read('[{"a":1},\n {"b" 2, "c": [}]');
    expect(records).toHaveLength(1);
    expect(faults).toMatchObject([{ fault: 'syntax', line: 2, column: 7, pointer: '/1', message: 'expected ":"; the rest of the file cannot be read' }]);
  });

  it('a truncated array ends with one fault at the end; what came before is read', async () => {
    const { records, faults } = await read('[\n  {"a": 1},\n  {"a": 2, "b": [1, 2');
    expect(records).toHaveLength(1);
    expect(faults).toMatchObject( [{ fault: 'syntax', line: 3, column: 22, pointer: '/1', message: 'expected "]" — the array is not closed (truncated?)' }]);
  });

  it('deep nesting keeps precise positions: a fault 100,000 levels down is at its column', async () => {
    const deep = '['.repeat(100_000) + 'x' + ']'.repeat(100_000);
    const { records, faults } = await read(`[{"a":1},\n ${deep},\n {"a":2}]`);
    expect(records.map((r) => r.value)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(faults).toMatchObject([{ fault: 'syntax', line: 2, column: 2 + 100_000, pointer: '/1' }]);
  });

  it('an element that is not UTF-8 is an encoding fault with its pointer; the others are read', async () => {
    const bad = Buffer.concat([Buffer.from('[\n {"a":1},\n {"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"},\n {"a":3}\n]')]);
    const { records, faults } = await read(bad);
    expect(faults).toMatchObject([{ fault: 'encoding', line: 3, column: 8, pointer: '/1' }]);
    expect(records.map((r) => r.value)).toEqual([{ a: 1 }, { a: 3 }]);
  });
});

/** JSON text of one object, pretty-printed or on one line, with the offsets of keys repeated in it. */
interface Built {
  text: string;
  /** Absolute offsets (in the array text) of each element's repeated key, by element. */
  dupAt: Map<number, { offset: number; key: string }>;
}

const key = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 });
const scalar = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null));
const row = fc.uniqueArray(fc.tuple(key, scalar), { minLength: 1, maxLength: 6, selector: ([k]) => k });
const dupSpec = fc.record({ key: fc.nat(), after: fc.nat(), value: scalar });
const layout = fc.record({ indent: fc.constantFrom('', '  ', '    ', '\t'), crlf: fc.boolean() });

function buildArray(rows: [string, unknown][][], dups: ({ key: number; after: number; value: unknown } | null)[], l: { indent: string; crlf: boolean }): Built {
  const nl = l.indent === '' ? '' : l.crlf ? '\r\n' : '\n';
  const dupAt = new Map<number, { offset: number; key: string }>();
  let text = '[' + nl;
  rows.forEach((entries, i) => {
    const list: [string, unknown, boolean][] = entries.map(([k, v]) => [k, v, false]);
    const d = dups[i];
    if (d) {
      const k = d.key % entries.length;
      const at = k + 1 + (d.after % (entries.length - k)); // after the first occurrence
      list.splice(at, 0, [entries[k]![0], d.value, true]);
    }
    text += (i === 0 ? '' : ',' + nl) + l.indent + '{' + nl;
    list.forEach(([k, v, isDup], j) => {
      text += l.indent + l.indent;
      if (isDup) dupAt.set(i, { offset: text.length, key: k });
      text += JSON.stringify(k) + (l.indent === '' ? ':' : ': ') + JSON.stringify(v) + (j < list.length - 1 ? ',' : '') + nl;
    });
    text += l.indent + '}';
  });
  return { text: text + nl + ']' + nl, dupAt };
}

const escapeToken = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

describe('duplicate keys in pretty and one-line arrays (fast-check)', () => {
  it('each duplicate is one fault at the repeated key, naming its element; every element is still a record', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(row, fc.option(dupSpec, { freq: 3 })), { minLength: 1, maxLength: 6 }),
        layout,
        async (spec, l) => {
          const built = buildArray(
            spec.map(([r]) => r),
            spec.map(([, d]) => d),
            l,
          );
          const { records, faults } = await read(built.text);
          const index = new LineIndex(built.text);
          const want = [...built.dupAt.entries()].map(([i, d]) => {
            const pos = index.at(d.offset);
            return { fault: 'duplicate-key', line: pos.line, column: pos.column, pointer: `/${i}/${escapeToken(d.key)}`, recordIndex: i };
          });
          expect(faults.map(({ fault, line, column, pointer, recordIndex }) => ({ fault, line, column, pointer, recordIndex }))).toEqual(want);
          expect(records.map((r) => r.value)).toEqual(JSON.parse(built.text));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('import rejects exactly the LiteLLM rows that repeat a key, each with its line; the others are imported', async () => {
    const base = JSON.parse(readFileSync(join(FIXTURES, 'import', 'litellm', 'spend-logs.json'), 'utf8'))[0] as Record<string, unknown>;
    const fields = ['prompt_tokens', 'completion_tokens', 'model', 'request_id', 'startTime', 'status'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.record({ field: fc.constantFrom(...fields), after: fc.nat() }), { freq: 2 }), { minLength: 1, maxLength: 5 }),
        layout,
        async (dups, l) => {
          const rows = dups.map((_, i) => Object.entries({ ...base, request_id: `req-${i}` }));
          const specs = dups.map((d, i) => (d ? { key: rows[i]!.findIndex(([k]) => k === d.field), after: d.after, value: 99999 } : null));
          const built = buildArray(rows, specs, l);
          const path = file(built.text);
          const r = await importFixture('litellm', [path]);
          const rejected = [...built.dupAt.keys()];
          // A reject's line is its element's first line.
          expect(r.rejects.map((x: { reason: string }) => x.reason.includes('appears twice in one object'))).toEqual(rejected.map(() => true));
          expect(r.rejects.map((x: { line: number }) => x.line)).toEqual(rejected.map((i) => elementLine(built.text, i)));
          expect(r.payloads).toHaveLength(rows.length - rejected.length);
          expect(r.payloads.every((p: { inputTokens?: number }) => p.inputTokens !== 99999)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** The line an array element starts on, from a whole-text parse. */
function elementLine(text: string, i: number): number {
  let depth = 0;
  let count = -1;
  let line = 1;
  let inString = false;
  for (let k = 0; k < text.length; k++) {
    const c = text[k]!;
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') k++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 1 && c === '{' && ++count === i) return line;
      depth++;
    } else if (c === '}' || c === ']') depth--;
  }
  throw new Error(`no element ${i}`);
}

describe('the CLI on JSON arrays', () => {
  it('issue 12: a pretty-printed LiteLLM array with "prompt_tokens" twice rejects that record with its line, not last-wins', async () => {
    const rows = JSON.parse(readFileSync(join(FIXTURES, 'import', 'litellm', 'spend-logs.json'), 'utf8')) as Record<string, unknown>[];
    const text = JSON.stringify(rows, null, 2).replace(/("prompt_tokens": 3530,\n)/, '$1      "prompt_tokens": 99999,\n');
    expect(text).toContain('"prompt_tokens": 99999');
    const path = file(text);
    const rejects = join(dir, 'rejects-pretty.jsonl');
    const r = await runCli(['import', path, '--from', 'litellm', '--rejects', rejects]);
    expect(r.code, r.stderr).toBe(1);
    const payloads = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(payloads.map((p) => p.inputTokens)).not.toContain(99999);
    expect(payloads).toHaveLength(rows.length - 1);
    const rej = readFileSync(rejects, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const dupLine = text.split('\n').findIndex((l) => l.includes('99999')) + 1;
    expect(rej).toHaveLength(1);
    expect(rej[0].line).toBe(elementLine(text, 1));
    expect(rej[0].reason).toBe(`key "prompt_tokens" appears twice in one object (line ${dupLine}, column 7)`);
  });

  it('issue 12: a one-line JSON array with one duplicate key rejects only that element', async () => {
    const rows = JSON.parse(readFileSync(join(FIXTURES, 'import', 'litellm', 'spend-logs.json'), 'utf8')) as Record<string, unknown>[];
    const text = JSON.stringify(rows).replace('"prompt_tokens":3530,', '"prompt_tokens":3530,"prompt_tokens":99999,');
    const path = file(text);
    const rejects = join(dir, 'rejects-line.jsonl');
    const r = await runCli(['import', path, '--from', 'litellm', '--rejects', rejects]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout.trim().split('\n')).toHaveLength(rows.length - 1);
    const rej = readFileSync(rejects, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rej).toHaveLength(1);
    expect(rej[0].reason).toMatch(/^key "prompt_tokens" appears twice in one object \(line 1, column \d+\)$/);
    expect(JSON.parse(rej[0].raw).request_id).toBe(rows[1]!.request_id);
  });

  it('validate: problems in an array element carry its line, column and /N pointer; the code frame of a one-line array points at the value', async () => {
    const good = cleanPayload();
    const bad = cleanPayload({ externalRequestId: 'ext_bad', inputTokens: -5, totalTokens: 40 });
    const path = file(JSON.stringify([good, good, bad].map((p, i) => ({ ...p, externalRequestId: `${p.externalRequestId}_${i}` }))));
    const r = await runCli(['validate', path]);
    expect(r.code).toBe(1);
    const text = readFileSync(path, 'utf8');
    const col = text.indexOf('-5') + 1;
    expect(r.stdout).toContain(`1:${col}`);
    expect(r.stdout).toContain('at /2/inputTokens');
    // The caret stands under the value in the clipped frame.
    const lines = r.stdout.split('\n');
    const frame = lines.findIndex((l) => /^\s+1 \| /.test(l) && l.includes('-5'));
    expect(frame).toBeGreaterThan(-1);
    const caret = lines[frame + 1]!.indexOf('^');
    expect(lines[frame]!.slice(caret, caret + 2)).toBe('-5');
  });
});
