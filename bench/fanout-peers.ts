import { startLocalAws } from '../local/local-aws.ts';
import { startSandbox } from '../sandbox/server.ts';

/**
 * The fan-out bench's peers in a process of their own: the sandbox (every InvoiceXpress account)
 * and the loopback AWS services (dynalite, SQS, Secrets Manager). In AWS these are other machines;
 * here they get the second core, and the bench's process keeps the workers alone. Prints one JSON
 * line (what the functions' environment and the bench need), then serves until its stdin closes.
 */
export interface FanoutPeers {
  environment: Record<string, string>;
  controlUrl: string;
  sqsUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  tableName: string;
}

const sandbox = await startSandbox({ apiKey: 'bench-fanout-default-key' });
const localAws = await startLocalAws(sandbox, 'bench');
const peers: FanoutPeers = {
  environment: localAws.environment,
  controlUrl: sandbox.controlUrl,
  sqsUrl: localAws.rollover.sqs.url,
  queueArn: localAws.rollover.sqs.arnOf(localAws.rollover.queueUrl),
  deadLetterQueueUrl: localAws.rollover.deadLetterQueueUrl,
  tableName: localAws.dynamo.tableName,
};
process.stdout.write(`${JSON.stringify(peers)}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void Promise.all([sandbox.close(), localAws.close()]).then(() => process.exit(0));
});
