/**
 * parseZonedDateTime: the hand-rolled ISO-8601 parser behind payload/created-at. It must
 * agree with an independent computation (Date's own calendar arithmetic) on every valid
 * input, including the years 0000-0099 that Date.UTC would shift into the 1900s, and
 * refuse what DATETIME_WITH_ZONE refuses or the calendar does not have.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DATETIME_WITH_ZONE, parseZonedDateTime, zonedDateTimeFromEpochMs } from '../../src/contract/fields.js';

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Epoch ms by Date's setUTCFullYear/setUTCHours (no two-digit-year mapping), minus the offset. */
function reference(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offsetMin: number): number {
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, ms);
  return t.getTime() - offsetMin * 60_000;
}

describe('parseZonedDateTime', () => {
  it('agrees with Date arithmetic on random valid date-times (fractions, offsets, leap days, years 0000-9999)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.option(fc.integer({ min: 0, max: 59 })),
        fc.option(fc.stringMatching(/^[0-9]{1,9}$/)),
        fc.oneof(fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.boolean())),
        (y, mo, d, h, mi, s, frac, zone) => {
          const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
          const dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
          let text = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}`;
          if (s !== null) text += `:${pad(s, 2)}` + (frac !== null ? `.${frac}` : '');
          let offset = 0;
          if (zone === 'Z') text += 'Z';
          else {
            const [sign, oh, om, colon] = zone;
            text += `${sign}${pad(oh, 2)}${colon ? ':' : ''}${pad(om, 2)}`;
            offset = (sign === '+' ? 1 : -1) * (oh * 60 + om);
          }
          expect(DATETIME_WITH_ZONE.test(text)).toBe(true);
          const ms = s !== null && frac !== null ? Number((frac + '00').slice(0, 3)) : 0;
          const expected = d > dim ? NaN : reference(y, mo, d, h, mi, s ?? 0, ms, offset);
          expect(parseZonedDateTime(text)).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('matches Date.parse on ordinary timestamps', () => {
    for (const t of ['2026-03-01T12:00:00Z', '2026-03-01T12:00:00.5Z', '2026-03-01T12:00:00.123456789Z', '2024-02-29T23:59:59.999+14:00', '1970-01-01T00:00Z', '2026-12-31T00:00:00-05:30']) {
      expect(parseZonedDateTime(t)).toBe(Date.parse(t));
    }
  });

  it('reads years before 0100 as written', () => {
    expect(parseZonedDateTime('0050-06-15T00:00:00Z')).toBe(Date.parse('0050-06-15T00:00:00Z'));
    expect(parseZonedDateTime('0000-01-01T00:00:00Z')).toBe(Date.parse('0000-01-01T00:00:00Z'));
  });

  it.each([
    '2026-02-29T00:00:00Z', // not a leap year
    '1900-02-29T00:00:00Z', // century, not a leap year
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T12:60:00Z',
    '2026-01-01T12:00:60Z',
    '2026-01-01T12:00:00.Z',
    '2026-01-01T12:00:00.1234567890Z', // ten fraction digits
    '2026-01-01T12:00:00', // no zone
    '2026-01-01 12:00:00Z',
    '2026-01-01T12:00:00+24:00',
    '2026-01-01T12:00:00+01:60',
    '2026-01-01T12:00:00+1:00',
    '2026-01-01T12:00:00Zjunk',
    '2026-01-01T1a:00:00Z',
    '２０２６-01-01T12:00:00Z',
  ])('refuses %s', (t) => {
    expect(parseZonedDateTime(t)).toBeNaN();
  });
});

describe('zonedDateTimeFromEpochMs and the remembered parse', () => {
  it('formats as toISOString, and a parse of that text, or of any other text right after it, gives that text\'s own instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), fc.integer({ min: 0, max: 253_402_300_799_999 }), (a, b) => {
        const text = zonedDateTimeFromEpochMs(a);
        expect(text).toBe(new Date(a).toISOString());
        expect(parseZonedDateTime(text)).toBe(a);
        const other = new Date(b).toISOString();
        expect(parseZonedDateTime(other)).toBe(b);
        // The same text built anew (another string object) still parses to its own instant.
        expect(parseZonedDateTime(text.slice(0, 10) + text.slice(10))).toBe(a);
        expect(parseZonedDateTime(text + ' ')).toBeNaN();
      }),
    );
  });
  it('a refused text is remembered as refused, and the next valid one is not', () => {
    expect(parseZonedDateTime('2026-02-30T00:00:00Z')).toBeNaN();
    expect(parseZonedDateTime('2026-02-30T00:00:00Z')).toBeNaN();
    expect(parseZonedDateTime('2026-02-28T00:00:00Z')).toBe(Date.parse('2026-02-28T00:00:00Z'));
  });
});
