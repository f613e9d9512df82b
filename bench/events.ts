import { apiGatewayEvent } from '../local/api-gateway-event.ts';
import type { RouteName } from '../shared/http/routes.ts';
import { routes } from '../shared/http/routes.ts';

/**
 * One realistic event per function, answered by a sandbox in its seeded state (the docs' serie
 * "2022", id 146090: registered and the default): reads read it, register and set_current find
 * it already done, create makes a new serie (one InvoiceXpress call each); the rollover functions
 * verify 2022 (a read-only run on record: list and get, and the run table).
 */

/** The sequence every read and idempotent PUT targets (seeded by the sandbox). */
export const SEEDED_ID = 146090;
/** The seeded serie's year: its rollover is already done. */
const DONE_YEAR = 2022;

/** Headers an IAM-signed call through API Gateway REST carries (values shaped like real ones). */
function gatewayHeaders(body: boolean): Record<string, string> {
  return {
    accept: 'application/json',
    host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    'user-agent': 'caller-service/1.0 node/24',
    'x-amz-date': '20261124T090000Z',
    authorization: 'AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261124/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000',
    'x-amzn-trace-id': 'Root=1-67890abc-0123456789abcdef01234567',
    'x-forwarded-for': '10.0.0.1',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    ...(body ? { 'content-type': 'application/json' } : {}),
  };
}

function apiEvent(name: RouteName, path: string, pathParameters: Record<string, string> | null, body?: unknown) {
  const route = routes[name];
  return apiGatewayEvent({
    method: route.method,
    path,
    resource: route.path,
    pathParameters,
    headers: gatewayHeaders(body !== undefined),
    body: body === undefined ? null : JSON.stringify(body),
    stage: 'prod',
  });
}

type EventFactory = (sample: number) => unknown;

/** Per function (its entry name): the event of sample `n` (create needs a new serie each time). */
export const FUNCTION_EVENTS: Record<string, EventFactory> = {
  'list-sequences': () => apiEvent('listSequences', '/sequences', null),
  'get-sequence': () => apiEvent('getSequence', `/sequences/${String(SEEDED_ID)}`, { id: String(SEEDED_ID) }),
  'create-sequence': (sample) => apiEvent('createSequence', '/sequences', null, { serie: `B${String(sample)}` }),
  'register-sequence': () => apiEvent('registerSequence', `/sequences/${String(SEEDED_ID)}/register`, { id: String(SEEDED_ID) }),
  'set-current-sequence': () => apiEvent('setCurrentSequence', `/sequences/${String(SEEDED_ID)}/set_current`, { id: String(SEEDED_ID) }),
  // A real run that changes the account may only work on this year or the next: verify reads only.
  'rollover-run': () => apiEvent('runRollover', '/rollover', null, { phase: 'verify', year: DONE_YEAR }),
  'rollover-status': () => apiEvent('rolloverStatus', `/rollover/${String(DONE_YEAR)}`, { year: String(DONE_YEAR) }),
  'rollover-run-record': () => apiEvent('rolloverRunRecord', `/rollover/runs/${NO_SUCH_RUN}`, { runId: NO_SUCH_RUN }),
  // The delivery log: an empty one lists nothing, an unknown id is 404 (one read of the table each).
  'notifications-list': () => apiEvent('listNotifications', '/notifications', null),
  'notification-get': () => apiEvent('getNotification', `/notifications/${NO_SUCH_NOTIFICATION}`, { id: NO_SUCH_NOTIFICATION }),
  'notification-redeliver': () => apiEvent('redeliverNotification', `/notifications/${NO_SUCH_NOTIFICATION}/redeliver`, { id: NO_SUCH_NOTIFICATION }),
  'notifications-redeliver': () => apiEvent('redeliverNotifications', '/notifications/redeliver', null, { status: 'failed', since: '2026-01-01T00:00:00Z' }),
  // An SQS batch of one new event; the bench configures no endpoint, so the fan-out puts nothing.
  'notification-delivery': (sample) => sqsEvent({ event: benchEvent(sample) }),
  // EventBridge Scheduler's payload (the schedule's input with <aws.scheduler.scheduled-time>).
  'rollover-scheduled': () => ({ phase: 'verify', scheduledTime: `${String(DONE_YEAR)}-01-01T01:00:00Z`, schedule: 'ix-sequences-bench-verify' }),
  // The registry: BENCH_ACCOUNT is registered before the first round (its key re-put, checked with one list call).
  'account-put': () => apiEvent('putAccount', `/accounts/${BENCH_ACCOUNT.name}`, { account: BENCH_ACCOUNT.name }, { apiKey: BENCH_ACCOUNT.apiKey }),
  'account-get': () => apiEvent('getAccount', `/accounts/${BENCH_ACCOUNT.name}`, { account: BENCH_ACCOUNT.name }),
  'account-delete': () => apiEvent('deleteAccount', '/accounts/no-such-shop', { account: 'no-such-shop' }),
  'accounts-list': () => apiEvent('listAccounts', '/accounts', null),
  // The fan-out: a dispatch of the registered account(s), the dispatcher's tick (nobody due in June), one account's run, the year at a glance.
  'rollover-dispatch': () => apiEvent('dispatchRollover', '/rollover/dispatch', null, { phase: 'verify', year: DONE_YEAR }),
  'rollover-dispatcher': () => ({
    phases: ['prepare'],
    scheduledTime: `${String(DONE_YEAR)}-06-01T09:00:00Z`,
    schedule: 'ix-sequences-bench-dispatch-prepare-dec',
  }),
  'rollover-worker': (sample) => sqsEvent(workerMessage(sample)),
  'rollover-accounts': () => apiEvent('rolloverAccounts', `/rollover/${String(DONE_YEAR)}/accounts`, { year: String(DONE_YEAR) }),
};

