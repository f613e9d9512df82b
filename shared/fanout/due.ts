import type { RolloverPhase } from '../rollover/schemas.ts';
import { zonedParts } from '../rollover/time.ts';

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

/** The instant's month, day, hour and minute in the zone. */
export function wallClock(instant: Date, timeZone: string): WallClock {
  const { month = NaN, day = NaN, hour = NaN, minute = NaN } = zonedParts(instant, timeZone);
  return { month, day, hour, minute };
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

/** A dispatcher schedule: its name suffix, the phases its ticks consider, its cron fields (UTC). */
export interface DispatchSchedule {
  readonly name: string;
  readonly phases: readonly RolloverPhase[];
  readonly cron: { readonly minute: string; readonly hour: string; readonly day: string; readonly month: string };
  readonly description: string;
}

/**
 * The dispatcher's ticks, in UTC, wide enough for every zone from UTC+14 to UTC-12: a December 09:00
 * there is between 19:00 on 30 November and 21:00 on 31 December in UTC; 1 January 00:00–09:14
 * between 10:00 on 31 December and 21:14 on 1 January. The infrastructure creates one schedule each.
 */
export const DISPATCH_SCHEDULES: readonly DispatchSchedule[] = [
  {
    name: 'dispatch-prepare-nov',
    phases: ['prepare'],
    cron: { minute: '0', hour: '*', day: '30', month: '11' },
    description: 'Hourly on 30 November (UTC): prepares of accounts already in their December',
  },
  {
    name: 'dispatch-prepare-dec',
    phases: ['prepare'],
    cron: { minute: '0', hour: '*', day: '*', month: '12' },
    description: "Hourly in December (UTC): each account's daily 09:00 prepare",
  },
  {
    name: 'dispatch-year-end-dec',
    phases: ['activate', 'verify'],
    cron: { minute: '0/15', hour: '10-23', day: '31', month: '12' },
    description: '31 December 10:00-23:45 (UTC), every 15 minutes: activations and verifies of accounts already in 1 January',
  },
  {
    name: 'dispatch-year-end-jan',
    phases: ['activate', 'verify'],
    cron: { minute: '0/15', hour: '0-21', day: '1', month: '1' },
    description: "1 January 00:00-21:45 (UTC), every 15 minutes: each account's activations (00:00-05:45) and verifies (01:00, 06:30, 09:00)",
  },
];
