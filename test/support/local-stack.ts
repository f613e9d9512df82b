import { startLocalGateway } from '../../local/gateway.ts';
import { registerSandboxAccount } from '../../local/local-accounts.ts';
import type { AccountRegistration } from '../../local/local-accounts.ts';
import { startLocalAws } from '../../local/local-aws.ts';
import { startLocalRolloverWorker } from '../../local/rollover-worker.ts';
import type { LocalRolloverQueues, LocalRolloverWorker, LocalRolloverWorkerOptions } from '../../local/rollover-worker.ts';
import type { LocalSecretsManager } from '../../local/secrets-manager-endpoint.ts';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox, SandboxAccountOptions } from '../../sandbox/types.ts';
import { silenceOutput } from './log-scan.ts';

/**
 * What `npm start` runs (local/start.ts), in-process so tests can drive the sandbox's faults: the
 * sandbox, the loopback AWS services (local/local-aws.ts), and the local API Gateway in front of
 * the function modules; on demand the rollover worker over the local rollover queue. The
 * functions' log lines are kept off the test output.
 */
export interface LocalStack {
  readonly url: string;
  readonly sandbox: Sandbox;
  /** The stage's secret and the registered accounts' secrets (reads(): every GetSecretValue). */
  readonly secretsManager: LocalSecretsManager;
  /** The rollover queue and its dead-letter queue. */
  readonly rollover: LocalRolloverQueues;
  /** Adds account `name` to the sandbox (key `apiKey`, `settings`), then PUT /accounts/{name} through the gateway. */
  registerAccount(name: string, apiKey: string, settings?: Omit<SandboxAccountOptions, 'apiKey'>): Promise<AccountRegistration>;
  /** The worker over the rollover queue (default: 'fresh' handlers); stopped when the stack closes. */
  startRolloverWorker(options?: Omit<LocalRolloverWorkerOptions, 'queues'>): Promise<LocalRolloverWorker>;
  /** The functions' log lines since the stack started. */
  logs(): string[];
  close(): Promise<void>;
}

export async function startLocalStack(options: { apiKey?: string; env?: Record<string, string> } = {}): Promise<LocalStack> {
  const sandbox = await startSandbox({ apiKey: options.apiKey ?? 'k-client-tests-5be20c7a91' });
  const localAws = await startLocalAws(sandbox, 'test');
  Object.assign(process.env, localAws.environment, { IX_TIMEOUT_MS: '1000', POWERTOOLS_LOG_LEVEL: 'INFO', ...options.env });
  const output = silenceOutput();
  const gateway = await startLocalGateway({});
  const workers: LocalRolloverWorker[] = [];
  return {
    url: gateway.url,
    sandbox,
    secretsManager: localAws.secretsManager,
    rollover: localAws.rollover,
    registerAccount: (name, apiKey, settings = {}) => registerSandboxAccount({ sandbox, apiUrl: gateway.url }, name, { ...settings, apiKey }),
    async startRolloverWorker(workerOptions = {}) {
      const worker = await startLocalRolloverWorker({ handler: 'fresh', ...workerOptions, queues: localAws.rollover });
      workers.push(worker);
      return worker;
    },
    logs: () => output.lines(),
    async close() {
      output.restore();
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all([gateway.close(), sandbox.close(), localAws.close()]);
    },
  };
}
