import type { RolloverPhase } from '../rollover/schemas.ts';

/**
 * When a registered account's phases are due, in its own time zone: the same timetable as the
 * default account's schedules (docs/rollover.md), read on the account's wall clock. The dispatcher
 * ticks in UTC (every hour through December, every 15 minutes around 1 January, for every zone
 * from UTC+14 to UTC-12) and each tick puts on the queue the accounts whose local time calls for
 * a phase: an Azores account activates at its own midnight, 01:00 in Lisbon.
 *
 * - prepare: any day of December, 09:00–09:59 (an hourly tick meets that hour once a day in any zone);
 * - activate: 1 January, 00:00–05:59 (every 15-minute tick);
 * - verify: 1 January at 01:00, 06:30 and 09:00 (the 15 minutes from each: one tick).
 */

interface WallClock {
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The instant's month, day, hour and minute in the zone (Intl applies its offsets). */
export function wallClock(instant: Date, timeZone: string): WallClock {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
      calendar: 'gregory',
      numberingSystem: 'latn',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((part) => [part.type, part.value]));
  return { month: Number(parts['month']), day: Number(parts['day']), hour: Number(parts['hour']), minute: Number(parts['minute']) };
}

const VERIFY_TIMES: readonly (readonly [number, number])[] = [
  [1, 0],
  [6, 30],
  [9, 0],
];

function isDue(phase: RolloverPhase, at: WallClock): boolean {
  const newYearsDay = at.month === 1 && at.day === 1;
  switch (phase) {
    case 'prepare':
      return at.month === 12 && at.hour === 9;
    case 'activate':
      return newYearsDay && at.hour < 6;
    case 'verify': {
      const minutes = at.hour * 60 + at.minute;
      return newYearsDay && VERIFY_TIMES.some(([hour, minute]) => minutes >= hour * 60 + minute && minutes < hour * 60 + minute + 15);
    }
  }
}

/** The phases among `phases` due at `instant` for an account in `timeZone`. */
export function duePhases(instant: Date, timeZone: string, phases: readonly RolloverPhase[]): RolloverPhase[] {
  const at = wallClock(instant, timeZone);
  return phases.filter((phase) => isDue(phase, at));
}
