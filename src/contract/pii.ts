/**
 * Does a string look like a person's identity — an e-mail address, a phone number, an IP
 * address, a payment card or a bank account? The API forbids PII anywhere in a payload:
 * `userId` is checked as an error (payload/pii-user-id), other strings as a warning
 * (payload/pii-value).
 *
 * It runs on every payload of million-line files, so one pass over the character codes
 * decides first whether a string can be any of them at all (no `@`, no `:`, no bracketed
 * "at" and fewer than four digits: nothing to look at); only the few that can meet a regex.
 *
 * Caught: e-mails anywhere in the text (`Alice <a@x.com>`, padded, upper-case, `mailto:`,
 * `%40`-encoded, full-width `＠`, `alice(at)example.com`, `alice [at] example [dot] com`,
 * `alice@localhost`, `a@[192.0.2.1]`), IPv4 with or without a port, CIDR networks, dotted
 * octal/hex IPv4 (`0300.0250.0001.0001`), IPv6 (compressed, zoned, `[…]:port`, `::ffff:`
 * IPv4-mapped, `/prefix`), phone numbers with `+` or grouped digits (`tel:` URIs, extensions),
 * payment card numbers (a card network's prefix and length, the Luhn check digit; bare or
 * grouped 4-4-4-4 / 4-6-5 by spaces or dashes), IBANs (a registry country and its length, the
 * mod-97 check; compact or in groups of four).
 * Not flagged (docs/validate.md says why): hashes, UUIDs, plain numbers and decimals, dates and
 * times, versions, order numbers, and bare digit strings without a `+` — a numeric user id, a
 * phone number without its `+`, and a 32-bit integer that could be an IPv4 address
 * (`3232235777`, `0xC0A80101`) cannot be told apart.
 */
import { isIP } from 'node:net';

/** Scanned at most: an identifier is short; a long metadata text is judged by its start. */
const MAX_SCAN = 1024;

const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])/;
/** A mailbox on this machine or on an address literal: no dotted domain, still a person's. */
const EMAIL_LOCAL_HOST = /(?:^|[\s<:,;"'(])[A-Za-z0-9._%+-]+@(?:localhost|\[[0-9A-Fa-f:.]+\])(?![A-Za-z0-9.-])/i;
/** `(at)`, `[at]`, `{at}`, `<at>` and the same for "dot": the usual anti-scraper spellings. */
const BRACKETED_AT = /\s*[([{<]\s*at\s*[)\]}>]\s*/gi;
const BRACKETED_DOT = /\s*[([{<]\s*dot\s*[)\]}>]\s*/gi;
/** `alice at example dot com`, only as the whole string: in running text "at" is a word. */
const SPELLED_EMAIL = /^\s*[A-Za-z0-9._%+-]+\s+at\s+[A-Za-z0-9-]+(?:\s+dot\s+[A-Za-z0-9-]+)*\s+dot\s+[A-Za-z]{2,}\s*$/i;
const IPV4_PORT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::\d{1,5})?$/;
/** inet_aton's other spellings of a dotted quad: octal parts with a leading 0, hex parts with 0x. */
const IPV4_ANY_BASE =
  /^(0x[0-9a-f]{1,2}|0[0-7]{0,3}|[1-9]\d{0,2})\.(0x[0-9a-f]{1,2}|0[0-7]{0,3}|[1-9]\d{0,2})\.(0x[0-9a-f]{1,2}|0[0-7]{0,3}|[1-9]\d{0,2})\.(0x[0-9a-f]{1,2}|0[0-7]{0,3}|[1-9]\d{0,2})$/i;
const CIDR = /^(.+)\/(\d{1,3})$/;
const BRACKETED_V6 = /^\[([0-9A-Fa-f:.%\w]+)\](?::\d{1,5})?$/;
const PHONE_CHARS = /^\+?[\d\s().-]+$/;
const EXTENSION = /\s*(?:ext\.?|x|#)\s*\d{1,6}$/i;
const DATE_LIKE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4})$/;
const DECIMAL = /^\d+(?:\.\d+)?$/;
/** How cards are printed: bare, 4-4-4-4(-3) or Amex/Diners 4-6-5 / 4-6-4, by spaces or dashes. */
const CARD_LAYOUT = /^(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5})$/;
const IBAN_LAYOUT = /^[A-Za-z]{2}\d{2}(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?)$/;

const table = (chars: string): boolean[] => {
  const t: boolean[] = [];
  for (const ch of chars) t[ch.charCodeAt(0)] = true;
  return t;
};
const MAY_OPEN = table('0123456789+(:[abcdefABCDEFtTiI');
const IPV6_CHAR = table('0123456789abcdefABCDEF:.[]');

