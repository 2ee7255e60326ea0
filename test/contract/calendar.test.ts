/** The one calendar module (contract/calendar.ts) against Date, and the two parsers that use it. */
import { describe, expect, it } from 'vitest';
import { daysFromCivil, daysInMonth, isLeapYear } from '../../src/contract/calendar.js';
import { parseZonedDateTime } from '../../src/contract/fields.js';
import { normalizeTimestamp } from '../../src/importers/finish.js';

const utcDays = (y: number, m: number, d: number) => {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d); // unlike Date.UTC, keeps years 0-99 as written
  return Math.round(t.getTime() / 86_400_000);
};
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

describe('calendar', () => {
  it('days in each month and leap years agree with Date, including century rules', () => {
    for (const y of [0, 4, 100, 400, 1900, 1970, 2000, 2023, 2024, 2100, 9999]) {
      expect(isLeapYear(y), String(y)).toBe(utcDays(y, 3, 1) - utcDays(y, 2, 1) === 29);
      for (let m = 1; m <= 12; m++) expect(daysInMonth(y, m), `${y}-${m}`).toBe(utcDays(y, m + 1, 1) - utcDays(y, m, 1));
    }
  });

  it('daysFromCivil agrees with Date from year 0 to 9999', () => {
    for (let y = 0; y <= 9999; y += 37) for (const [m, d] of [[1, 1], [2, 28], [3, 1], [12, 31]] as const) expect(daysFromCivil(y, m, d), `${y}-${m}-${d}`).toBe(utcDays(y, m, d));
  });

  it('validate and import reject the same impossible calendar dates (the fast and the general path)', () => {
    for (const y of [1999, 2000, 2023, 2024, 2100]) {
      for (let m = 1; m <= 12; m++) {
        for (let d = 28; d <= 31; d++) {
          const date = `${y}-${pad(m)}-${pad(d)}`;
          const real = d <= daysInMonth(y, m);
          expect(Number.isNaN(parseZonedDateTime(`${date}T10:00:00Z`)), date).toBe(!real);
          expect(normalizeTimestamp(`${date} 10:00:00`) !== undefined, `${date} fast`).toBe(real);
          expect(normalizeTimestamp(`${date} 10:00 UTC`) !== undefined, `${date} general`).toBe(real);
          expect(normalizeTimestamp(date) !== undefined, `${date} date only`).toBe(real);
        }
      }
    }
  });
});
