import { Duration } from 'aws-cdk-lib';
import type { AccountSecretsWrite } from './account-secrets.ts';
import { DELIVERY_TIMEOUT } from './notifications.ts';
import type { NotificationAccess } from './notifications.ts';
import type { AccountReach, RegistryAccess, RunTableAccess, YearEndAccess } from './run-table.ts';

/**
 * A function's part in the rollover fan-out: `dispatch` opens a dispatch and puts one message per
 * account on the rollover queue; `work` runs one account's rollover per message (the queue's
 * consumer) and tells the alarm topic the accounts that failed.
 */
export type FanoutRole = 'dispatch' | 'work';

/** One Lambda function: what it is and what it needs. Routes come from the route table. */
export interface FunctionSpec {
  /** functions/<entry>.ts; also the suffix of the function's name. */
  readonly entry: string;
  readonly timeout: Duration;
  /** `write`: it runs rollovers (takes the lock, records runs, registration leases); `read`: it shows runs; `lease`: it registers with AT (registration leases). */
  readonly runTable: RunTableAccess;
  /** Gets the serie templates and the rollover time zone. */
  readonly rolloverSettings: boolean;
  /** Calls InvoiceXpress, so reads the secret of each account it serves (see `reach`); the others get no grant on them (nor their keys). */
  readonly invoiceXpress: boolean;
  /**
   * Whose InvoiceXpress account and run-table items: `default` (the stage's own; the scheduled
   * rollover), `any` (also the registered ones: the functions serving `/accounts/{account}/…`), or
   * `registered` (only those: the fan-out's worker, which never reads the stage's secret).
   * Default `default`.
   */
  readonly reach?: AccountReach | 'registered';
  /** The account registry: `read` (resolve an account, list them), `write` (the admin functions). */
  readonly registry?: RegistryAccess;
  /** Year-end statuses: `record` after each registered account's run, `read` them, `track` both. */
  readonly yearEnd?: YearEndAccess;
  /** Registers (`put`) or deletes (`delete`) accounts: writes their secrets, checks a new key with InvoiceXpress. */
  readonly accountAdmin?: AccountSecretsWrite;
  readonly fanout?: FanoutRole;
  /** For a function no route serves (the routes' functions are described by their route). */
  readonly description?: string;
  /** Reserved (and maximum) concurrency. */
  readonly concurrency?: number;
  /** What it does with notifications (infra/constructs/notifications.ts); default none. */
  readonly notifications?: NotificationAccess;
}

// API Gateway gives up after 29 s: 28 s lets every API function answer its own 504 first (each
// handler works to a deadline taken from the remaining time).
const API_TIMEOUT = Duration.seconds(28);
// The scheduled rollover is not behind API Gateway: room for InvoiceXpress retries and waits
// on a 429 (up to a minute), while staying well under the lock's expiry.
const SCHEDULED_TIMEOUT = Duration.seconds(300);
/** One account's rollover from the queue: its waits on its own budget, well under the lock's expiry; the queue's visibility is six times this. */
export const WORKER_TIMEOUT = Duration.seconds(150);

/** What every function that serves registered accounts' routes needs besides its own grants. */
const ANY_ACCOUNT = { reach: 'any', registry: 'read' } as const;