export type PiiKind = 'an e-mail address' | 'a phone number' | 'an IPv4 address' | 'an IPv6 address' | 'a payment card number' | 'an IBAN';

/** Character classes for the one pass: a bit each, OR-ed together over the string. */
const DIGIT = 1;
const AT_SIGN = 2;
const COLON = 4;
const PERCENT = 8;
const SPACE = 16;
const BRACKET = 32;
const LETTER_T = 64;
const CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT;
CLASS[64] = AT_SIGN;
CLASS[58] = COLON;
CLASS[37] = PERCENT;
CLASS[32] = SPACE;
for (const ch of '([{<') CLASS[ch.charCodeAt(0)] = BRACKET;
CLASS[116] = CLASS[84] = LETTER_T;

/** What kind of PII the string looks like, or undefined. */
export function piiKind(value: string): PiiKind | undefined {
  const s = value.length > MAX_SCAN ? value.slice(0, MAX_SCAN) : value;
  let digits = 0;
  let seen = 0;
  let atWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) {
      // Full-width forms (＠, ０-９, ．) are the same characters to a reader: judge the NFKC form.
      const folded = s.normalize('NFKC');
      return folded !== s && folded.length <= MAX_SCAN ? piiKind(folded) : piiKindAscii(s, digits + countDigits(s, i + 1), true, true, true, true, true);
    }
    const k = CLASS[c]!;
    if (k === 0) continue;
    if (k === DIGIT) digits++;
    // "at" spelled out (`alice(at)example.com`): without it, brackets and spaces are just text.
    else if (k === LETTER_T && i > 0 && (s.charCodeAt(i - 1) | 32) === 97) atWord = true;
    seen |= k;
  }
  return piiKindAscii(
    s,
    digits,
    (seen & AT_SIGN) !== 0,
    (seen & COLON) !== 0,
    (seen & PERCENT) !== 0,
    atWord && (seen & BRACKET) !== 0,
    atWord && (seen & SPACE) !== 0,
  );
}

const isDigit = (c: number) => c >= 48 && c <= 57;

function countDigits(s: string, from: number): number {
  let n = 0;
  for (let i = from; i < s.length; i++) if (isDigit(s.charCodeAt(i))) n++;
  return n;
}

function piiKindAscii(s: string, digits: number, at: boolean, colon: boolean, percent: boolean, bracket: boolean, space: boolean): PiiKind | undefined {
  if ((at || percent || bracket || space) && isEmail(s, at, percent, bracket, space)) return 'an e-mail address';
  if (digits === 0 || (digits < 4 && !colon)) return undefined;
  let t = s.trim();
  if (digits >= 4 && t.length >= 15 && opensLikeIban(t) && isIban(t)) return 'an IBAN';
  // An IP or a phone number opens with a digit, '+', '(', ':' or '[', a hex digit (IPv6) or
  // a tel:/ip: prefix; hashed ids ("u_…"), words and tags do not get past this.
  if (!MAY_OPEN[t.charCodeAt(0)]) return undefined;
  if (t.length > 4 && (t.charCodeAt(3) === 58 || t.charCodeAt(2) === 58)) t = t.replace(/^(?:tel|ip):/i, '');
  if (digits >= 13 && isCard(t)) return 'a payment card number';
  // isPhone removes an extension of at most 6 digits and wants 7–15 left: past 21 digits (a
  // long numeric or hex id, on every row of some formats) its regexes need not run.
  return ipKind(t, colon) ?? (digits >= 7 && digits <= 21 && isPhone(t) ? 'a phone number' : undefined);
}

function isEmail(s: string, at: boolean, percent: boolean, bracket: boolean, space: boolean): boolean {
  let text = percent ? s.replace(/%40/gi, '@') : s;
  if (bracket && /[([{<]\s*at\s*[)\]}>]/i.test(text)) text = text.replace(BRACKETED_AT, '@').replace(BRACKETED_DOT, '.');
  if (!text.includes('@')) return space && !at && text.length <= 254 && SPELLED_EMAIL.test(text);
  return EMAIL.test(text) || EMAIL_LOCAL_HOST.test(text);
}

