import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { parseStageConfig } from '../../infra/config.ts';
import { AccountSecrets } from '../../infra/constructs/account-secrets.ts';
import { FUNCTION_SPECS } from '../../infra/constructs/function-specs.ts';
import type { FunctionSpec } from '../../infra/constructs/function-specs.ts';
import { ServiceFunctions } from '../../infra/constructs/functions.ts';
import { RolloverFanout } from '../../infra/constructs/rollover-fanout.ts';
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
  const accountSecrets = new AccountSecrets(stack, 'AccountSecrets', { config, removalPolicy });
  const fanout = new RolloverFanout(stack, 'Fanout', { config, prefix: 'ix-sequences-test', removalPolicy });
  return new ServiceFunctions(stack, 'Functions', {
    config,
    prefix: 'ix-sequences-test',
    secret,
    accountSecrets,
    runTable,
    notifications,
    fanout,
    removalPolicy,
    specs,
  });
}

describe('the one list of functions (FUNCTION_SPECS)', () => {
  it('serves every route of the route table, and knows which functions serve routes and which run rollovers', () => {
    const functions = build(FUNCTION_SPECS);
    expect(functions.apiFunctions.map((f) => f.spec.entry)).not.toContain('rollover-scheduled');
    expect(functions.rolloverRunners.map((f) => f.spec.entry).sort()).toEqual(['rollover-run', 'rollover-scheduled', 'rollover-worker']);
    expect(functions.fanoutFunctions('dispatch').map((f) => f.spec.entry)).toEqual(['rollover-dispatch', 'rollover-dispatcher']);
    // The worker serves registered accounts only; the scheduled rollover the default account only.
    expect(functions.stageSecretReaders.map((f) => f.spec.entry)).not.toContain('rollover-worker');
    expect(functions.accountSecretDecrypters.map((f) => f.spec.entry).sort()).toEqual(
      [
        'account-put',
        'create-sequence',
        'get-sequence',
        'list-sequences',
        'register-sequence',
        'rollover-run',
        'rollover-status',
        'rollover-worker',
        'set-current-sequence',
      ].sort(),
    );
    expect(functions.get('rollover-status').routes.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /rollover/{year}',
      'GET /accounts/{account}/rollover/{year}',
    ]);
  });

  it('refuses a route whose function has no line in the list, naming the list', () => {
    expect(() => build(FUNCTION_SPECS.filter((s) => s.entry !== 'get-sequence'))).toThrow(/GET \/sequences\/\{id\}.*"get-sequence".*FUNCTION_SPECS/);
  });

  it("refuses a function serving a registered account's route without reach 'any' (it could not read that account's secret or items)", () => {
    const narrowed = FUNCTION_SPECS.map((spec) => (spec.entry === 'get-sequence' ? { ...spec, reach: 'default' as const } : spec));
    expect(() => build(narrowed)).toThrow(/GET \/accounts\/\{account\}\/sequences\/\{id\} serves registered accounts: "get-sequence" needs reach 'any'/);
  });

  it('refuses a line whose functions/<entry>.ts does not exist, and a routeless function without a description', () => {
    const extra = { entry: 'no-such-function', timeout: Duration.seconds(28), runTable: 'none', rolloverSettings: false, invoiceXpress: true } as const;
    expect(() => build([...FUNCTION_SPECS, extra])).toThrow(/no-such-function serves no route/);
    expect(() => build([...FUNCTION_SPECS, { ...extra, description: 'a job' }])).toThrow(/Missing Lambda entry .*no-such-function\.ts/);
  });
});
