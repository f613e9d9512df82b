import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { DispatchClaim } from './dispatch-store.ts';

/**
 * One alarm per incident, not per account: when a dispatch is done, the accounts whose failure
 * needs a person (and was not paged before) are named in one message on the stage's alarm topic,
 * up to ten by name with their cause, then how many more and where to see them all.
 */
const MAX_NAMED_ACCOUNTS = 10;

export interface AlertTopic {
  publish(subject: string, message: string): Promise<void>;
}

/** SNS subjects are at most 100 characters. */
const MAX_SUBJECT = 100;

export function alertOf(input: { stage: string; dispatchId: string; phase: string; year: number | undefined; failed: readonly DispatchClaim[] }): {
  subject: string;
  message: string;
} {
  const { failed } = input;
  const count = `${String(failed.length)} account${failed.length === 1 ? '' : 's'}`;
  const subject = `ix-sequences ${input.stage}: rollover ${input.phase} failed for ${count}`.slice(0, MAX_SUBJECT);
  const named = failed.slice(0, MAX_NAMED_ACCOUNTS).map((claim) => `- ${claim.account}: ${claim.cause ?? claim.outcome ?? 'failed'}`);
  const more = failed.length > MAX_NAMED_ACCOUNTS ? [`- and ${String(failed.length - MAX_NAMED_ACCOUNTS)} more`] : [];
  const year = input.year ?? failed.find((claim) => claim.year !== undefined)?.year;
  const where = year === undefined ? 'GET /rollover/{year}/accounts?status=failed' : `GET /rollover/${String(year)}/accounts?status=failed`;
  const message = [
    `${count} need a person after the ${input.phase} dispatch ${input.dispatchId} (stage ${input.stage}):`,
    ...named,
    ...more,
    '',
    `Every failed account and its cause: ${where}; each run: GET /accounts/{account}/rollover/runs/{runId}. docs/rollover.md says what to do for each cause.`,
  ].join('\n');
  return { subject, message };
}

export function snsAlertTopic(topicArn: string, client: SNSClient = new SNSClient({})): AlertTopic {
  return {
    async publish(subject, message) {
      await client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
    },
  };
}
