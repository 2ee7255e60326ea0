/**
 * What the emulator prints of what clients sent (src/emulator/printable.ts): no character that
 * ends a line, moves the cursor, talks to the terminal or reorders text gets through raw.
 */
import { describe, expect, it } from 'vitest';
import { jsonLine, printable } from '../../src/emulator/printable.js';

const NASTY = 'ext_1\n#2 POST forged\r\u001b[2J\u009b31m\u0007\u2028\u202etxt.exe\u0000';

describe('printable', () => {
  it('escapes C0, DEL, C1, the line separators and the bidi controls; leaves other text alone', () => {
    expect(printable(NASTY)).toBe('ext_1\\n#2 POST forged\\r\\u001b[2J\\u009b31m\\u0007\\u2028\\u202etxt.exe\\u0000');
    expect(printable('ext_ü_日本_😀 "quoted" \\ back')).toBe('ext_ü_日本_😀 "quoted" \\ back');
    expect(printable('a\u007fb')).toBe('a\\u007fb');
  });

  it('a JSON line carries no raw control either, and parses back to the same value', () => {
    const line = jsonLine({ id: NASTY });
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(line)).toEqual({ id: NASTY });
  });
});
