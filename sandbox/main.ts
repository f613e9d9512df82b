import { startSandbox } from './server.ts';

/** `npm run sandbox`: the InvoiceXpress sandbox alone, for poking at it with curl. */
const port = Number(process.env['SANDBOX_PORT'] ?? 0);
const sandbox = await startSandbox({ port: Number.isInteger(port) && port > 0 ? port : 0 });
console.log(`InvoiceXpress sandbox listening on ${sandbox.url} (account "${sandbox.accountName}")`);
console.log(`Try: curl '${sandbox.url}/sequences.json?api_key=${sandbox.apiKey}'`);
console.log('The sandbox key is a public test value, not a secret. Ctrl+C to stop.');
const stop = (): void => {
  void sandbox.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
