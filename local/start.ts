import { listeningOn, portFromEnvironment, StartupError } from '../sandbox/loopback.ts';
import { startSandbox } from '../sandbox/server.ts';
import type { Sandbox } from '../sandbox/types.ts';
import { openApiText } from '../shared/http/openapi.ts';
import { changeableYears, DEFAULT_TIME_ZONE, isValidTimeZone } from '../shared/rollover/time.ts';
import { startLocalGateway } from './gateway.ts';
import type { LocalDynamo } from './dynamodb.ts';
import { startLocalAws } from './local-aws.ts';
import { startNpmStartDelivery } from './notifications.ts';

/**
 * `npm start`: the service's own function modules behind a local API Gateway, with the
 * InvoiceXpress sandbox as upstream, a loopback Secrets Manager holding the sandbox's key and a
 * local DynamoDB (dynalite) holding the rollover's run table.
 * Nothing here talks to AWS or InvoiceXpress. A bad PORT/SANDBOX_PORT or a busy port is told in
 * one line (exit 2 / exit 1), never as a stack trace.
 */

/** What to paste: every command runs as printed, in order, in one shell (the create keeps `$id`). */
function banner(apiUrl: string, sandbox: Sandbox, dynamo: LocalDynamo, now: Date): string {
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

/** The next year where the rollover decides years (ROLLOVER_TIME_ZONE, default Lisbon), today. */
function nextRolloverYear(now: Date): string {
  const zone = process.env['ROLLOVER_TIME_ZONE'];
  const [, next] = changeableYears(now, zone !== undefined && isValidTimeZone(zone) ? zone : DEFAULT_TIME_ZONE);
  return String(next);
}

async function main(): Promise<void> {
  const apiPort = portFromEnvironment('PORT', 3000);
  const sandboxPort = portFromEnvironment('SANDBOX_PORT', 0);
  const sandbox = await listeningOn('SANDBOX_PORT', sandboxPort, () => startSandbox({ port: sandboxPort }));
  const localAws = await startLocalAws(sandbox, 'local');
  Object.assign(process.env, localAws.environment, {
    POWERTOOLS_LOG_LEVEL: process.env['POWERTOOLS_LOG_LEVEL'] ?? 'INFO',
  });
  const gateway = await listeningOn('PORT', apiPort, () => startLocalGateway({ port: apiPort, documents: { '/openapi.json': openApiText } }));
  // Webhooks: the same delivery function over a local queue, to IX_WEBHOOKS or a local verifying receiver.
  const notifications = await startNpmStartDelivery(localAws.notifications, localAws.dynamo);
  console.log(banner(gateway.url, sandbox, localAws.dynamo, new Date()));
  console.log(notifications.banner.join('\n'));

  const stop = (): void => {
    void Promise.all([gateway.close(), sandbox.close(), notifications.delivery.close(), localAws.close()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  // One line, no stack: what went wrong and which setting to change.
  console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof StartupError ? error.exitCode : 1);
});
