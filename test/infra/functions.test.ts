import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { parseStageConfig } from '../../infra/config.ts';
import { FUNCTION_SPECS, ServiceFunctions } from '../../infra/constructs/functions.ts';
import type { FunctionSpec } from '../../infra/constructs/functions.ts';
import { ServiceEventBus } from '../../infra/constructs/event-bus.ts';
import { ServiceNotifications } from '../../infra/constructs/notifications.ts';
import { RolloverRunTable } from '../../infra/constructs/run-table.ts';
import { ServiceSecret } from '../../infra/constructs/secret.ts';
import { cdkJsonContext, synthOutdir } from './support.ts';

/** The functions construct alone, in a bare stack, with the given list of functions. */
function build(specs: readonly FunctionSpec[]): ServiceFunctions {
  const app = new App({ outdir: synthOutdir(), context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const config = parseStageConfig('test', { invoiceXpressAccount: 'acme' });
  const removalPolicy = RemovalPolicy.DESTROY;
  const secret = new ServiceSecret(stack, 'Secret', { config, removalPolicy });
  const runTable = new RolloverRunTable(stack, 'RunTable', { prefix: 'ix-sequences-test', removalPolicy });
  const bus = new ServiceEventBus(stack, 'EventBus', { prefix: 'ix-sequences-test', removalPolicy });
  const notifications = new ServiceNotifications(stack, 'Notifications', { config, prefix: 'ix-sequences-test', bus, removalPolicy });
  return new ServiceFunctions(stack, 'Functions', { config, prefix: 'ix-sequences-test', secret, runTable, notifications, removalPolicy, specs });
}

describe('the one list of functions (FUNCTION_SPECS)', () => {
  it('serves every route of the route table, and knows which functions serve routes and which run rollovers', () => {
    const functions = build(FUNCTION_SPECS);
    expect(functions.apiFunctions.map((f) => f.spec.entry)).not.toContain('rollover-scheduled');
    expect(functions.rolloverRunners.map((f) => f.spec.entry).sort()).toEqual(['rollover-run', 'rollover-scheduled']);
    expect(functions.get('rollover-status').routes.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /rollover/{year}']);
  });

  it('refuses a route whose function has no line in the list, naming the list', () => {
    expect(() => build(FUNCTION_SPECS.filter((s) => s.entry !== 'get-sequence'))).toThrow(/GET \/sequences\/\{id\}.*"get-sequence".*FUNCTION_SPECS/);
  });

  it('refuses a line whose functions/<entry>.ts does not exist, and a routeless function without a description', () => {
    const extra = { entry: 'no-such-function', timeout: Duration.seconds(28), runTable: 'none', rolloverSettings: false, invoiceXpress: true } as const;
    expect(() => build([...FUNCTION_SPECS, extra])).toThrow(/no-such-function serves no route/);
    expect(() => build([...FUNCTION_SPECS, { ...extra, description: 'a job' }])).toThrow(/Missing Lambda entry .*no-such-function\.ts/);
  });
});
