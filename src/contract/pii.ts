/**
 * Does a string look like a person's contact or network identity — an e-mail address, a
 * phone number, an IP address? The API forbids PII anywhere in a payload: `userId` is
 * checked as an error (payload/pii-user-id), other strings as a warning (payload/pii-value).
 *
 * It runs on every payload of million-line files, so one pass over the character codes
 * decides first whether a string can be any of them at all (no `@`, no `:` and fewer than
 * four digits: nothing to look at); only the few that can meet a regex.
 *
 * Caught: e-mails anywhere in the text (`Alice <a@x.com>`, padded, upper-case, `mailto:`,
 * `%40`-encoded), IPv4 with or without a port, IPv6 (compressed, zoned, `[…]:port`,
 * `::ffff:` IPv4-mapped), phone numbers with `+` or grouped digits (`tel:` URIs, extensions).
 * Not flagged: hashes, UUIDs, plain numbers and decimals, dates and times, versions, and
 * bare digit strings without a `+` (indistinguishable from a numeric user id).
 */
import { isIP } from 'node:net';

/** Scanned at most: an identifier is short; a long metadata text is judged by its start. */
const MAX_SCAN = 1024;

const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])/;
const IPV4_PORT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::\d{1,5})?$/;
const BRACKETED_V6 = /^\[([0-9A-Fa-f:.%\w]+)\](?::\d{1,5})?$/;
const PHONE_CHARS = /^\+?[\d\s().-]+$/;
const EXTENSION = /\s*(?:ext\.?|x|#)\s*\d{1,6}$/i;
const DATE_LIKE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4})$/;
const DECIMAL = /^\d+(?:\.\d+)?$/;

const table = (chars: string): boolean[] => {
  const t: boolean[] = [];
  for (const ch of chars) t[ch.charCodeAt(0)] = true;
  return t;
};
const MAY_OPEN = table('0123456789+(:[abcdefABCDEFtTiI');
const IPV6_CHAR = table('0123456789abcdefABCDEF:.[]');

export type PiiKind = 'an e-mail address' | 'a phone number' | 'an IPv4 address' | 'an IPv6 address';

/** What kind of PII the string looks like, or undefined. */
export function piiKind(value: string): PiiKind | undefined {
  const s = value.length > MAX_SCAN ? value.slice(0, MAX_SCAN) : value;
  let digits = 0;
  let at = false;
  let colon = false;
  let percent = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 64) at = true;
    else if (c === 58) colon = true;
    else if (c === 37) percent = true;
  }
  if (at || percent) {
    const text = percent ? s.replace(/%40/gi, '@') : s;
    if (text.includes('@') && EMAIL.test(text)) return 'an e-mail address';
  }
  if (digits === 0 || (digits < 4 && !colon)) return undefined;
  let t = s.trim();
  // An IP or a phone number opens with a digit, '+', '(', ':' or '[', a hex digit (IPv6) or
  // a tel:/ip: prefix; hashed ids ("u_…"), words and tags do not get past this.
  if (!MAY_OPEN[t.charCodeAt(0)]) return undefined;
  if (t.length > 4 && (t.charCodeAt(3) === 58 || t.charCodeAt(2) === 58)) t = t.replace(/^(?:tel|ip):/i, '');
  return ipKind(t, colon) ?? (digits >= 7 && isPhone(t) ? 'a phone number' : undefined);
}

function ipKind(t: string, colon: boolean): PiiKind | undefined {
  const v4 = t.length <= 21 ? IPV4_PORT.exec(t) : null;
  if (v4) return v4.slice(1, 5).every((o) => Number(o) <= 255) ? 'an IPv4 address' : undefined;
  if (!colon) return undefined;
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

const PHONE_CHAR = table('0123456789 ().-+extEXT#');

function isPhone(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!PHONE_CHAR[text.charCodeAt(i)]) return false;
  const t = text.replace(EXTENSION, '');
  if (!PHONE_CHARS.test(t)) return false;
  let n = 0;
  for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) >= 48 && t.charCodeAt(i) <= 57) n++;
  if (n < 7 || n > 15) return false;
  if (t.charCodeAt(0) === 43) return true; // +: an international number, separators optional
  if (DECIMAL.test(t) || DATE_LIKE.test(t)) return false;
  // Grouped digits ("415 555 0134", "(415) 555-0134", "555-0134"); a bare digit run is an id.
  return /\d[\s().-]+\d/.test(t) || t.startsWith('(');
}
