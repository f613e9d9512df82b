import * as z from '../zod.ts';

/**
 * The retry schedule (issue 17): at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then every 12 h
 * while the total stays within 4 days: 13 attempts, the last about 3.7 days after the first.
 * `WEBHOOK_RETRY_SCHEDULE` (comma-separated seconds between attempts) replaces it, so a receiver
 * that is down for "a day" is rehearsed in seconds. Pure: the caller gives the randomness.
 */

const HOUR = 3_600;
const FIRST_WAITS = [5, 300, 1_800, 2 * HOUR, 5 * HOUR, 10 * HOUR];
const LATER_WAIT = 12 * HOUR;
const SCHEDULE_SPAN = 4 * 24 * HOUR;

function productionWaits(): number[] {
  const waits = [...FIRST_WAITS];
  let total = waits.reduce((sum, wait) => sum + wait, 0);
  while (total + LATER_WAIT <= SCHEDULE_SPAN) {
    waits.push(LATER_WAIT);
    total += LATER_WAIT;
  }
  return waits;
}

/** Seconds to wait after each failed attempt of a round; its length + 1 is the number of attempts. */
export const PRODUCTION_RETRY_WAITS: readonly number[] = Object.freeze(productionWaits());

/** `5,300,1800`: whole seconds (SQS counts in seconds), each at most 4 days, at least one. */
const RetryScheduleSchema = z
  .pipe(
    z.string().check(z.regex(/^\s*\d{1,6}(\s*,\s*\d{1,6})*\s*$/, 'comma-separated whole seconds, e.g. 5,300,1800')),
    z.transform((text) => text.split(',').map((part) => Number(part.trim()))),
  )
  .check(z.refine((waits) => waits.every((wait) => wait <= SCHEDULE_SPAN), 'each wait at most 345600 s (4 days)'));

/** The schedule from WEBHOOK_RETRY_SCHEDULE (unset or empty: the production one). */
export function retryWaits(raw: string | undefined): readonly number[] {
  if (raw === undefined || raw.trim() === '') return PRODUCTION_RETRY_WAITS;
  return RetryScheduleSchema.parse(raw);
}

/** Jitter: each wait is spread over ±10 % so endpoints that failed together do not retry together. */
const JITTER = 0.1;

/**
 * Seconds before the next attempt after `failedAttempts` attempts of this round have failed, or
 * undefined when the round is exhausted. `random` in [0, 1).
 */
export function nextWaitSeconds(waits: readonly number[], failedAttempts: number, random: () => number = Math.random): number | undefined {
  const wait = waits[failedAttempts - 1];
  if (wait === undefined || failedAttempts < 1) return undefined;
  return Math.max(0, Math.round(wait * (1 - JITTER + 2 * JITTER * random())));
}
