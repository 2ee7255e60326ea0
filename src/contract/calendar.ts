/**
 * Proleptic Gregorian calendar arithmetic without Date objects, in one place for both hot
 * paths that need it: the contract's date-time parser (fields.ts, on every record validate
 * reads) and import's timestamp normaliser (importers/finish.ts, on every row). Date.UTC and
 * toISOString would allocate, and Date.UTC reads years 0000-0099 as 1900-1999.
 */

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in a month (1-12) of a year. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

/** Epoch ms → its UTC date as the number YYYYMMDD (civil_from_days, H. Hinnant), for years 1970-9999. */
export function utcDateNumber(t: number): number {
  const z = Math.floor(t / 86_400_000) + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return y * 10_000 + m * 100 + d;
}

/** "00".."99" and "000".."999": the time of day is looked up, not padded and concatenated piece by piece. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => pad2(n));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => (n < 10 ? '00' : n < 100 ? '0' : '') + n);

/**
 * The last day formatted, as `YYYY-MM-DDT`: the rows of an import or a send come in time
 * order, so consecutive timestamps nearly always share their day (the civil-date
 * arithmetic then runs once per day, not once per row).
 */
let prefixDay = Number.NaN;
let prefix = '';

/** Epoch ms (an integer) → `YYYY-MM-DDTHH:MM:SS.mmmZ`, as Date#toISOString for years 1970-9999. */
export function isoFromEpochMs(t: number): string {
  const day = Math.floor(t / 86_400_000);
  if (day !== prefixDay) {
    const date = utcDateNumber(t);
    prefix = `${Math.floor(date / 10_000)}-${TWO_DIGITS[Math.floor(date / 100) % 100]}-${TWO_DIGITS[date % 100]}T`;
    prefixDay = day;
  }
  let rest = t - day * 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const mi = Math.floor(rest / 60_000);
  rest -= mi * 60_000;
  const sec = Math.floor(rest / 1000);
  return prefix + TWO_DIGITS[h] + ':' + TWO_DIGITS[mi] + ':' + TWO_DIGITS[sec] + '.' + THREE_DIGITS[rest - sec * 1000] + 'Z';
}
