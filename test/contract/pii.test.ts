/**
 * The PII detector on a table of variants seen in real exports and logs: every positive
 * must be caught, every negative (hashes, ids, dates, times, numbers, versions) left alone.
 * The printed hit rates are the closing figures of issues 12 and 21.
 */
import { describe, expect, it } from 'vitest';
import { piiKind, type PiiKind } from '../../src/contract/pii.js';

const EMAIL: PiiKind = 'an e-mail address';
const PHONE: PiiKind = 'a phone number';
const V4: PiiKind = 'an IPv4 address';
const V6: PiiKind = 'an IPv6 address';
const CARD: PiiKind = 'a payment card number';
const IBAN: PiiKind = 'an IBAN';

const POSITIVES: [string, PiiKind][] = [
  ['jane.doe@example.com', EMAIL],
  ['JANE.DOE@EXAMPLE.COM', EMAIL],
  ['  jane.doe@example.com  ', EMAIL],
  ['jane.doe@example.com\n', EMAIL],
  ['Alice <a@x.com>', EMAIL],
  ['"Alice Example" <alice@example.co.uk>', EMAIL],
  ['mailto:alice@example.com', EMAIL],
  ['alice%40example.com', EMAIL],
  ['JANE+billing@mail.example.co.uk', EMAIL],
  ['user: bob@example.org', EMAIL],
  ['alice@example.com,bob@example.com', EMAIL],
  ['+1 (415) 555-0134', PHONE],
  ['+14155550134', PHONE],
  ['+44 20 7946 0958', PHONE],
  ['415-555-0134', PHONE],
  ['(415) 555-0134', PHONE],
  ['415.555.0134', PHONE],
  ['tel:+1-415-555-0134', PHONE],
  ['TEL:+49 30 1234567', PHONE],
  ['+1 415 555 0134 ext. 12', PHONE],
  ['555-0134', PHONE],
  ['203.0.113.7', V4],
  [' 203.0.113.7 ', V4],
  ['203.0.113.7:8080', V4],
  ['::ffff:203.0.113.7', V4],
  ['::FFFF:198.51.100.23', V4],
  ['ip:198.51.100.23', V4],
  ['2001:db8::1', V6],
  ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', V6],
  ['fe80::1ff:fe23:4567:890a', V6],
  ['fe80::1%eth0', V6],
  ['[2001:db8::1]:443', V6],
  // Issue 21: cards (network range + length + Luhn), IBANs (registry length + mod 97),
  // obfuscated and full-width e-mails, local mailboxes, networks, inet_aton spellings.
  ['4111111111111111', CARD],
  ['4111 1111 1111 1111', CARD],
  ['4111-1111-1111-1111', CARD],
  ['5555 5555 5555 4444', CARD],
  ['2223000048400011', CARD],
  ['3782 822463 10005', CARD],
  ['378282246310005', CARD],
  ['6011111111111117', CARD],
  ['3530111333300000', CARD],
  ['4222222222222', CARD],
  ['DE89370400440532013000', IBAN],
  ['DE89 3704 0044 0532 0130 00', IBAN],
  ['GB82 WEST 1234 5698 7654 32', IBAN],
  ['gb82west12345698765432', IBAN],
  ['FR1420041010050500013M02606', IBAN],
  ['NL91ABNA0417164300', IBAN],
  ['alice(at)example.com', EMAIL],
  ['alice [at] example [dot] com', EMAIL],
  ['alice{at}example{dot}co{dot}uk', EMAIL],
  ['ALICE (AT) EXAMPLE (DOT) COM', EMAIL],
  ['alice at example dot com', EMAIL],
  ['alice＠example.com', EMAIL],
  ['ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ', EMAIL],
  ['alice﹫example.com', EMAIL],
  ['alice@localhost', EMAIL],
  ['root@[192.0.2.1]', EMAIL],
  ['192.168.1.0/24', V4],
  ['203.0.113.7/32', V4],
  ['2001:db8::/32', V6],
  ['0300.0250.0001.0001', V4],
  ['0xC0.0xA8.0x01.0x01', V4],
  ['２０３．０．１１３．７', V4],
];

