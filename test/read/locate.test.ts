/**
 * Positions: line/column of values, keys and missing fields in a JSONL line, a
 * single-object .json file and an array file (pointers like /3/inputTokens); syntax
 * faults; duplicate keys; and deep nesting, which must degrade to the record position
 * rather than crash.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { LineIndex, Locator, findDuplicateKey, findSyntaxFault, loadLocator, mayHaveDuplicateKeys, pointerToPath, topLevelMembers } from '../../src/read/locate.js';
import { payloadArb } from '../helpers/arbitraries.js';

// The positional parser loads lazily in the CLI (a clean file never needs it); load it once here.
beforeAll(loadLocator);

/** 1-based line:column of the n-th occurrence of `needle` in `text` — computed independently. */
function at(text: string, needle: string, nth = 1): string {
  let i = -1;
  for (let k = 0; k < nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i === -1) throw new Error(`${needle} not found`);
  }
  const before = text.slice(0, i);
  const line = before.split('\n').length;
  return `${line}:${i - before.lastIndexOf('\n')}`;
}
const pos = (p: { line: number; column: number }) => `${p.line}:${p.column}`;

describe('pointerToPath', () => {
  it.each([
    ['', []],
    ['/inputTokens', ['inputTokens']],
    ['/3/inputTokens', [3, 'inputTokens']],
    ['/metadata/a~1b~0c', ['metadata', 'a/b~c']],
    ['/metadata/~01', ['metadata', '~1']],
    ['/metadata/007', ['metadata', '007']],
    ['/10', [10]],
  ])('%j → %j', (pointer, path) => {
    expect(pointerToPath(pointer)).toEqual(path);
  });
});

describe('LineIndex', () => {
  it('maps offsets to 1-based line/column and returns the line text without CR', () => {
    const text = 'ab\r\ncd\n\nef';
    const idx = new LineIndex(text);
    expect(idx.at(0)).toEqual({ line: 1, column: 1 });
    expect(idx.at(4, 1, text)).toEqual({ line: 2, column: 1, text: 'cd' });
    expect(idx.at(7, 1, text)).toEqual({ line: 3, column: 1, text: '' });
    expect(idx.at(9, 10, text)).toEqual({ line: 13, column: 2, text: 'ef' });
    expect(idx.at(1, 1, text)).toEqual({ line: 1, column: 2, text: 'ab' });
  });

  it('a lone CR ends a line too (old Mac files), and CR CR LF is two line ends', () => {
    const text = 'ab\rcd\r\r\nef\n\rgh';
    const idx = new LineIndex(text);
    expect(idx.at(3, 1, text)).toEqual({ line: 2, column: 1, text: 'cd' });
    expect(idx.at(4, 1, text)).toEqual({ line: 2, column: 2, text: 'cd' });
    expect(idx.at(6, 1, text)).toEqual({ line: 3, column: 1, text: '' });
    expect(idx.at(8, 1, text)).toEqual({ line: 4, column: 1, text: 'ef' });
    expect(idx.at(12, 1, text)).toEqual({ line: 6, column: 1, text: 'gh' });
  });

  it('gives the same positions whatever the line ends (LF, CRLF, CR)', () => {
    const lf = JSON.stringify({ provider: 'openai', metadata: { tags: ['a', 'b'] }, inputTokens: '12' }, null, 2);
    for (const eol of ['\r\n', '\r']) {
      const other = lf.replace(/\n/g, eol);
      const a = new Locator(lf).locate('/inputTokens', 'value');
      const b = new Locator(other).locate('/inputTokens', 'value');
      expect(b).toEqual(a);
      expect(new Locator(other).locate('/metadata/tags/1', 'value')).toEqual(new Locator(lf).locate('/metadata/tags/1', 'value'));
    }
  });
});

