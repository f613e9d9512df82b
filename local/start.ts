import { listeningOn, portFromEnvironment, StartupError } from '../sandbox/loopback.ts';
import { startSandbox } from '../sandbox/server.ts';
import type { Sandbox } from '../sandbox/types.ts';
import { openApiText } from '../shared/http/openapi.ts';
import { changeableYears, DEFAULT_TIME_ZONE, isValidTimeZone } from '../shared/rollover/time.ts';
import { startLocalGateway } from './gateway.ts';
import type { LocalDynamo } from './dynamodb.ts';
import { registerLocalAccounts } from './local-accounts.ts';
import type { LocalServiceTarget } from './local-accounts.ts';
import { startLocalAws } from './local-aws.ts';
import { startNpmStartDelivery } from './notifications.ts';
import { startLocalRolloverWorker } from './rollover-worker.ts';

/**
 * `npm start`: the service's own function modules behind a local API Gateway, with the
 * InvoiceXpress sandbox as upstream (every account at its own path), a loopback Secrets Manager
 * holding the sandbox's key and the registered accounts' keys, a local DynamoDB (dynalite) holding
 * the run table and the account registry, and a loopback SQS whose rollover queue the worker
 * function drains (WORKER_CONCURRENCY at a time). LOCAL_ACCOUNTS=N registers N sandbox accounts at
 * start. Nothing here talks to AWS or InvoiceXpress. A bad PORT, SANDBOX_PORT, LOCAL_ACCOUNTS or
 * WORKER_CONCURRENCY, or a busy port, is told in one line (exit 2 / exit 1), never as a stack trace.
 */

/** What the accounts block of the banner tells: the accounts registered at start and the worker's concurrency. */
interface AccountsAtStart {
  names: readonly string[];
  workerConcurrency: number;
}

/** What to paste: every command runs as printed, in order, in one shell (the create keeps `$id`). */
function banner(apiUrl: string, sandbox: Sandbox, dynamo: LocalDynamo, accounts: AccountsAtStart, now: Date): string {
  const next = nextRolloverYear(now);
  const cliEnvironment = {
    IX_ACCOUNT_NAME: sandbox.accountName,
    IX_API_KEY: sandbox.apiKey,
    IX_BASE_URL: sandbox.url,
    ROLLOVER_TABLE_NAME: dynamo.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  const cliCommand = `${Object.entries(cliEnvironment)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ')} npm run rollover -- --phase prepare --year ${next}`;
  const seeded = sandbox.sequences().find((sequence) => sequence.default_sequence === 1);
  const seededLine = seeded ? `seeded with the docs' example serie "${seeded.serie}" (id ${String(seeded.id)}), the default` : 'no sequences yet';
  const json = "-H 'content-type: application/json'";
  const captureId = `grep -o '"id":[0-9]*' | head -n 1 | cut -d: -f2`;
  return `ix-sequences local API: ${apiUrl}   (OpenAPI document: ${apiUrl}/openapi.json)
InvoiceXpress sandbox:   ${sandbox.url}   account "${sandbox.accountName}", api_key "${sandbox.apiKey}" (a public test value)
                         ${seededLine}
Nothing here talks to AWS or InvoiceXpress; state lives in memory until Ctrl+C.

Try the API (paste the lines as they are; the create keeps the new sequence's id in $id):
  curl -s ${apiUrl}/sequences
${seeded ? `  curl -s ${apiUrl}/sequences/${String(seeded.id)}\n` : ''}  id=$(curl -s -X POST ${apiUrl}/sequences ${json} -d '{"serie":"2027"}' | ${captureId}); echo "created sequence $id"
  curl -s -X PUT ${apiUrl}/sequences/$id/register
  curl -s -X PUT ${apiUrl}/sequences/$id/set_current
  curl -s -X POST ${apiUrl}/rollover ${json} -d '{"phase":"prepare","year":2028,"dryRun":true}'
  curl -s ${apiUrl}/rollover/2027

${accountsBlock(apiUrl, sandbox, accounts, next)}

Rehearse year-end for ${next} (a run that changes the account takes this year or the next): the sandbox back to its
start, AT refusing "${next}"; the first prepare creates "${next}", sees it refused and stops (failed, name_limit: one
new serie per run), the second falls back to "${next}B" (ready). Every control: docs/sandbox.md.
  curl -s -X POST ${sandbox.controlUrl}/reset
  curl -s -X PATCH ${sandbox.controlUrl}/at -d '{"onCreate":"pending","onRegister":"reject","rejectSeries":["${next}"]}'
  curl -s -X POST ${apiUrl}/rollover ${json} -d '{"phase":"prepare","year":${next}}'
  curl -s -X POST ${apiUrl}/rollover ${json} -d '{"phase":"prepare","year":${next}}'
  curl -s ${sandbox.controlUrl}/state
The rollover CLI starts a sandbox of its own unless told otherwise; aimed at this one and this run table (its lock):
  ${cliCommand}
One JSON log line per request follows.`;
}

/** Many accounts: register one (sandbox, then service), read it, and run a prepare for every registered account. */
function accountsBlock(apiUrl: string, sandbox: Sandbox, accounts: AccountsAtStart, next: string): string {
  const json = "-H 'content-type: application/json'";
  const { names, workerConcurrency } = accounts;
  const registered =
    names.length === 0
      ? 'none registered at start (LOCAL_ACCOUNTS=30 npm start registers acct-001 … acct-030)'
      : `${String(names.length)} registered at start (LOCAL_ACCOUNTS: ${names[0] ?? ''} … ${names.at(-1) ?? ''}), each with its own key`;
  return `Many accounts: ${registered}.
A dispatch puts one message per registered account on the local rollover queue; ${String(workerConcurrency)} workers run them
(WORKER_CONCURRENCY). Register "shop-a" (sandbox, then service), read it, prepare ${next} for every account, see the year:
  curl -s -X PUT ${sandbox.controlUrl}/accounts/shop-a -d '{"apiKey":"k-shop-a"}'
  curl -s -X PUT ${apiUrl}/accounts/shop-a ${json} -d '{"apiKey":"k-shop-a"}'
  curl -s ${apiUrl}/accounts/shop-a/sequences
  curl -s -X POST ${apiUrl}/rollover/dispatch ${json} -d '{"phase":"prepare"}'
  curl -s ${apiUrl}/rollover/${next}/accounts`;
}

/** A whole number from environment variable `name` within [min, max] (unset or empty: `fallback`). */
function integerFromEnvironment(name: string, range: { min: number; max: number; fallback: number; what: string }): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return range.fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < range.min || value > range.max) {
    throw new StartupError(`${name} must be a whole number from ${String(range.min)} to ${String(range.max)} (${range.what}), got "${raw}"`, 2);
  }
  return value;
}