const NEGATIVES: string[] = [
  'u_9f86d081884c7d659a2feaa0',
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '550e8400-e29b-41d4-a716-446655440000',
  '1234567',
  '4155550134',
  'user-12345',
  'customer:42',
  'a@b',
  '@alice',
  'ext_2026-03-01',
  '2026-03-01',
  '01.03.2026',
  '2026-03-01T12:00:00Z',
  '12:34:56',
  '0.000123456',
  '1234567.89',
  'v1.2.3',
  '10.2.3',
  '999.1.1.1',
  'checkout.ai_summary',
  'summarizer_v3',
  'gpt-4o-mini-2024-07-18',
  'batch_req_6797e8f2d1c0819095c53bcd6dc3e8d1',
  'acme-prod',
  '',
  // Realistic ids near the issue-21 forms: snowflakes and long numeric ids (Luhn-valid ones
  // too), order and invoice numbers, a card number with a wrong check digit, an IBAN with a
  // wrong checksum or length, hashes that start like an IBAN, "at" in running text.
  '1234567890123456785',
  '80351110224678916',
  '1124567890123455',
  '1000000000000008',
  '4111111111111112',
  '4111 1111 1111 1112',
  '112-4567890-1234567',
  'ORD-2026-000123',
  'INV-2026-0042',
  'ext_4f3c2a1b9d8e7f60',
  'u_ab12c3d4e5f60718293a4b5c6d7e8f90',
  'DE89370400440532013001',
  'DE8937040044053201300',
  'ab12cdef34567890ab12cdef34567890',
  'de89370400440532013000ffee',
  'meet (at) noon',
  'lunch at the office',
  'meet at 10 dot 30',
  '2026/03/01',
  '03/01/2026',
  'checkout/v2/summary',
  '3/4',
  '10.0.0.0/33',
  '1.2.3/24',
  '0x80070005',
  '3232235777',
  '0xC0A80101',
];

/**
 * The 38 variants issue 21 counts (25 caught before, 13 missed). The issue names the missed
 * kinds without listing strings, so this is our list of them; `null` marks a deliberate
 * exception, documented in docs/validate.md (bare 32-bit integers: numeric ids and error codes
 * look the same).
 */
const ISSUE_21_VARIANTS: [string, PiiKind | null][] = [
  // Caught before issue 21 (25).
  ['jane.doe@example.com', EMAIL],
  ['JANE.DOE@EXAMPLE.COM', EMAIL],
  ['  jane.doe@example.com  ', EMAIL],
  ['Alice <a@x.com>', EMAIL],
  ['mailto:alice@example.com', EMAIL],
  ['alice%40example.com', EMAIL],
  ['JANE+billing@mail.example.co.uk', EMAIL],
  ['user: bob@example.org', EMAIL],
  ['+1 (415) 555-0134', PHONE],
  ['+14155550134', PHONE],
  ['+44 20 7946 0958', PHONE],
  ['415-555-0134', PHONE],
  ['(415) 555-0134', PHONE],
  ['415.555.0134', PHONE],
  ['tel:+1-415-555-0134', PHONE],
  ['+1 415 555 0134 ext. 12', PHONE],
  ['203.0.113.7', V4],
  ['203.0.113.7:8080', V4],
  ['::ffff:203.0.113.7', V4],
  ['ip:198.51.100.23', V4],
  ['2001:db8::1', V6],
  ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', V6],
  ['fe80::1%eth0', V6],
  ['[2001:db8::1]:443', V6],
  ['555-0134', PHONE],
  // Missed before issue 21 (13).
  ['4111111111111111', CARD],
  ['4111 1111 1111 1111', CARD],
  ['5555-5555-5555-4444', CARD],
  ['DE89370400440532013000', IBAN],
  ['GB82 WEST 1234 5698 7654 32', IBAN],
  ['alice(at)example.com', EMAIL],
  ['alice [at] example [dot] com', EMAIL],
  ['alice＠example.com', EMAIL],
  ['alice@localhost', EMAIL],
  ['192.168.1.0/24', V4],
  ['0300.0250.0001.0001', V4],
  ['3232235777', null],
  ['0xC0A80101', null],
];

describe('piiKind on a table of variants', () => {
  it.each(POSITIVES)('%j is %s', (value, kind) => {
    expect(piiKind(value)).toBe(kind);
  });
  it.each(NEGATIVES)('%j is not PII', (value) => {
    expect(piiKind(value)).toBeUndefined();
  });
  it('hit rate: every positive caught, no negative flagged', () => {
    const caught = POSITIVES.filter(([v]) => piiKind(v) !== undefined).length;
    const falseHits = NEGATIVES.filter((v) => piiKind(v) !== undefined).length;
    console.log(`PII detector: ${caught}/${POSITIVES.length} positives caught, ${falseHits}/${NEGATIVES.length} negatives flagged`);
    expect(caught).toBe(POSITIVES.length);
    expect(falseHits).toBe(0);
  });
  it('issue 21: 36 of its 38 variants caught, the 2 others are the documented bare-integer exception', () => {
    expect(ISSUE_21_VARIANTS).toHaveLength(38);
    const got = ISSUE_21_VARIANTS.map(([v]) => piiKind(v) ?? null);
    expect(got).toEqual(ISSUE_21_VARIANTS.map(([, kind]) => kind));
    const caught = got.filter((k) => k !== null).length;
    console.log(`PII detector, issue 21's variants: ${caught}/38 caught, ${38 - caught} left by decision (bare 32-bit integers)`);
    expect(caught).toBe(36);
  });
  it('a long text is judged by its first kilobyte (bounded cost)', () => {
    expect(piiKind('x'.repeat(5000) + ' jane@example.com')).toBeUndefined();
    expect(piiKind('contact jane@example.com ' + 'x'.repeat(5000))).toBe(EMAIL);
  });
});