/** The registered account the registry and fan-out functions work on (a sandbox account with this key). */
export const BENCH_ACCOUNT = { name: 'bench-shop', apiKey: 'k-bench-shop-51c9e2' } as const;

/** One account's verify of the done year, in a dispatch of its own per sample (a dispatch runs an account once). */
function workerMessage(sample: number): unknown {
  return {
    v: 1,
    dispatchId: `verify-20220101T010000Z-b${String(sample).padStart(5, '0')}`,
    account: BENCH_ACCOUNT.name,
    phase: 'verify',
    year: DONE_YEAR,
    trigger: 'dispatch',
    caller: 'bench',
  };
}

const NO_SUCH_NOTIFICATION = 'evt_bench_1.ep_nosuch';

function benchEvent(sample: number): unknown {
  return {
    id: `evt_bench-${String(sample)}_1`,
    type: 'serie.created',
    timestamp: '2026-12-01T09:00:00.000Z',
    data: { version: 1, account: 'sandbox', stage: 'bench', sequenceNumber: sample + 1 },
  };
}

/** An SQS event source batch of one message, as Lambda hands it over. */
function sqsEvent(body: unknown): unknown {
  return {
    Records: [
      {
        messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
        receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a',
        body: JSON.stringify(body),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '1764579600000',
          SenderId: 'AIDAIENQZJOLO23YVJ4VO',
          ApproximateFirstReceiveTimestamp: '1764579600001',
        },
        messageAttributes: {},
        md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:ix-sequences-prod-notifications',
        awsRegion: 'eu-west-1',
      },
    ],
  };
}

/** A run id that is well formed and not on record: the record route reads the table (and the secret, for the account). */
const NO_SUCH_RUN = `${String(DONE_YEAR)}-20220101T000000000Z-nosuch`;

/** InvoiceXpress calls one first response makes, where not one. */
// create: list (the default before), create, get (did InvoiceXpress make it the default?).
export const INVOICEXPRESS_CALLS: Record<string, number> = {
  'create-sequence': 3,
  // set_current: the get, and the list beside it (the previous default, for serie.activated).
  'set-current-sequence': 2,
  'rollover-run': 2,
  'rollover-scheduled': 2,
  'rollover-run-record': 0,
  'notifications-list': 0,
  'notification-get': 0,
  'notification-redeliver': 0,
  'notifications-redeliver': 0,
  'notification-delivery': 0,
  'account-get': 0,
  'account-delete': 0,
  'accounts-list': 0,
  'rollover-dispatch': 0,
  'rollover-dispatcher': 0,
  // the account's verify: list and get.
  'rollover-worker': 2,
  'rollover-accounts': 0,
};

/** Secret reads of a first response, where the function's spec does not say (the worker reads the account's own secret). */
export const SECRET_READS: Record<string, number> = { 'rollover-worker': 1 };

/** What a function's first response must be, for the sample to count. */
export const EXPECTED_ANSWER: Record<string, number | string> = {
  'list-sequences': 200,
  'get-sequence': 200,
  'create-sequence': 201,
  'register-sequence': 200,
  'set-current-sequence': 200,
  'rollover-run': 200,
  'rollover-status': 200,
  'rollover-run-record': 404,
  'rollover-scheduled': 'already_done',
  'notifications-list': 200,
  'notification-get': 404,
  'notification-redeliver': 404,
  'notifications-redeliver': 200,
  'notification-delivery': 'batch:0 failed',
  'account-put': 200,
  'account-get': 200,
  'account-delete': 404,
  'accounts-list': 200,
  'rollover-dispatch': 202,
  'rollover-dispatcher': 'dispatched:1',
  'rollover-worker': 'batch:0 failed',
  'rollover-accounts': 200,
};
