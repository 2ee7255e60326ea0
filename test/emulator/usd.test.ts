/** Dollar amounts in the emulator's texts (src/emulator/usd.ts): sensible units, and never two equal-looking amounts that differ. */
import { describe, expect, it } from 'vitest';
import { usd } from '../../src/emulator/usd.js';

describe('usd', () => {
  it('whole dollars, cents, and two significant digits below a cent', () => {
    expect([usd(5), usd(0), usd(12.5), usd(12.345), usd(0.01), usd(0.0000123), usd(0.00001), usd(1e-7)]).toEqual([
      '$5',
      '$0',
      '$12.50',
      '$12.35',
      '$0.01',
      '$0.000012',
      '$0.00001',
      '$0.0000001',
    ]);
  });

  it('an amount compared with another gets the digits that tell them apart', () => {
    expect(usd(0.010003, 0.01)).toBe('$0.010003');
    expect(usd(0.0000123, 0.00001)).toBe('$0.000012');
    expect(usd(5.004, 5)).toBe('$5.004');
    expect(usd(0.0123, 0.0123)).toBe('$0.01');
  });
});
