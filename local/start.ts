import { startSandbox } from '../sandbox/server.ts';
import { openApiText } from '../shared/http/openapi.ts';
import { startLocalDynamo } from './dynamodb.ts';
import { startLocalGateway } from './gateway.ts';
import { localFunctionEnvironment, startLocalSecretsManager } from './secrets-manager-endpoint.ts';

/**
 * `npm start`: the service's own function modules behind a local API Gateway, with the
 * InvoiceXpress sandbox as upstream and a loopback Secrets Manager holding the sandbox's key.
 * Nothing here talks to AWS or InvoiceXpress.
 */
function portFrom(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) throw new Error(`${name} must be a port number`);
  return value;
}

const sandbox = await startSandbox({ port: portFrom('SANDBOX_PORT', 0) });
const secretsManager = await startLocalSecretsManager({
  secretString: JSON.stringify({ accountName: sandbox.accountName, apiKey: sandbox.apiKey }),
});
const dynamo = await startLocalDynamo();
Object.assign(process.env, localFunctionEnvironment({ secretsManagerUrl: secretsManager.url, invoiceXpressUrl: sandbox.url, dynamo, stage: 'local' }), {
  POWERTOOLS_LOG_LEVEL: process.env['POWERTOOLS_LOG_LEVEL'] ?? 'INFO',
});
const gateway = await startLocalGateway({
  port: portFrom('PORT', 3000),
  documents: { '/openapi.json': openApiText },
});

const url = gateway.url;
console.log(`ix-sequences local API: ${url}   (InvoiceXpress sandbox: ${sandbox.url}, seeded with serie "2022")
OpenAPI document:       ${url}/openapi.json
Try:
  curl -s ${url}/sequences
  curl -s -X POST ${url}/sequences -H 'content-type: application/json' -d '{"serie":"2027"}'
  curl -s -X PUT ${url}/sequences/<id>/register
  curl -s -X PUT ${url}/sequences/<id>/set_current
  curl -s -X POST ${url}/rollover -H 'content-type: application/json' -d '{"phase":"prepare","year":2028,"dryRun":true}'
  curl -s ${url}/rollover/2027
State lives in memory until Ctrl+C. One JSON log line per request follows.`);

const stop = (): void => {
  void Promise.all([gateway.close(), sandbox.close(), secretsManager.close(), dynamo.close()]).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
