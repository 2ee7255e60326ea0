/**
 * Payloads serialised in groups (src/importers/payload-lines.ts): a group's text is cut back
 * into each payload's own JSON exactly, or not at all — also when a string holds the boundary
 * text, and when a nested object looks like the next payload's start.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupText } from '../../src/importers/payload-lines.js';

const BOUNDARY = '},{"externalRequestId":';
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(BOUNDARY, `"${BOUNDARY}"`, '\\', '"},{', 'é', '\u2028') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);
const nested = fc.array(fc.record({ externalRequestId: text, n: fc.nat() }), { maxLength: 3 });
const payload = fc.record({
  externalRequestId: text,
  provider: text,
  inputTokens: fc.nat(),
  metadata: fc.dictionary(text, fc.oneof(text, fc.nat(), fc.boolean(), fc.constant(null), nested)),
});

describe('groupText', () => {
  it("cuts a group's text into each payload's own JSON, or refuses", () => {
    fc.assert(
      fc.property(fc.array(payload, { minLength: 1, maxLength: 40 }), (group) => {
        const cut = groupText(group);
        if (cut === undefined) return;
        expect(cut.starts).toHaveLength(group.length + 1);
        for (let i = 0; i < group.length; i++) expect(cut.text.slice(cut.starts[i], cut.starts[i + 1]! - 1)).toBe(JSON.stringify(group[i]));
      }),
      { numRuns: 500 },
    );
  });

  it('cuts a plain group', () => {
    const group = [
      { externalRequestId: 'ext_1', provider: 'openai', metadata: { note: BOUNDARY } },
      { externalRequestId: 'ext_2', provider: 'openai', metadata: {} },
    ];
    const cut = groupText(group)!;
    expect(cut.text.slice(cut.starts[0], cut.starts[1]! - 1)).toBe(JSON.stringify(group[0]));
    expect(cut.text.slice(cut.starts[1], cut.starts[2]! - 1)).toBe(JSON.stringify(group[1]));
  });

  it('refuses a group where a nested object looks like the next payload', () => {
    const group = [
      { externalRequestId: 'ext_1', metadata: { list: [{ a: 1 }, { externalRequestId: 'x' }] } },
      { externalRequestId: 'ext_2' },
    ];
    expect(groupText(group)).toBeUndefined();
  });
});
