import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ScheduledRolloverPayloadSchema } from '../shared/rollover/schemas.ts';
import type { ScheduledRolloverPayload } from '../shared/rollover/schemas.ts';
import type { RolloverResult } from '../shared/rollover/result.ts';
import { createRolloverService } from '../shared/rollover/service.ts';
import { Deadline } from '../shared/runtime/deadline.ts';
import { logger } from '../shared/runtime/logger.ts';
import { issueLines } from '../shared/zod-issues.ts';

/**
 * The yearly rollover, invoked by EventBridge Scheduler with {"phase", "scheduledTime", "schedule"}
 * (docs/rollover.md). The scheduled time decides the year, so a late or redelivered invocation
 * works on the same year. A run that fails does NOT throw: the schedules themselves repeat
 * (activation every 15 minutes, verify after it), and the run's log line raises the alarm when a
 * person must act. Only an invalid payload throws (a configuration bug: the DLQ keeps it).
 */

const rollover = createRolloverService();

/** Time kept back from the function's own timeout to record the run and log it. */
const SCHEDULED_MARGIN_MS = 5_000;

export class InvalidRolloverPayloadError extends Error {
  override readonly name = 'InvalidRolloverPayloadError';
}

function parsePayload(event: unknown): ScheduledRolloverPayload {
  const parsed = ScheduledRolloverPayloadSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  const problems = issueLines(parsed.error);
  const message =
    'Invalid rollover payload (expected {"phase": "prepare"|"activate"|"verify", "scheduledTime"?: ISO date-time, "schedule"?, "year"?, "dryRun"?}): ' +
    problems.join('; ');
  // No rollover happened: as loud as a failed one.
  logger.error(message, { alarm: 'rollover_failed', problems });
  throw new InvalidRolloverPayloadError(message);
}

async function scheduledRollover(event: unknown, context: Context): Promise<RolloverResult> {
  const payload = parsePayload(event);
  return rollover.execute({
    input: { phase: payload.phase, year: payload.year, dryRun: payload.dryRun },
    trigger: 'schedule',
    caller: payload.schedule ?? 'schedule',
    scheduledTime: payload.scheduledTime,
    deadline: Deadline.fromRemaining(context.getRemainingTimeInMillis(), { marginMs: SCHEDULED_MARGIN_MS }),
  });
}

export const handler = middy(scheduledRollover).use(injectLambdaContext(logger, { resetKeys: true }));