describe('Locator in a JSONL line', () => {
  const line = '{"provider":"openai","model":"gpt-4.1","inputTokens":"12","metadata":{"usageStatus":"partial"}}';
  const loc = new Locator(line, 42);
  it('values, on the line number the line has in its file', () => {
    expect(pos(loc.locate('/model', 'value'))).toBe('42:' + at(line, '"gpt-4.1"').split(':')[1]);
    expect(pos(loc.locate('/inputTokens', 'value'))).toBe('42:' + at(line, '"12"').split(':')[1]);
    expect(pos(loc.locate('/metadata/usageStatus', 'value'))).toBe('42:' + at(line, '"partial"').split(':')[1]);
  });
  it('keys', () => {
    expect(pos(loc.locate('/model', 'key'))).toBe('42:' + at(line, '"model"').split(':')[1]);
  });
  it('a missing field points at its nearest existing ancestor, or the record', () => {
    expect(pos(loc.locate('/outputTokens', 'record'))).toBe('42:1');
    expect(pos(loc.locate('/outputTokens', 'value'))).toBe('42:1');
    expect(pos(loc.locate('/metadata/partialReason', 'value'))).toBe('42:' + at(line, '{"usageStatus"').split(':')[1]);
  });
  it('carries the line text for the code frame', () => {
    expect(loc.locate('/model', 'value').text).toBe(line);
  });
});

describe('Locator in a single-object .json file', () => {
  const text = '{\n  "provider": "openai",\n  "model": "gpt-4o-mini",\n  "metadata": {\n    "tags": ["a", "b"]\n  }\n}\n';
  const loc = new Locator(text);
  it.each([
    ['/provider', 'value', '"openai"'],
    ['/model', 'key', '"model"'],
    ['/metadata/tags', 'value', '["a"'],
    ['/metadata/tags/1', 'value', '"b"'],
  ] as const)('%s (%s)', (pointer, target, needle) => {
    expect(pos(loc.locate(pointer, target))).toBe(at(text, needle));
  });
  it('missing → the record', () => {
    expect(pos(loc.locate('/status', 'record'))).toBe('1:1');
    expect(pos(loc.locate('/status', 'value'))).toBe('1:1');
  });
  it('the frame text is that line', () => {
    expect(loc.locate('/model', 'value').text).toBe('  "model": "gpt-4o-mini",');
  });
});

describe('Locator in an array file (record pointer /3)', () => {
  const records = [0, 1, 2, 3].map((i) => `  {"externalRequestId": "ext_${i}", "inputTokens": ${i === 3 ? '"12"' : i}}`);
  const text = '[\n' + records.join(',\n') + '\n]\n';
  const loc = new Locator(text);
  it('a value of element 3 is on line 5', () => {
    expect(pos(loc.locate('/inputTokens', 'value', '/3'))).toBe(at(text, '"12"'));
    expect(at(text, '"12"').startsWith('5:')).toBe(true);
  });
  it('a key of element 2', () => {
    expect(pos(loc.locate('/inputTokens', 'key', '/2'))).toBe(at(text, '"inputTokens"', 3));
  });
  it('a missing field → the element itself, not the array', () => {
    expect(pos(loc.locate('/status', 'record', '/1'))).toBe('3:3');
    expect(pos(loc.locate('/status', 'value', '/3'))).toBe('5:3');
  });
  it('two records on one line are told apart', () => {
    const t = '[{"a":1},{"a":"x"}]';
    expect(pos(new Locator(t).locate('/a', 'value', '/1'))).toBe(at(t, '"x"'));
  });
});

describe('deep nesting', () => {
  it('falls back to the record start instead of overflowing the stack', () => {
    const n = 100_000;
    const text = '  ' + '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    const loc = new Locator(text, 7);
    expect(pos(loc.locate('/a/a/a', 'value'))).toBe('7:3');
    expect(findDuplicateKey(text)).toBeUndefined();
    // Past 64 levels the cheap pre-check does not walk; it defers to the precise scan above.
    expect(mayHaveDuplicateKeys(text, JSON.parse(text))).toBe(true);
  });
  it('a syntax fault in deep input still gets a position (from JSON.parse)', () => {
    const text = '['.repeat(100_000);
    let message = '';
    try {
      JSON.parse(text);
    } catch (e) {
      message = (e as Error).message;
    }
    const f = findSyntaxFault(text, message);
    expect(f.offset).toBe(text.length);
  });
});

