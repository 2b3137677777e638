import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { monthKey, monthRange } from '../../src/store/month.js';

describe('monthKey', () => {
  it('uses the UTC calendar month by default', () => {
    expect(monthKey(new Date('2026-11-01T00:00:00Z'))).toBe('2026-11');
    expect(monthKey(new Date('2026-11-30T23:59:59Z'))).toBe('2026-11');
    // 23:30 on Oct 31 in New York is already November in UTC
    expect(monthKey(new Date('2026-10-31T23:30:00-04:00'))).toBe('2026-11');
  });

  it('puts days before the start day into the previous month, across the year boundary', () => {
    expect(monthKey(new Date('2026-11-10T12:00:00Z'), 15)).toBe('2026-10');
    expect(monthKey(new Date('2026-11-15T00:00:00Z'), 15)).toBe('2026-11');
    expect(monthKey(new Date('2027-01-14T23:59:59Z'), 15)).toBe('2026-12');
    expect(monthKey(new Date('2027-01-03T00:00:00Z'), 1)).toBe('2027-01');
  });

  it('refuses a start day outside 1-28', () => {
    expect(() => monthKey(new Date(), 29)).toThrow(InputError);
    expect(() => monthKey(new Date(), 0)).toThrow(/1 to 28/);
  });
});

describe('monthRange', () => {
  it('returns [start, end) that monthKey agrees with', () => {
    const { start, end } = monthRange('2026-12', 15);
    expect(start.toISOString()).toBe('2026-12-15T00:00:00.000Z');
    expect(end.toISOString()).toBe('2027-01-15T00:00:00.000Z');
    expect(monthKey(start, 15)).toBe('2026-12');
    expect(monthKey(new Date(end.getTime() - 1), 15)).toBe('2026-12');
    expect(monthKey(end, 15)).toBe('2027-01');
    expect(monthRange('2026-02').end.toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });

  it('refuses a malformed key', () => {
    expect(() => monthRange('2026-13')).toThrow(/YYYY-MM/);
    expect(() => monthRange('../etc')).toThrow(InputError);
  });
});
