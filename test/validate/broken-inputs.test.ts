/**
 * Malformed input never crashes and loses nothing: each file in fixtures/payloads/broken
 * (plus the ones too big to commit, generated here) yields the documented problems with a
 * line and column. Also: the committed byte-exact fixtures still equal what their script
 * writes, and the valid fixtures are clean.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES } from '../../src/read/lines.js';
import { expandPaths } from '../../src/read/paths.js';
import { PAYLOAD_FIXTURES, brief, validateFiles } from '../helpers/payloads.js';
import { HAS_OFFICIAL_PAYLOADS_REF, OFFICIAL_PAYLOADS_REF } from '../helpers/cli.js';

const BROKEN = join(PAYLOAD_FIXTURES, 'broken');
const VALID = join(PAYLOAD_FIXTURES, 'valid');
const b = (name: string) => join(BROKEN, name);

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-broken-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CLEAN_LINE = JSON.stringify({
  externalRequestId: 'ext_gen_0001',
  provider: 'openai',
  model: 'gpt-4o-mini',
  promptVersion: 'summarizer_v3',
  endpointTag: 'checkout.ai_summary',
  inputTokens: 120,
  outputTokens: 45,
  latencyMs: 820,
  status: 'success',
});

describe('committed broken inputs', () => {
  it.each([
    // [file, expected "line:column rule" list, a message fragment of the first problem]
    ['truncated-last-line.jsonl', ['3:68 json/syntax'], 'unterminated string', 2],
    ['unterminated-string.jsonl', ['2:76 json/syntax'], 'unterminated string', 1],
    ['binary.jsonl', ['1:1 json/encoding', '2:1 json/encoding'], 'not valid UTF-8', 0],
    ['nan-infinity.jsonl', ['1:164 json/syntax', '2:183 json/syntax', '3:216 json/syntax'], 'unexpected token "NaN" (NaN is not a JSON number)', 0],
    ['huge-number.jsonl', ['1:164 payload/count', '2:183 payload/count'], 'beyond the range of a double', 2],
    ['numbers-as-strings.jsonl', ['1:164 payload/type', '1:185 payload/type', '1:204 payload/type', '1:222 payload/type'], 'inputTokens must be a JSON number, got the string "120"', 1],
    ['fractional-tokens.jsonl', ['1:164 payload/count'], 'inputTokens must be a whole number, got 12.5', 1],
    ['duplicate-keys.jsonl', ['2:82 json/duplicate-key'], 'key "model" appears twice in one object', 2],
    // The later "status" wins in JSON.parse, so the record also reads as an error without errorCode.
    ['duplicate-keys.json', ['13:5 json/duplicate-key', '2:3 payload/error-code-missing'], 'key "status" appears twice in one object', 2],
    ['empty.jsonl', ['1:1 file/empty'], 'no payloads: the file is empty', 0],
    ['empty.json', ['1:1 file/empty'], 'no payloads: the file is empty', 0],
    ['empty-array.json', ['1:1 file/empty'], 'no payloads: the array is empty', 0],
    ['blank-lines.jsonl', ['1:1 file/empty'], 'no payloads: the file holds only blank lines', 0],
    ['utf16.json', ['1:1 json/encoding'], 'file is UTF-16; save it as UTF-8', 0],
    ['utf16.jsonl', ['1:1 json/encoding'], 'file is UTF-16; save it as UTF-8', 0],
  ])('%s', async (file, expected, message, records) => {
    const r = await validateFiles([b(file)]);
    expect(brief(r)).toEqual(expected);
    expect(r.problems[0]!.message).toContain(message);
    expect(r.counts.records).toBe(records);
  });

  it('a huge number reports the field, not a silently rounded value', async () => {
    const r = await validateFiles([b('huge-number.jsonl')]);
    expect(r.problems.map((p) => p.pointer)).toEqual(['/inputTokens', '/outputTokens']);
  });

  it.each(['bom.jsonl', 'bom.json', 'crlf.jsonl', 'crlf.json'])('%s (accepted encoding variant) is clean', async (file) => {
    const r = await validateFiles([b(file)]);
    expect(r.problems).toEqual([]);
    expect(r.counts.records).toBeGreaterThan(0);
  });

  it('CRLF: positions are the same as with LF, and the blank CRLF line is counted', async () => {
    const r = await validateFiles([b('crlf.jsonl')]);
    expect(r.files[0]).toMatchObject({ records: 2, blankLines: 1 });
  });

  it('a directory with no payload files is reported as an empty match', async () => {
    const r = await expandPaths([b('no-payload-files')]);
    expect(r.sources).toEqual([]);
    expect(r.emptyMatches).toEqual([b('no-payload-files')]);
  });

  it('every broken fixture is covered by a test above', () => {
    const covered = new Set([
      'truncated-last-line.jsonl', 'unterminated-string.jsonl', 'binary.jsonl', 'nan-infinity.jsonl', 'huge-number.jsonl',
      'numbers-as-strings.jsonl', 'fractional-tokens.jsonl', 'duplicate-keys.jsonl', 'duplicate-keys.json', 'empty.jsonl',
      'empty.json', 'empty-array.json', 'blank-lines.jsonl', 'utf16.json', 'utf16.jsonl', 'bom.jsonl', 'bom.json',
      'crlf.jsonl', 'crlf.json', 'no-payload-files',
    ]);
    expect(readdirSync(BROKEN).filter((f) => !covered.has(f))).toEqual([]);
  });
});

describe('generated broken inputs (too big to commit)', () => {
  const N = 100_000;

  it('100k levels of nested arrays in .json: one not-object error, no crash', async () => {
    const path = join(tmp, 'deep-array.json');
    writeFileSync(path, '['.repeat(N) + ']'.repeat(N));
    // The file is an array whose one element (at column 2) is an array.
    expect(brief(await validateFiles([path]))).toEqual(['1:2 payload/not-object']);
  });

  it('100k levels of nested objects in metadata, as .json and as JSONL', async () => {
    const deep = '{"a":'.repeat(N) + '1' + '}'.repeat(N);
    const record = CLEAN_LINE.replace(/}$/, `,"metadata":${deep}}`);
    const json = join(tmp, 'deep-object.json');
    const jsonl = join(tmp, 'deep-object.jsonl');
    writeFileSync(json, record);
    writeFileSync(jsonl, record + '\n' + CLEAN_LINE.replace('ext_gen_0001', 'ext_gen_0002') + '\n');
    for (const path of [json, jsonl]) {
      const r = await validateFiles([path]);
      // Too deep to locate precisely: the problem falls back to the record's position.
      expect(brief(r)).toEqual(['1:1 payload/metadata']);
      expect(r.problems[0]!.pointer).toBe('/metadata/a');
    }
  });

  it('100k levels, truncated: a syntax error at the end of the line', async () => {
    const path = join(tmp, 'deep-truncated.jsonl');
    writeFileSync(path, '['.repeat(N) + '\n' + CLEAN_LINE + '\n');
    const r = await validateFiles([path]);
    expect(brief(r)).toEqual([`1:${N + 1} json/syntax`]);
    expect(r.counts.records).toBe(1);
  });

  it('a line over 10 MB is reported and skipped; the lines around it are checked', async () => {
    const path = join(tmp, 'long-line.jsonl');
    const bad = CLEAN_LINE.replace('ext_gen_0001', 'ext_gen_0003').replace('"status":"success"', '"status":"Success"');
    writeFileSync(path, `${CLEAN_LINE}\n{"pad":"${'x'.repeat(MAX_LINE_BYTES)}"}\n${bad}\n`);
    const r = await validateFiles([path]);
    expect(brief(r)).toEqual(['2:1 json/line-too-long', `3:${bad.indexOf('"Success"') + 1} payload/enum`]);
    expect(r.counts.records).toBe(2);
  });
});

describe('fixture hygiene', () => {
  it('the byte-exact fixtures equal what make-binary-fixtures.mjs writes', async () => {
    const { binaryFixtures } = (await import(join(PAYLOAD_FIXTURES, 'make-binary-fixtures.mjs'))) as { binaryFixtures(): Map<string, Buffer> };
    const files = binaryFixtures();
    expect(files.size).toBeGreaterThan(0);
    for (const [rel, bytes] of files) expect(readFileSync(join(PAYLOAD_FIXTURES, rel)).equals(bytes), rel).toBe(true);
  });

  it('the valid fixtures have no problem at all — and hold no createdAt (it would age)', async () => {
    const { sources } = await expandPaths([VALID]);
    expect(sources.length).toBeGreaterThanOrEqual(12);
    const r = await validateFiles(sources.map((s) => s.path));
    expect(r.problems).toEqual([]);
    for (const s of sources) expect(readFileSync(s.path, 'utf8'), relative(VALID, s.path)).not.toContain('createdAt');
  });

  it('there is a valid partial payload for every partial reason', async () => {
    const { PARTIAL_REASONS } = await import('../../src/contract/fields.js');
    const { sources } = await expandPaths([VALID]);
    const text = sources.map((s) => readFileSync(s.path, 'utf8')).join('\n');
    for (const reason of PARTIAL_REASONS) expect(text).toMatch(new RegExp(`"partialReason":\\s*"${reason}"`));
  });

  it.skipIf(!HAS_OFFICIAL_PAYLOADS_REF)('the official payloads are unchanged copies of the shared reference (../shared/reference/official-payloads)', () => {
    const names = readdirSync(OFFICIAL_PAYLOADS_REF).filter((f) => statSync(join(OFFICIAL_PAYLOADS_REF, f)).isFile());
    expect(names.length).toBe(3);
    for (const f of names) expect(readFileSync(join(VALID, 'official', f)).equals(readFileSync(join(OFFICIAL_PAYLOADS_REF, f))), f).toBe(true);
  });
});
