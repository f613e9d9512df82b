import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * The child process of one cold sample (bundled like a function, so no TypeScript is compiled in
 * the timed path). It plays the Lambda runtime's part: import the bundle, call `handler` with one
 * event, then report on fd 3 the wall-clock times of the end of init (bundle imported) and of the
 * first response, and what the response was.
 * Arguments: <bundle file> <event JSON> <function name>.
 */
const [bundleFile = '', eventJson = 'null', functionName = 'bench'] = process.argv.slice(2);
type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${functionName}`,
  memoryLimitInMB: '256',
  awsRequestId: `cold-${String(process.pid)}`,
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 28_000,
};

const wallClock = (): number => performance.timeOrigin + performance.now();
const { handler } = (await import(pathToFileURL(bundleFile).href)) as { handler: Handler };
const loadedAt = wallClock();
const result = (await handler(JSON.parse(eventJson), context)) as { statusCode?: number; outcome?: string; batchItemFailures?: unknown[] } | undefined;
// An SQS handler answers its partial batch failures.
const batch = result?.batchItemFailures === undefined ? undefined : `batch:${String(result.batchItemFailures.length)} failed`;
// The dispatcher answers what it dispatched, one entry per phase.
const dispatched = Array.isArray(result) ? `dispatched:${String(result.length)}` : undefined;
const answeredAt = wallClock();
writeSync(3, JSON.stringify({ loadedAt, answeredAt, answer: result?.statusCode ?? result?.outcome ?? batch ?? dispatched ?? null }));
// Open sockets and timers would keep the process alive; the sample is over.
process.exit(0);
