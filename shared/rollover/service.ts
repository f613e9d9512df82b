import { InvoiceXpressError } from '../invoicexpress/errors.ts';
import { logger } from '../runtime/logger.ts';
import type { ServiceSecret } from '../runtime/secret.ts';
import type { ServiceRuntime } from '../runtime/service-runtime.ts';
import { deliverWebhooks, shouldNotify } from '../webhooks/deliver.ts';
import type { DeliveryReport } from '../webhooks/deliver.ts';
import type { RolloverEnv } from './config.ts';
import { runRollover } from './rollover.ts';
import type { RolloverInput } from './schemas.ts';
import type { RolloverResult } from './result.ts';

/**
 * One rollover run as the functions perform it (the Scheduler's and POST /rollover): with the
 * cached secret and its 401 re-read, webhooks, and the one JSON log line per run that metric
 * filters and alarms read (`alarm: "rollover_failed" | "serie_fallback"`).
 * Returns the result whatever the outcome; throws only when no run could happen (the secret could
 * not be read, or a bug), after logging it.
 */

/**
 * Lets the session see a 401 (its cue to re-read the secret once, in case the key was rotated)
 * although runRollover returns failures instead of throwing them. Carries the result only.
 */
class UnauthorizedRolloverError extends InvoiceXpressError {
  readonly result: RolloverResult;
  constructor(result: RolloverResult) {
    const action = result.failure?.action ?? 'find';
    const operation = action === 'find' ? 'list' : action === 'verify' ? 'get' : action;
    super({ kind: 'unauthorized', operation, status: 401, message: result.failure?.message ?? 'unauthorized' });
    this.result = result;
  }
}

export async function executeRollover(
  runtime: ServiceRuntime<RolloverEnv>,
  request: { input: RolloverInput; scheduledTime?: string | undefined; trigger: 'schedule' | 'api' },
): Promise<RolloverResult> {
  const { env } = runtime;
  const { input } = request;
  let result: RolloverResult;
  let secret: ServiceSecret;
  try {
    ({ result, secret } = await runtime.session.run(async (client, currentSecret) => {
      const run = await runRollover({
        client,
        input,
        scheduledTime: request.scheduledTime,
        now: () => new Date(),
        templates: env.SERIE_TEMPLATES,
        timeZone: env.ROLLOVER_TIME_ZONE,
      });
      if (run.failure?.kind === 'unauthorized') throw new UnauthorizedRolloverError(run);
      return { result: run, secret: currentSecret };
    }));
  } catch (error) {
    if (!(error instanceof UnauthorizedRolloverError)) {
      // Reading the secret failed (or a bug): no rollover result to report.
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
      logger.error('Rollover could not run', { alarm: 'rollover_failed', phase: input.phase, trigger: request.trigger, error: detail });
      throw error;
    }
    // The key is still refused after re-reading the secret: report the failed run.
    result = error.result;
    secret = await runtime.secret.get();
  }

  let webhooks: DeliveryReport | undefined;
  if (shouldNotify(result) && secret.webhooks.length > 0) {
    webhooks = await deliverWebhooks(result, secret.webhooks, { logger });
  }

  const line = { rollover: result, trigger: request.trigger, ...(webhooks ? { webhooks } : {}) };
  const title = `Rollover ${result.phase} ${String(result.year)}`;
  if (result.outcome === 'failed') {
    logger.error(`${title} failed`, { ...line, alarm: 'rollover_failed' });
  } else if (result.fallback && result.outcome !== 'already_done') {
    // Alarm in the run that changed something with a fallback name (the fallback itself, and the
    // activation that puts it in use), not on every daily no-op after it.
    logger.error(`${title} used fallback serie '${result.serie}'`, { ...line, alarm: 'serie_fallback' });
  } else if (result.fallback) {
    logger.warn(`${title}: ${result.outcome} (fallback serie '${result.serie}')`, line);
  } else {
    logger.info(`${title}: ${result.outcome}`, line);
  }
  return result;
}
