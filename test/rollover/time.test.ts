import { describe, expect, it } from 'vitest';
import { isValidTimeZone, targetYear, yearIn } from '../../shared/rollover/time.ts';

const at = (iso: string) => () => new Date(iso);
const never = (): Date => {
  throw new Error('the clock must not be read when scheduledTime is given');
};

describe('yearIn', () => {
  it.each([
    // Lisbon is UTC+0 in winter: its new year coincides with UTC's.
    ['2026-12-31T23:59:59Z', 'Europe/Lisbon', 2026],
    ['2027-01-01T00:00:00Z', 'Europe/Lisbon', 2027],
    ['2026-12-31T23:59:59Z', 'UTC', 2026],
    ['2027-01-01T00:00:00Z', 'UTC', 2027],
    // Azores is UTC-1 in winter: still 2026 for the first hour of UTC's 2027.
    ['2026-12-31T23:30:00Z', 'Atlantic/Azores', 2026],
    ['2027-01-01T00:00:00Z', 'Atlantic/Azores', 2026],
    ['2027-01-01T00:59:59Z', 'Atlantic/Azores', 2026],
    ['2027-01-01T01:00:00Z', 'Atlantic/Azores', 2027],
    // Madeira follows Lisbon.
    ['2027-01-01T00:00:00Z', 'Atlantic/Madeira', 2027],
    // Summer time at the turn of the year (southern hemisphere, UTC+13): 2027 begins at 11:00 UTC on 31 Dec.
    ['2026-12-31T10:59:59Z', 'Pacific/Auckland', 2026],
    ['2026-12-31T11:00:00Z', 'Pacific/Auckland', 2027],
    // Lisbon summer time (UTC+1) just after midnight local time.
    ['2027-06-30T23:30:00Z', 'Europe/Lisbon', 2027],
  ])('%s in %s is %i', (iso, zone, year) => {
    expect(yearIn(new Date(iso), zone)).toBe(year);
  });

  it('rejects an invalid date and an unknown zone', () => {
    expect(() => yearIn(new Date('nope'), 'Europe/Lisbon')).toThrow(RangeError);
    expect(() => yearIn(new Date(), 'Europe/Nowhere')).toThrow(RangeError);
  });
});

describe('targetYear', () => {
  it('prepare targets the next year, activate the current one (Lisbon by default)', () => {
    expect(targetYear({ phase: 'prepare', now: at('2026-12-15T09:00:00Z') })).toBe(2027);
    expect(targetYear({ phase: 'activate', now: at('2027-01-01T00:00:00Z') })).toBe(2027);
    expect(targetYear({ phase: 'prepare', now: at('2026-12-31T23:59:59Z') })).toBe(2027);
    expect(targetYear({ phase: 'activate', now: at('2026-12-31T23:59:59Z') })).toBe(2026);
  });

  it('a prepare run in Lisbon summer time still targets the next year', () => {
    expect(targetYear({ phase: 'prepare', now: at('2026-07-15T23:30:00Z') })).toBe(2027);
  });

  it('uses the configured zone: 00:30 UTC on 1 January is still 2026 in the Azores', () => {
    const now = at('2027-01-01T00:30:00Z');
    expect(targetYear({ phase: 'activate', now, timeZone: 'Europe/Lisbon' })).toBe(2027);
    expect(targetYear({ phase: 'activate', now, timeZone: 'Atlantic/Azores' })).toBe(2026);
    expect(targetYear({ phase: 'activate', now, timeZone: 'UTC' })).toBe(2027);
  });

  it('the scheduled time decides over the clock: a run delayed by hours keeps its year', () => {
    // Scheduled at 00:00 on 1 January (Lisbon), executed at 05:00.
    expect(targetYear({ phase: 'activate', scheduledTime: '2027-01-01T00:00:00Z', now: at('2027-01-01T05:00:00Z') })).toBe(2027);
    // The last December prepare, retried by Lambda after midnight: still 2027, not 2028.
    expect(targetYear({ phase: 'prepare', scheduledTime: '2026-12-31T23:00:00Z', now: at('2027-01-01T05:00:00Z') })).toBe(2027);
    // An activate scheduled just before midnight (misconfigured) must not jump to the new year because it ran late.
    expect(targetYear({ phase: 'activate', scheduledTime: '2026-12-31T23:59:00Z', now: at('2027-01-01T00:10:00Z') })).toBe(2026);
  });

  it('does not read the clock when a scheduled time is given; accepts offsets', () => {
    expect(targetYear({ phase: 'activate', scheduledTime: '2027-01-01T00:00:00+00:00', now: never })).toBe(2027);
    // 23:30 on 31 Dec in UTC-1 is 00:30 on 1 Jan in Lisbon.
    expect(targetYear({ phase: 'activate', scheduledTime: '2026-12-31T23:30:00-01:00', now: never })).toBe(2027);
  });

  it('rejects an unreadable scheduled time', () => {
    expect(() => targetYear({ phase: 'activate', scheduledTime: 'yesterday', now: never })).toThrow(RangeError);
  });
});

describe('isValidTimeZone', () => {
  it.each(['Europe/Lisbon', 'Atlantic/Azores', 'UTC'])('accepts %s', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });
  it.each(['', 'Europe/Nowhere', 'Lisbon', '+01:00x'])('rejects %j', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});