/**
 * Drops the functions' INFO lines from stdout until the returned function is called; warnings and
 * errors still show. At the stream, because Powertools puts its logger back to the configured
 * level at every invocation (injectLambdaContext), so the level cannot be lowered for a while.
 */
function holdBackInfoLines(): () => void {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (!text.startsWith('{"level":"INFO"')) return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    (rest.find((arg) => typeof arg === 'function') as (() => void) | undefined)?.();
    return true;
  };
  return () => {
    process.stdout.write = write;
  };
}

/**
 * Registers `count` sandbox accounts through the local gateway (PUT /accounts/{account}), telling
 * the progress. The request lines are held back meanwhile: thousands of them would bury it.
 */
async function registerAtStart(target: LocalServiceTarget, count: number): Promise<string[]> {
  if (count === 0) return [];
  const release = holdBackInfoLines();
  const startedAt = Date.now();
  try {
    const names = await registerLocalAccounts(target, count, (line) => console.log(line));
    console.log(`Registered ${String(count)} local accounts in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    return names;
  } finally {
    release();
  }
}

/** The next year where the rollover decides years (ROLLOVER_TIME_ZONE, default Lisbon), today. */
function nextRolloverYear(now: Date): string {
  const zone = process.env['ROLLOVER_TIME_ZONE'];
  const [, next] = changeableYears(now, zone !== undefined && isValidTimeZone(zone) ? zone : DEFAULT_TIME_ZONE);
  return String(next);
}

async function main(): Promise<void> {
  const apiPort = portFromEnvironment('PORT', 3000);
  const sandboxPort = portFromEnvironment('SANDBOX_PORT', 0);
  const localAccounts = integerFromEnvironment('LOCAL_ACCOUNTS', { min: 0, max: 2000, fallback: 0, what: 'sandbox accounts registered at start' });
  const workerConcurrency = integerFromEnvironment('WORKER_CONCURRENCY', { min: 1, max: 100, fallback: 4, what: 'rollover worker invocations at a time' });
  const sandbox = await listeningOn('SANDBOX_PORT', sandboxPort, () => startSandbox({ port: sandboxPort }));
  const localAws = await startLocalAws(sandbox, 'local');
  Object.assign(process.env, localAws.environment, {
    POWERTOOLS_LOG_LEVEL: process.env['POWERTOOLS_LOG_LEVEL'] ?? 'INFO',
  });
  const gateway = await listeningOn('PORT', apiPort, () => startLocalGateway({ port: apiPort, documents: { '/openapi.json': openApiText } }));
  // Webhooks: the same delivery function over a local queue, to IX_WEBHOOKS or a local verifying receiver.
  const notifications = await startNpmStartDelivery(localAws.notifications, localAws.dynamo);
  // The rollover fan-out: the worker function over the local rollover queue, as its event source runs it.
  const worker = await startLocalRolloverWorker({ queues: localAws.rollover, handler: 'module', concurrency: workerConcurrency });
  const names = await registerAtStart({ sandbox, apiUrl: gateway.url }, localAccounts);
  console.log(banner(gateway.url, sandbox, localAws.dynamo, { names, workerConcurrency }, new Date()));
  console.log(notifications.banner.join('\n'));

  const stop = (): void => {
    void Promise.all([gateway.close(), sandbox.close(), notifications.delivery.close(), worker.close(), localAws.close()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  // One line, no stack: what went wrong and which setting to change.
  console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof StartupError ? error.exitCode : 1);
});