/** Every function of the service, one line each. */
export const FUNCTION_SPECS: readonly FunctionSpec[] = [
  { entry: 'list-sequences', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: true, ...ANY_ACCOUNT },
  { entry: 'get-sequence', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: true, ...ANY_ACCOUNT },
  // The functions that change the account publish its events (sequence numbers, queue, bus).
  { entry: 'create-sequence', timeout: API_TIMEOUT, runTable: 'lease', rolloverSettings: false, invoiceXpress: true, ...ANY_ACCOUNT, notifications: 'publish' },
  {
    entry: 'register-sequence',
    timeout: API_TIMEOUT,
    runTable: 'lease',
    rolloverSettings: false,
    invoiceXpress: true,
    ...ANY_ACCOUNT,
    notifications: 'publish',
  },
  {
    entry: 'set-current-sequence',
    timeout: API_TIMEOUT,
    runTable: 'none',
    rolloverSettings: false,
    invoiceXpress: true,
    ...ANY_ACCOUNT,
    notifications: 'publish',
  },
  // A registered account's run also leaves its year-end status (GET /rollover/{year}/accounts).
  {
    entry: 'rollover-run',
    timeout: API_TIMEOUT,
    runTable: 'write',
    rolloverSettings: true,
    invoiceXpress: true,
    ...ANY_ACCOUNT,
    yearEnd: 'record',
    notifications: 'publish',
  },
  { entry: 'rollover-status', timeout: API_TIMEOUT, runTable: 'read', rolloverSettings: true, invoiceXpress: true, ...ANY_ACCOUNT },
  // Reads a run record by key: needs the account's name (configuration or path), not its API key.
  { entry: 'rollover-run-record', timeout: API_TIMEOUT, runTable: 'read', rolloverSettings: false, invoiceXpress: false, reach: 'any' },
  // The default account's schedules. One run at a time: a second scheduled event waits (Lambda retries throttled events itself).
  {
    entry: 'rollover-scheduled',
    timeout: SCHEDULED_TIMEOUT,
    runTable: 'write',
    rolloverSettings: true,
    invoiceXpress: true,
    concurrency: 1,
    notifications: 'publish',
    description: 'yearly rollover, invoked by EventBridge Scheduler',
  },
  // The registry (admin): the writers keep the accounts' keys in their secrets; the readers never see a key.
  // Registering checks the key with one call on that account's budget (`reach`: any account's budget item).
  {
    entry: 'account-put',
    timeout: API_TIMEOUT,
    runTable: 'none',
    rolloverSettings: false,
    invoiceXpress: false,
    reach: 'any',
    registry: 'write',
    accountAdmin: 'put',
  },
  { entry: 'account-delete', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: false, registry: 'write', accountAdmin: 'delete' },
  { entry: 'account-get', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: false, registry: 'read' },
  { entry: 'accounts-list', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: false, registry: 'read' },
  // The fan-out: dispatchers put one message per enabled account on the rollover queue; the worker runs each.
  { entry: 'rollover-dispatch', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: false, registry: 'read', fanout: 'dispatch' },
  {
    entry: 'rollover-dispatcher',
    timeout: SCHEDULED_TIMEOUT,
    runTable: 'none',
    rolloverSettings: false,
    invoiceXpress: false,
    registry: 'read',
    fanout: 'dispatch',
    // Ticks of the same schedule never overlap: one dispatch at a time.
    concurrency: 1,
    description: "registered accounts' rollover dispatch, invoked by EventBridge Scheduler",
  },
  {
    entry: 'rollover-worker',
    timeout: WORKER_TIMEOUT,
    runTable: 'write',
    rolloverSettings: true,
    invoiceXpress: true,
    reach: 'registered',
    registry: 'read',
    yearEnd: 'track',
    fanout: 'work',
    notifications: 'publish',
    description: "one registered account's rollover, from the rollover queue",
  },
  { entry: 'rollover-accounts', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: false, registry: 'read', yearEnd: 'read' },
  // The delivery log (read) and redelivery (it re-enqueues): no InvoiceXpress, no run table.
  { entry: 'notifications-list', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: false, notifications: 'read' },
  { entry: 'notification-get', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: false, notifications: 'read' },
  { entry: 'notification-redeliver', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: false, notifications: 'redeliver' },
  { entry: 'notifications-redeliver', timeout: API_TIMEOUT, runTable: 'none', rolloverSettings: false, invoiceXpress: false, notifications: 'redeliver' },
  // The only reader of the webhooks secret: signs and POSTs every attempt, from the notification queue.
  {
    entry: 'notification-delivery',
    timeout: DELIVERY_TIMEOUT,
    runTable: 'none',
    rolloverSettings: false,
    invoiceXpress: false,
    notifications: 'deliver',
    description: 'webhook deliveries, from the notification queue',
  },
];

/** Whose run-table items and budgets a function reaches (a `registered`-only function: any account's). */
export function tableReach(spec: FunctionSpec): AccountReach {
  return (spec.reach ?? 'default') === 'default' ? 'default' : 'any';
}

/** It reads the stage's own secret: it calls InvoiceXpress for the default account. */
export function readsStageSecret(spec: FunctionSpec): boolean {
  return spec.invoiceXpress && spec.reach !== 'registered';
}

/** It reads registered accounts' secrets: it calls InvoiceXpress for them. */
export function readsAccountSecrets(spec: FunctionSpec): boolean {
  return spec.invoiceXpress && (spec.reach ?? 'default') !== 'default';
}

/** It spends InvoiceXpress request budgets: every caller of InvoiceXpress, and the registration's key check. */
export function spendsBudget(spec: FunctionSpec): boolean {
  return spec.invoiceXpress || spec.accountAdmin === 'put';
}