function ipKind(t: string, colon: boolean): PiiKind | undefined {
  const cidr = t.includes('/') ? CIDR.exec(t) : null;
  if (cidr) {
    // A network, e.g. 192.168.1.0/24: the prefix must fit the address family.
    const kind = isIP(cidr[1]!);
    const bits = Number(cidr[2]);
    if (kind === 4 && bits <= 32) return 'an IPv4 address';
    if (kind === 6 && bits <= 128) return 'an IPv6 address';
    return undefined;
  }
  // Both dotted-quad forms open with a digit: ids and words meet neither regex.
  const digitFirst = isDigit(t.charCodeAt(0));
  const v4 = digitFirst && t.length <= 21 ? IPV4_PORT.exec(t) : null;
  if (v4?.slice(1, 5).every((o) => Number(o) <= 255)) return 'an IPv4 address';
  const anyBase = digitFirst && t.length <= 19 ? IPV4_ANY_BASE.exec(t) : null;
  if (anyBase)
    return anyBase.slice(1, 5).every((o) => Number.parseInt(o, /^0x/i.test(o) ? 16 : o.length > 1 && o[0] === '0' ? 8 : 10) <= 255)
      ? 'an IPv4 address'
      : undefined;
  if (v4 || !colon) return undefined;
  // Only hex digits, ':', '.', brackets (and a %zone) can make an IPv6 address: a timestamp's T or Z ends it here.
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 37) break;
    if (!IPV6_CHAR[c]) return undefined;
  }
  const bracketed = BRACKETED_V6.exec(t);
  const host = bracketed ? bracketed[1]! : t;
  const kind = isIP(host);
  if (kind === 6) return /^::ffff:(?:\d{1,3}\.){3}\d{1,3}$/i.test(host) ? 'an IPv4 address' : 'an IPv6 address';
  return kind === 4 ? 'an IPv4 address' : undefined;
}

/**
 * A payment card: the layout cards are printed in, a card network's number range and length
 * (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay), and a valid Luhn check digit.
 * The range and length keep 13–19-digit numeric ids (snowflakes, account numbers) out: a tenth
 * of any digit string passes Luhn alone.
 */
function isCard(t: string): boolean {
  // CARD_LAYOUT's shortest form is 13 digits, its longest 4-4-4-4-3 with separators (23), and all open with a digit.
  if (t.length < 13 || t.length > 23 || !isDigit(t.charCodeAt(0)) || !CARD_LAYOUT.test(t)) return false;
  const d = t.replace(/[ -]/g, '');
  return cardNetworkLength(d) && luhn(d);
}

function cardNetworkLength(d: string): boolean {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  if (d[0] === '4') return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649)) return n >= 16 && n <= 19; // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
  if (p2 === 36 || p2 === 38 || p2 === 39 || (p3 >= 300 && p3 <= 305)) return n >= 14 && n <= 19; // Diners Club
  if (p2 === 62) return n >= 16 && n <= 19; // UnionPay
  return false;
}

function luhn(d: string): boolean {
  let sum = 0;
  for (let i = d.length - 1, double = false; i >= 0; i--, double = !double) {
    let v = d.charCodeAt(i) - 48;
    if (double) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
    sum += v;
  }
  return sum % 10 === 0;
}

/**
 * IBAN lengths by country, from the SWIFT IBAN registry (ISO 13616). A country's exact length
 * and the mod-97 check together leave no realistic id looking like an account number.
 */
const IBAN_LENGTH = new Map<string, number>(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 ' +
    'DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 ' +
    'IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 ' +
    'MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 ' +
    'SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30'
  )
    .split(' ')
    .map((cn): [string, number] => [cn.slice(0, 2), Number(cn.slice(2))]),
);

/** Two letters, then two digits: the cheap test before the regex. */
function opensLikeIban(t: string): boolean {
  const a = t.charCodeAt(0) | 32;
  const b = t.charCodeAt(1) | 32;
  return a >= 97 && a <= 122 && b >= 97 && b <= 122 && isDigit(t.charCodeAt(2)) && isDigit(t.charCodeAt(3));
}

function isIban(t: string): boolean {
  if (!IBAN_LAYOUT.test(t)) return false;
  const iban = t.replace(/ /g, '').toUpperCase();
  if (IBAN_LENGTH.get(iban.slice(0, 2)) !== iban.length) return false;
  // ISO 7064 mod 97-10: the country and check digits move to the end, letters count as 10–35.
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (let i = 0; i < moved.length; i++) {
    const c = moved.charCodeAt(i);
    const v = c <= 57 ? c - 48 : c - 55;
    rest = (v > 9 ? rest * 100 + v : rest * 10 + v) % 97;
  }
  return rest === 1;
}

const PHONE_CHAR = table('0123456789 ().-+extEXT#');

function isPhone(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!PHONE_CHAR[text.charCodeAt(i)]) return false;
  const t = text.replace(EXTENSION, '');
  if (!PHONE_CHARS.test(t)) return false;
  const n = countDigits(t, 0);
  if (n < 7 || n > 15) return false;
  if (t.charCodeAt(0) === 43) return true; // +: an international number, separators optional
  if (DECIMAL.test(t) || DATE_LIKE.test(t)) return false;
  // Grouped digits ("415 555 0134", "(415) 555-0134", "555-0134"); a bare digit run is an id.
  return /\d[\s().-]+\d/.test(t) || t.startsWith('(');
}
