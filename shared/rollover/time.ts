import type { RolloverPhase } from './schemas.ts';

/** Portuguese civil time for mainland and Madeira; the turn of the year that matters for ATCUD series. */
export const DEFAULT_TIME_ZONE = 'Europe/Lisbon';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone, for the year (yearIn) and the wall clock (the fan-out's timetable). */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // Throws RangeError for an unknown zone: callers validate zones at configuration time.
    const fields = { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' } as const;
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, ...fields, hourCycle: 'h23', calendar: 'gregory', numberingSystem: 'latn' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The instant's calendar fields in the zone (Intl applies the zone's offsets, summer time included). */
export function zonedParts(instant: Date, timeZone: string): Partial<Record<Intl.DateTimeFormatPartTypes, number>> {
  return Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(instant)
      .filter((part) => part.type !== 'literal')
      .map((part) => [part.type, Number(part.value)]),
  );
}

/**
 * True when Intl knows the zone (IANA names such as Europe/Lisbon, Atlantic/Azores, UTC). The list
 * of canonical names answers in about a millisecond; building a formatter (about ten, at every
 * cold start that parses the environment) is left for aliases and for the first year computed.
 */
let canonicalZones: ReadonlySet<string> | undefined;

export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === '') return false;
  // Built once per process: every registered account's record names its zone (the list takes about a millisecond).
  canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (canonicalZones.has(timeZone)) return true;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The calendar year the instant belongs to in the zone (Intl applies the zone's offsets, summer time included). */
export function yearIn(instant: Date, timeZone: string = DEFAULT_TIME_ZONE): number {
  if (Number.isNaN(instant.getTime())) throw new RangeError('yearIn needs a valid date');
  const year = zonedParts(instant, timeZone).year;
  if (year === undefined || !Number.isInteger(year)) throw new RangeError(`Could not read the year in ${timeZone}`);
  return year;
}

export interface TargetYearInput {
  phase: RolloverPhase;
  /** The Scheduler's <aws.scheduler.scheduled-time> (ISO). It decides over the clock, so a late or retried run keeps its year. */
  scheduledTime?: string | undefined;
  now: () => Date;
  timeZone?: string | undefined;
}

/**
 * The year a rollover run works on: `prepare` readies next year's serie; `activate` and `verify`
 * work on the year the instant belongs to (run at 00:00 on 1 January, that is the new year).
 */
export function targetYear(input: TargetYearInput): number {
  let instant: Date;
  if (input.scheduledTime !== undefined) {
    instant = new Date(input.scheduledTime);
    if (Number.isNaN(instant.getTime())) throw new RangeError('scheduledTime is not a valid ISO date-time');
  } else {
    instant = input.now();
  }
  const year = yearIn(instant, input.timeZone ?? DEFAULT_TIME_ZONE);
  return input.phase === 'prepare' ? year + 1 : year;
}

/**
 * Years a run that changes the account may work on: the current year and the next, in the zone.
 * AT registration cannot be undone, so a typo ("2000", "2999") or a stale event redriven a year
 * later must not create and register a serie. Read-only runs (dry runs, verify) may name any year.
 */
export function changeableYears(now: Date, timeZone: string = DEFAULT_TIME_ZONE): readonly [number, number] {
  const current = yearIn(now, timeZone);
  return [current, current + 1];
}

/** Why `year` may not be changed now, or undefined when it may. */
export function yearProblem(year: number, now: Date, timeZone: string = DEFAULT_TIME_ZONE): string | undefined {
  const [current, next] = changeableYears(now, timeZone);
  if (year === current || year === next) return undefined;
  return `a rollover that changes the account may only work on ${String(current)} or ${String(next)} (the current and the next year in ${timeZone}); ${String(year)} was asked (a dry run may name any year)`;
}
