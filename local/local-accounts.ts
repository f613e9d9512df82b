import { randomBytes } from 'node:crypto';
import type { Sandbox, SandboxAccountOptions } from '../sandbox/types.ts';
import { forEachLimited } from '../shared/runtime/concurrency.ts';

/**
 * Registered accounts, locally: an account added to the sandbox (its own key and state), then
 * registered with the service the way an operator does it, through the admin route
 * `PUT /accounts/{account}` on the local gateway (the account-put function: the key checked with
 * the sandbox, written to the loopback Secrets Manager, the record put in the registry in
 * dynalite). `npm start` registers LOCAL_ACCOUNTS of them; the tests register theirs the same way.
 */

/** What PUT /accounts/{account} answered. */
export interface AccountRegistration {
  status: number;
  json: Record<string, unknown>;
}

export interface LocalServiceTarget {
  sandbox: Sandbox;
  /** The local gateway's URL. */
  apiUrl: string;
}

/** Adds account `name` to the sandbox with `options` (its key among them), then registers it with the service. */
export async function registerSandboxAccount(target: LocalServiceTarget, name: string, options: SandboxAccountOptions): Promise<AccountRegistration> {
  target.sandbox.addAccount(name, options);
  const response = await fetch(`${target.apiUrl}/accounts/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiKey: options.apiKey }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** `acct-001`, `acct-002`, …: as many digits as the count needs, at least three (so they sort by number). */
export function localAccountNames(count: number): string[] {
  const digits = Math.max(3, String(count).length);
  return Array.from({ length: count }, (_, index) => `acct-${String(index + 1).padStart(digits, '0')}`);
}

/** Registrations in flight: enough to keep the in-process functions busy, few enough to keep the order readable. */
const REGISTER_CONCURRENCY = 8;
/** From this many accounts on, the registration tells its progress (every tenth). */
const PROGRESS_FROM = 100;

/**
 * Registers `count` new sandbox accounts (localAccountNames, each with a random key of its own);
 * throws on the first one the service does not answer 200 (its status and error code, never a key).
 */
export async function registerLocalAccounts(target: LocalServiceTarget, count: number, progress: (line: string) => void): Promise<string[]> {
  const names = localAccountNames(count);
  const step = Math.ceil(count / 10);
  let done = 0;
  await forEachLimited(names, REGISTER_CONCURRENCY, async (name) => {
    const answer = await registerSandboxAccount(target, name, { apiKey: `k-${name}-${randomBytes(8).toString('hex')}` });
    if (answer.status !== 200) {
      const error = answer.json['error'] as { code?: string; message?: string } | undefined;
      throw new Error(
        `registering local account ${name}: PUT /accounts/${name} answered ${String(answer.status)} ${error?.code ?? ''} ${error?.message ?? ''}`.trim(),
      );
    }
    done += 1;
    if (count >= PROGRESS_FROM && done % step === 0 && done < count) progress(`Registering local accounts: ${String(done)}/${String(count)}`);
  });
  return names;
}
