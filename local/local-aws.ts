import type { Sandbox } from '../sandbox/types.ts';
import { startLocalDynamo } from './dynamodb.ts';
import type { LocalDynamo } from './dynamodb.ts';
import { startLocalNotificationQueues } from './notifications.ts';
import type { LocalNotificationQueues } from './notifications.ts';
import { createLocalRolloverQueues } from './rollover-worker.ts';
import type { LocalRolloverQueues } from './rollover-worker.ts';
import { localFunctionEnvironment, startLocalSecretsManager } from './secrets-manager-endpoint.ts';
import type { LocalSecretsManager } from './secrets-manager-endpoint.ts';

/**
 * The AWS services the functions use, as loopback stand-ins reached through the real SDK: a
 * Secrets Manager holding the sandbox's account and key (and the registered accounts' keys, as
 * PUT /accounts/{account} writes them), DynamoDB (dynalite) with the run table (the account
 * registry in it), and SQS with the notification and rollover queues. `environment` is what a
 * function module needs (set it before importing one: they parse it at cold start). `npm start`
 * and the tests start the same thing.
 */
export interface LocalAws {
  readonly secretsManager: LocalSecretsManager;
  readonly dynamo: LocalDynamo;
  /** The notifications table and the delivery queues (loopback SQS); the delivery itself: startLocalDelivery. */
  readonly notifications: LocalNotificationQueues;
  /** The rollover queue and its dead-letter queue, in the same loopback SQS; the worker: startLocalRolloverWorker. */
  readonly rollover: LocalRolloverQueues;
  readonly environment: Record<string, string>;
  close(): Promise<void>;
}

export async function startLocalAws(sandbox: Sandbox, stage: string, options: { secretApiKey?: string } = {}): Promise<LocalAws> {
  const [secretsManager, dynamo] = await Promise.all([
    startLocalSecretsManager({
      secretName: `ix-sequences/${stage}`,
      secretString: JSON.stringify({ accountName: sandbox.accountName, apiKey: options.secretApiKey ?? sandbox.apiKey }),
    }),
    startLocalDynamo(),
  ]);
  const notifications = await startLocalNotificationQueues(dynamo);
  const rollover = createLocalRolloverQueues(notifications.sqs);
  return {
    secretsManager,
    dynamo,
    notifications,
    rollover,
    environment: {
      // Every account at its own path, the default one too (`/accounts/sandbox/…`), as each has its own host in InvoiceXpress.
      ...localFunctionEnvironment({ secretsManager, invoiceXpressUrl: sandbox.accountUrlTemplate, dynamo, accountName: sandbox.accountName, stage }),
      ...notifications.environment,
      ...rollover.environment,
    },
    close: async () => {
      await notifications.close();
      await Promise.all([secretsManager.close(), dynamo.close()]);
    },
  };
}
