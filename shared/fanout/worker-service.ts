import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { dynamoDbAccountRegistry } from '../accounts/registry.ts';
import { createRolloverService } from '../rollover/service.ts';
import { dynamoDbYearEndStore } from '../rollover/year-end.ts';
import { Deadline } from '../runtime/deadline.ts';
import { parseEnv } from '../runtime/env.ts';
import { logger } from '../runtime/logger.ts';
import * as z from '../zod.ts';
import { snsAlertTopic } from './alerts.ts';
import { dynamoDbDispatchStore } from './dispatch-store.ts';
import { RolloverMessageSchema } from './messages.ts';
import { processRolloverMessage } from './worker.ts';
import type { WorkerDeps } from './worker.ts';

/** Time kept back from the function's own timeout to record the runs and answer SQS. */
const WORKER_MARGIN_MS = 5_000;

/** Besides the rollover's own variables (RolloverEnvSchema): where the dispatch's one alarm goes (none locally: logged only). */
const WorkerEnvSchema = z.object({ ALARM_TOPIC_ARN: z.optional(z.string().check(z.regex(/^arn:aws[a-z-]*:sns:/, 'must be an SNS topic ARN'))) });

function parseMessage(record: SQSRecord): ReturnType<typeof RolloverMessageSchema.safeParse> {
  try {
    return RolloverMessageSchema.safeParse(JSON.parse(record.body));
  } catch {
    return RolloverMessageSchema.safeParse(undefined);
  }
}

export type RolloverWorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * The rollover queue's consumer (SQS event source, ReportBatchItemFailures): Powertools Batch over
 * the records, in parallel; each record is one account's run (worker.ts). A message that is not
 * ours is dropped with a log line (retrying it cannot help); one whose run table or queue call
 * failed is a batch item failure, so SQS hands it back (its claim keeps the run to one).
 */
export function createRolloverWorkerHandler(env: Record<string, string | undefined> = process.env): RolloverWorkerHandler {
  const rollover = createRolloverService(env);
  const { ROLLOVER_TABLE_NAME: tableName, STAGE: stage } = rollover.runtime.env;
  const { ALARM_TOPIC_ARN: topicArn } = parseEnv(WorkerEnvSchema, env);
  const registry = rollover.runtime.registry ?? dynamoDbAccountRegistry({ tableName });
  const deps: WorkerDeps = {
    store: dynamoDbDispatchStore({ tableName }),
    yearEnd: dynamoDbYearEndStore({ tableName }),
    enabledAccounts: async () => (await registry.enabled()).map((account) => account.account),
    alerts: topicArn === undefined ? undefined : snsAlertTopic(topicArn),
    stage,
    log: logger,
    run: (message, deadline) =>
      rollover.executeForAccount(
        {
          input: { phase: message.phase, year: message.year, dryRun: false },
          trigger: message.trigger,
          caller: message.caller,
          scheduledTime: message.scheduledTime,
          deadline,
          dispatchId: message.dispatchId,
        },
        message.account,
      ),
  };
  const processor = new BatchProcessor(EventType.SQS);
  return (event, context) => {
    const deadline = Deadline.fromRemaining(context.getRemainingTimeInMillis(), { marginMs: WORKER_MARGIN_MS });
    const work = async (record: SQSRecord): Promise<void> => {
      const message = parseMessage(record);
      if (!message.success) {
        logger.error('Malformed rollover message dropped', { alarm: 'malformed_rollover_message', messageId: record.messageId });
        return;
      }
      await processRolloverMessage(message.data, deadline, deps);
    };
    return processPartialResponse(event, work, processor, { context, throwOnFullBatchFailure: false });
  };
}