describe('findSyntaxFault', () => {
  it.each([
    ['{"a": 1', 'expected "}" — the object is not closed (truncated?)', 7],
    ['[{"a": 1}', 'expected "]" — the array is not closed (truncated?)', 9],
    ['{"a": "abc', 'unterminated string', 6],
    ['{"a": NaN}', 'unexpected token "NaN" (NaN is not a JSON number)', 6],
    ['{"a": Infinity}', 'unexpected token "Infinity" (Infinity is not a JSON number)', 6],
    ['{"a": -Infinity}', 'unexpected token "-Infinity" (-Infinity is not a JSON number)', 6],
    ['{"a": 1,}', 'expected a quoted property name', 8],
    ['{a: 1}', 'unexpected token "a"', 1],
    ['{"a": 1} x', 'unexpected token "x"', 9],
    ['{"a": 1 // c\n}', 'comments are not allowed in JSON', 8],
    ["{'a': 1}", 'unexpected token "\'a\'"', 1],
    ['{"a": "x\ty"}', 'control character inside a string', 6],
  ])('%j → %s at offset %i', (text, message, offset) => {
    let parseMessage = '';
    try {
      JSON.parse(text);
    } catch (e) {
      parseMessage = (e as Error).message;
    }
    expect(parseMessage).not.toBe('');
    const f = findSyntaxFault(text, parseMessage);
    expect(f.message).toBe(message);
    expect(f.offset).toBe(offset);
  });
});

describe('findDuplicateKey', () => {
  it('finds the second occurrence with its pointer', () => {
    const t = '{"provider":"openai","model":"a","model":"b"}';
    expect(findDuplicateKey(t)).toEqual({ key: 'model', offset: t.lastIndexOf('"model"'), pointer: '/model' });
  });
  it('inside metadata and inside an array element', () => {
    const t = '[{"a":1},{"metadata":{"x":1,"y":2,"x":3}}]';
    expect(findDuplicateKey(t)).toMatchObject({ key: 'x', pointer: '/1/metadata/x' });
    const u = '[1,[2,3],{"k":1,"k":2}]';
    expect(findDuplicateKey(u)).toMatchObject({ key: 'k', pointer: '/2/k' });
  });
  it('the same key in sibling objects is not a duplicate', () => {
    expect(findDuplicateKey('[{"a":1},{"a":2},{"m":{"a":1}, "a":3}]')).toBeUndefined();
  });
  it('escapes the key in the pointer', () => {
    expect(findDuplicateKey('{"a/b":1,"a/b":2}')).toMatchObject({ pointer: '/a~1b' });
  });
});

