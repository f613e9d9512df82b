import { describe, expect, it } from 'vitest';
import { DISPATCH_SCHEDULES, duePhases, wallClock } from '../../shared/fanout/due.ts';
import type { DispatchSchedule } from '../../shared/fanout/due.ts';

/** The instants a schedule's cron fields name in one year (UTC): only the forms the schedules use. */
function ticks(schedule: DispatchSchedule, year: number): Date[] {
  const range = (field: string, all: number[]): number[] => {
    if (field === '*') return all;
    const step = /^(\d+)\/(\d+)$/.exec(field);
    if (step) return all.filter((value) => value >= Number(step[1]) && (value - Number(step[1])) % Number(step[2]) === 0);
    const span = /^(\d+)-(\d+)$/.exec(field);
    if (span) return all.filter((value) => value >= Number(span[1]) && value <= Number(span[2]));
    return [Number(field)];
  };
  const { cron } = schedule;
  const month = Number(cron.month);
  const days = range(
    cron.day,
    Array.from({ length: new Date(Date.UTC(year, month, 0)).getUTCDate() }, (_, i) => i + 1),
  );
  const hours = range(
    cron.hour,
    Array.from({ length: 24 }, (_, i) => i),
  );
  const minutes = range(
    cron.minute,
    Array.from({ length: 60 }, (_, i) => i),
  );
  return days.flatMap((day) => hours.flatMap((hour) => minutes.map((minute) => new Date(Date.UTC(year, month - 1, day, hour, minute)))));
}

/** Every tick of one year-end: prepares in Nov/Dec 2026, the turn into 2027. */
const YEAR_END_TICKS = DISPATCH_SCHEDULES.flatMap((schedule) =>
  ticks(schedule, schedule.cron.month === '1' ? 2027 : 2026).map((at) => ({ at, phases: schedule.phases })),
);

/** Portugal's three zones, the extremes (UTC+14, UTC-12), 30- and 45-minute offsets, summer time in December. */
const ZONES = [
  'Europe/Lisbon',
  'Atlantic/Madeira',
  'Atlantic/Azores',
  'Pacific/Kiritimati',
  'Pacific/Chatham',
  'Pacific/Auckland',
  'Australia/Sydney',
  'Asia/Kathmandu',
  'Asia/Kolkata',
  'Europe/Madrid',
  'America/Sao_Paulo',
  'America/St_Johns',
  'America/New_York',
  'Pacific/Honolulu',
  'Pacific/Pago_Pago',
  'Etc/GMT+12',
  'UTC',
];

describe('the dispatch timetable in each account’s zone', () => {
  it('reads the wall clock in the zone', () => {
    expect(wallClock(new Date('2027-01-01T00:30:00Z'), 'Atlantic/Azores')).toEqual({ month: 12, day: 31, hour: 23, minute: 30 });
    expect(wallClock(new Date('2027-01-01T00:30:00Z'), 'Europe/Lisbon')).toEqual({ month: 1, day: 1, hour: 0, minute: 30 });
  });

  it('an Azores account activates at its own midnight, 01:00 in Lisbon', () => {
    const lisbonMidnight = new Date('2027-01-01T00:00:00Z');
    expect(duePhases(lisbonMidnight, 'Europe/Lisbon', ['activate', 'verify'])).toEqual(['activate']);
    expect(duePhases(lisbonMidnight, 'Atlantic/Azores', ['activate', 'verify'])).toEqual([]);
    expect(duePhases(new Date('2027-01-01T01:00:00Z'), 'Atlantic/Azores', ['activate', 'verify'])).toEqual(['activate']);
    expect(duePhases(new Date('2027-01-01T01:00:00Z'), 'Europe/Lisbon', ['activate', 'verify'])).toEqual(['activate', 'verify']);
    expect(duePhases(new Date('2026-12-05T09:00:00Z'), 'Europe/Lisbon', ['prepare'])).toEqual(['prepare']);
    expect(duePhases(new Date('2026-12-05T09:00:00Z'), 'Atlantic/Azores', ['prepare'])).toEqual([]);
  });

  it.each(ZONES)('%s: every December day one prepare, 24 activations on 1 January, three verifies (the schedules reach the latest zone)', (zone) => {
    const due = YEAR_END_TICKS.flatMap(({ at, phases }) => duePhases(at, zone, phases).map((phase) => ({ phase, local: wallClock(at, zone) })));
    const prepares = due.filter((tick) => tick.phase === 'prepare');
    expect(prepares.map((tick) => tick.local.day)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(prepares.every((tick) => tick.local.month === 12 && tick.local.hour === 9)).toBe(true);
    const activations = due.filter((tick) => tick.phase === 'activate');
    expect(activations).toHaveLength(24);
    expect(activations[0]?.local).toMatchObject({ month: 1, day: 1, hour: 0 });
    const verifies = due.filter((tick) => tick.phase === 'verify').map((tick) => [tick.local.hour, tick.local.minute - (tick.local.minute % 15)]);
    expect(verifies).toEqual([
      [1, 0],
      [6, 30],
      [9, 0],
    ]);
  });
});
