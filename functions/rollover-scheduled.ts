import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { RolloverEnvSchema } from '../shared/rollover/config.ts';
import { executeRollover } from '../shared/rollover/service.ts';
import { ScheduledRolloverPayloadSchema } from '../shared/rollover/schemas.ts';
import type { ScheduledRolloverPayload } from '../shared/rollover/schemas.ts';
import type { RolloverResult } from '../shared/rollover/result.ts';
import { logger } from '../shared/runtime/logger.ts';
import { createServiceRuntime } from '../shared/runtime/service-runtime.ts';

/**
 * The yearly rollover, invoked by EventBridge Scheduler with {"phase", "scheduledTime"} (see
 * docs/rollover.md). The scheduled time decides the year, so a late or retried invocation works on
 * the same year. A failed run THROWS after logging and notifying: Lambda's async retries and then
 * the DLQ take over, and every state a run can leave behind is resumed by the next run.
 */

// Cold start: a missing or malformed variable fails here, by name.
const runtime = createServiceRuntime(RolloverEnvSchema);

export class InvalidRolloverPayloadError extends Error {
  override readonly name = 'InvalidRolloverPayloadError';
}

export class RolloverFailedError extends Error {
  override readonly name = 'RolloverFailedError';
  readonly result: RolloverResult;
  constructor(result: RolloverResult) {
    const failure = result.failure;
    super(
      `Rollover ${result.phase} ${String(result.year)} failed` +
        (failure ? ` at ${failure.action}: ${failure.kind}: ${failure.message}` : ''),
    );
    this.result = result;
  }
}

function parsePayload(event: unknown): ScheduledRolloverPayload {
  const parsed = ScheduledRolloverPayloadSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  const message = `Invalid rollover payload (expected {"phase": "prepare"|"activate", "scheduledTime"?: ISO date-time, "year"?, "dryRun"?}): ${problems.join('; ')}`;
  // No rollover happened: as loud as a failed one.
  logger.error(message, { alarm: 'rollover_failed', problems });
  throw new InvalidRolloverPayloadError(message);
}

async function rollover(event: unknown): Promise<RolloverResult> {
  const payload = parsePayload(event);
  const result = await executeRollover(runtime, {
    input: { phase: payload.phase, year: payload.year, dryRun: payload.dryRun },
    scheduledTime: payload.scheduledTime,
    trigger: 'schedule',
  });
  // Throwing hands over to Lambda's async retries and then the DLQ; the next run resumes.
  if (result.outcome === 'failed') throw new RolloverFailedError(result);
  return result;
}

export const handler = middy(rollover).use(injectLambdaContext(logger, { resetKeys: true }));
