import { listeningOn, portFromEnvironment, StartupError } from './loopback.ts';
import { startSandbox } from './server.ts';

/** `npm run sandbox`: the InvoiceXpress sandbox alone, for poking at it with curl (SANDBOX_PORT picks the port). */
async function main(): Promise<void> {
  const port = portFromEnvironment('SANDBOX_PORT', 0);
  const sandbox = await listeningOn('SANDBOX_PORT', port, () => startSandbox({ port }));
  console.log(`InvoiceXpress sandbox listening on ${sandbox.url} (account "${sandbox.accountName}", api_key "${sandbox.apiKey}")
The sandbox key is a public test value, not a secret. Ctrl+C to stop.
Try:
  curl -s '${sandbox.url}/sequences.json?api_key=${sandbox.apiKey}'
  curl -s ${sandbox.controlUrl}            # the control endpoint's routes (docs/sandbox.md)
  curl -s -X PATCH ${sandbox.controlUrl}/at -d '{"onCreate":"pending"}'
  curl -s -X PUT ${sandbox.controlUrl}/accounts/acme -d '{"apiKey":"acme-api-key"}'   # another account, at ${sandbox.url}/accounts/acme`);
  const stop = (): void => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`npm run sandbox: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof StartupError ? error.exitCode : 1);
});