describe('mayHaveDuplicateKeys (hot-path pre-check)', () => {
  const check = (t: string) => mayHaveDuplicateKeys(t, JSON.parse(t));
  it('false for ordinary lines, colons in strings included', () => {
    expect(check('{"a":1,"b":"x"}')).toBe(false);
    expect(check('{"createdAt":"2026-03-01T12:00:00Z","userId":"2001:db8::1","m":{"k:1":"v"}}')).toBe(false);
    expect(check('[1,2]')).toBe(false);
  });
  it('true when a key was lost to a duplicate', () => {
    expect(check('{"a":1,"a":2}')).toBe(true);
    expect(check('{"m":{"x":1,"x":1}}')).toBe(true);
  });
  it('white space before a colon does not hide a duplicate', () => {
    // It used to: the uncounted spaced key and the lost duplicate cancelled out.
    expect(check('{"a" :1,"a":2}')).toBe(true);
    expect(check('{"a":1, "a"\t: 2}')).toBe(true);
    expect(check('{"a"\r\n:1,"a":2}')).toBe(true);
    expect(check('{"a" : 1, "b" : 2}')).toBe(false);
  });
  it('is not fooled by \\u escapes: an escaped colon is no key, an escaped quote ends no string', () => {
    expect(check('{"a":"\\u003a"}')).toBe(false);
    expect(check('{"a":"x\\u0022:y"}')).toBe(false);
    expect(check('{"a":1,"a":"\\u003a"}')).toBe(true);
    expect(check('{"a":"\\\\","a":1}')).toBe(true); // a key after a string ending in an escaped backslash
  });
  it('never clears a text that has a duplicate key (property: random JSON with escapes, colons and spacing)', () => {
    // Keys from a small pool (so duplicates are common) with quotes, backslashes and colons in them.
    const key = fc.constantFrom('a', 'b', 'a:', '"', '\\', 'x":', 'k\\"', ':', 'é');
    const str = fc.constantFrom('', 'v', ':', '":', '\\', '\\":', '"x":1', '日本');
    const space = fc.constantFrom('', ' ', '\n');
    const text: fc.Arbitrary<string> = fc.letrec<{ value: string; object: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom('1', 'null', 'true', '-2.5e3'),
        str.map((v) => JSON.stringify(v)),
        str.map((v) => JSON.stringify(v).replace(/:/g, '\\u003a')),
        tie('object'),
        fc.array(tie('value'), { maxLength: 3 }).map((xs) => `[${xs.join(',')}]`),
      ),
      object: fc
        .array(fc.tuple(key, space, space, tie('value')), { maxLength: 5 })
        .map((entries) => `{${entries.map(([k, s1, s2, v]) => `${JSON.stringify(k)}${s1}:${s2}${v}`).join(',')}}`),
    })).object;
    fc.assert(
      fc.property(text, (t) => {
        if (!mayHaveDuplicateKeys(t, JSON.parse(t))) expect(findDuplicateKey(t), t).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });
});

describe('topLevelMembers: the one-walk positions of a top-level object\'s members', () => {
  /** What the Locator answers for every one-segment pointer (value and key) and the record, and what the walk answers. */
  function both(text: string, names: string[]) {
    const locator = new Locator(text);
    const top = topLevelMembers(text)!;
    const fast = (name: string, target: 'value' | 'key') => {
      const m = top.members.get(name);
      return pos(locator.position(m ? (target === 'key' ? m.key : m.value) : top.start));
    };
    const slow = (name: string, target: 'value' | 'key') => pos(locator.locate('/' + name.replace(/~/g, '~0').replace(/\//g, '~1'), target));
    return names.flatMap((n) => [`${n} ${fast(n, 'value')} ${fast(n, 'key')}`, `${n} ${slow(n, 'value')} ${slow(n, 'key')}`]);
  }
  const pairsAgree = (lines: string[]) => {
    for (let i = 0; i < lines.length; i += 2) expect(lines[i], lines[i]).toBe(lines[i + 1]);
  };

  it('agrees with the Locator on one line, pretty-printed, with escapes, nesting and strings that look like keys', () => {
    const texts = [
      '{"provider":"openai","model":"gpt-4o-mini","inputTokens":"12","status":"success"}',
      JSON.stringify({ a: 1, 'b/c': { x: [1, { y: '"z":' }] }, 'we"ird\\key': 'v: "w"', metadata: { a: '}' }, last: null }, null, 2),
      '  \r\n{ "k" :\t "v" , "n":\n\n 12 ,"e\\u0041":[ ] }',
    ];
    for (const text of texts) {
      const keys = Object.keys(JSON.parse(text) as object);
      pairsAgree(both(text, [...keys, 'missing']));
    }
  });

  it('agrees with the Locator on generated payloads', () => {
    fc.assert(
      fc.property(payloadArb.filter((v) => typeof v === 'object' && v !== null && !Array.isArray(v)), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        pairsAgree(both(text, [...Object.keys(value as object), 'absent']));
      }),
      { numRuns: 200 },
    );
  });

  it('is undefined for a text that is no object, or has a top-level key twice', () => {
    expect(topLevelMembers('[1,2]')).toBeUndefined();
    expect(topLevelMembers('"s"')).toBeUndefined();
    expect(topLevelMembers('{"a":1,"b":{"a":2},"a":3}')).toBeUndefined();
    expect(topLevelMembers('{"a":1,"b":{"a":2}}')!.members.size).toBe(2);
  });
});
