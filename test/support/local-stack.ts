import { startLocalGateway } from '../../local/gateway.ts';
import { startLocalAws } from '../../local/local-aws.ts';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox } from '../../sandbox/types.ts';
import { silenceOutput } from './log-scan.ts';

/**
 * What `npm start` runs (local/start.ts), in-process so tests can drive the sandbox's faults: the
 * sandbox, the loopback AWS services (local/local-aws.ts), and the local API Gateway in front of
 * the function modules. The functions' log lines are kept off the test output.
 */
export interface LocalStack {
  readonly url: string;
  readonly sandbox: Sandbox;
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
  return {
    url: gateway.url,
    sandbox,
    logs: () => output.lines(),
    async close() {
      output.restore();
      await Promise.all([gateway.close(), sandbox.close(), localAws.close()]);
    },
  };
}
