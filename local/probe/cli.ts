import { parseArgs } from 'node:util';
import { baseUrlOf as invoiceXpressBaseUrl } from '../../shared/invoicexpress/options.ts';
import { redact } from '../../shared/invoicexpress/redact.ts';
import { ConfigurationError, parseEnv } from '../../shared/runtime/env.ts';
import { parseServiceSecret, SecretError } from '../../shared/runtime/secret.ts';
import * as z from '../../shared/zod.ts';
import { ProbeFailure, UsageError } from './errors.ts';
import { analyse } from './findings.ts';
import { httpGet } from './http.ts';
import { observe } from './observe.ts';
import { formatReport } from './report.ts';

/**
 * `npm run probe -- [--json] [--secret-id <id>]`: a read-only look at a real InvoiceXpress account
 * that turns the API's unknowns (docs/invoicexpress.md) into facts for that account. It only ever
 * sends GET: its one HTTP function (http.ts) has no method parameter. It never prints the key.
 * Exit codes: 0 probed, 2 bad usage, 1 the account could not be reached or read.
 */

const USAGE = `Usage: npm run probe -- [--json] [--secret-id <id>]

Reads (GET only) a few answers of an InvoiceXpress account and reports which of the API's unknowns
hold for it (docs/invoicexpress.md). Nothing is ever written to the account.

  --secret-id <id>   read accountName and apiKey from this AWS Secrets Manager secret (the
                     service's own secret; AWS_ENDPOINT_URL_SECRETS_MANAGER is honoured)
  --json             print the report as JSON
  --help             this text

Environment (when --secret-id is not given):
  IX_ACCOUNT_NAME, IX_API_KEY   the account and its API key
  IX_BASE_URL                   another base URL, e.g. a running sandbox (then IX_ACCOUNT_NAME is optional)`;

interface Target {
  baseUrl: string;
  apiKey: string;
}

const ProbeEnvSchema = z.object({
  IX_ACCOUNT_NAME: z.optional(z.string().check(z.trim(), z.regex(/^[A-Za-z0-9-]*$/, 'expected an account name (letters, digits, -)'))),
  IX_API_KEY: z.optional(z.string().check(z.trim())),
  IX_BASE_URL: z.optional(z.url({ protocol: /^https?$/ }).check(z.refine((url) => !/[?#]/.test(url), 'must not carry a query or fragment'))),
});

/** The client's rule (shared/invoicexpress/options.ts), its refusals as usage errors. */
function baseUrlOf(accountName: string | undefined, override: string | undefined): string {
  if (!override && !accountName) throw new UsageError('IX_ACCOUNT_NAME is required (or IX_BASE_URL for a sandbox)');
  try {
    return invoiceXpressBaseUrl({ accountName: accountName ?? '', baseUrl: override || undefined });
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(error.message);
    throw error;
  }
}

async function resolveTarget(secretId: string | undefined): Promise<Target> {
  let env: z.infer<typeof ProbeEnvSchema>;
  try {
    env = parseEnv(ProbeEnvSchema, process.env);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new UsageError(error.message);
    throw error;
  }
  if (secretId === undefined) {
    if (!env.IX_API_KEY) throw new UsageError('set IX_ACCOUNT_NAME and IX_API_KEY (or use --secret-id)');
    return { baseUrl: baseUrlOf(env.IX_ACCOUNT_NAME, env.IX_BASE_URL), apiKey: env.IX_API_KEY };
  }
  if (env.IX_API_KEY || env.IX_ACCOUNT_NAME) throw new UsageError('use either --secret-id or IX_ACCOUNT_NAME/IX_API_KEY, not both');
  const secret = await readSecret(secretId);
  return { baseUrl: baseUrlOf(secret.accountName, env.IX_BASE_URL), apiKey: secret.apiKey };
}

/** The service's own secret, read as the service reads it (the SDK honours AWS_ENDPOINT_URL_SECRETS_MANAGER). */
async function readSecret(secretId: string): Promise<{ accountName: string; apiKey: string }> {
  const { secretsManagerSource } = await import('../../shared/runtime/secrets-manager.ts');
  let raw: string;
  try {
    raw = await secretsManagerSource(secretId).readSecretString();
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new ProbeFailure(`could not read the secret "${secretId}": ${reason}`);
  }
  try {
    return parseServiceSecret(raw);
  } catch (error) {
    if (error instanceof SecretError) throw new ProbeFailure(`the secret "${secretId}": ${error.message}`);
    throw error;
  }
}

function parseCommandLine(argv: string[]): { json: boolean; secretId: string | undefined } | 'help' {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean', default: false }, 'secret-id': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) return 'help';
    if (values['secret-id'] !== undefined && values['secret-id'].trim() === '') throw new UsageError('--secret-id needs a value');
    return { json: values.json, secretId: values['secret-id']?.trim() };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function main(argv: string[]): Promise<number> {
  let apiKey = '';
  // Whatever is printed passes through redact: the key never reaches the terminal.
  const print = (text: string, stream: 'stdout' | 'stderr' = 'stdout'): void => {
    process[stream].write(`${apiKey === '' ? text : redact(text, apiKey)}\n`);
  };
  try {
    const options = parseCommandLine(argv);
    if (options === 'help') {
      print(USAGE);
      return 0;
    }
    const target = await resolveTarget(options.secretId);
    apiKey = target.apiKey;
    const report = analyse(target.baseUrl, await observe(httpGet(target.baseUrl, target.apiKey)));
    print(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      print(`probe: ${error.message}\n\n${USAGE}`, 'stderr');
      return 2;
    }
    print(`probe: ${error instanceof ProbeFailure ? error.message : `unexpected error: ${String(error)}`}`, 'stderr');
    return 1;
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
