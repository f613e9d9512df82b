import * as z from '../zod.ts';
import { RolloverReadinessSchema, RolloverResultSchema, RolloverRunRecordViewSchema } from '../rollover/result.ts';
import { SequenceSchema } from '../sequences/sequence.ts';
import { BulkRedeliveredSchema, NotificationDetailSchema, NotificationListSchema, RedeliveredSchema } from '../notifications/views.ts';
import { AccountRecordSchema } from '../accounts/model.ts';
import { DispatchedSchema, YearEndOverviewSchema } from '../fanout/model.ts';
import type { RouteName } from './routes.ts';

/**
 * The success bodies and extra error statuses of every route, for the OpenAPI document and the
 * tests (which check every 2xx body against these schemas). Not imported by the functions: their
 * bodies are typed by routes.ts, and these schemas would only add bytes to each bundle.
 */

const SequenceEnvelopeSchema = z.object({ sequence: SequenceSchema });
const CreatedSequenceSchema = z.object({
  sequence: SequenceSchema,
  restoredDefault: z
    .optional(SequenceSchema)
    .check(z.describe('Only when InvoiceXpress made the new serie the default on create: the default before, which the service made the default again')),
});
const SequenceListSchema = z.object({ sequences: z.array(SequenceSchema) });

export interface RouteResponse {
  schema: z.ZodMiniType;
  description: string;
  /** Error statuses this route can answer besides the common ones (400, 413, 415, 500, 502, 504). */
  errors: readonly number[];
}

const AccountEnvelopeSchema = z.object({ account: AccountRecordSchema });
const PutAccountSchema = z.object({ account: AccountRecordSchema, created: z.boolean().check(z.describe('True when this request registered the account')) });
const AccountListSchema = z.object({ accounts: z.array(AccountRecordSchema), nextToken: z.optional(z.string()) });

/** The default account's routes, each also served for a registered account (404: no such account, or it is deleted). */
const defaultAccountResponses = {
  listSequences: { schema: SequenceListSchema, description: 'The sequences', errors: [429] },
  getSequence: { schema: SequenceEnvelopeSchema, description: 'The sequence', errors: [404, 429] },
  createSequence: { schema: CreatedSequenceSchema, description: 'The created sequence', errors: [409, 422, 429] },
  registerSequence: {
    schema: SequenceEnvelopeSchema,
    description: 'The sequence after registration',
    errors: [404, 409, 422, 429],
  },
  setCurrentSequence: {
    schema: SequenceEnvelopeSchema,
    description: 'The sequence after the switch',
    errors: [404, 409, 429],
  },
  runRollover: {
    schema: RolloverResultSchema,
    description: 'The rollover result; check `outcome` (a run that failed or stopped at its deadline answers 200 with outcome "failed" or "incomplete")',
    errors: [409, 429],
  },
  rolloverStatus: { schema: RolloverReadinessSchema, description: 'The readiness report and the last runs', errors: [429] },
  rolloverRunRecord: { schema: RolloverRunRecordViewSchema, description: 'The run as recorded', errors: [404] },
} satisfies Record<string, RouteResponse>;

type ScopedNames = `${keyof typeof defaultAccountResponses}ForAccount`;
const accountScopedResponses = Object.fromEntries(
  Object.entries(defaultAccountResponses).map(([name, response]) => [`${name}ForAccount`, { ...response, errors: [...new Set([...response.errors, 404])] }]),
) as Partial<Record<string, RouteResponse>> as Record<ScopedNames, RouteResponse>;

export const routeResponses: Record<RouteName, RouteResponse> = {
  ...defaultAccountResponses,
  ...accountScopedResponses,
  putAccount: { schema: PutAccountSchema, description: 'The account as stored (never its key)', errors: [422, 429] },
  listAccounts: { schema: AccountListSchema, description: 'A page of the registry', errors: [] },
  getAccount: { schema: AccountEnvelopeSchema, description: 'The account (never its key)', errors: [404] },
  deleteAccount: { schema: AccountEnvelopeSchema, description: 'The account, disabled, with the date its key is deleted', errors: [404] },
  dispatchRollover: { schema: DispatchedSchema, description: 'Dispatched: one message per account on the rollover queue', errors: [] },
  rolloverAccounts: { schema: YearEndOverviewSchema, description: 'Counts by status, the accounts that need a person, and a page of one status', errors: [] },
  listNotifications: { schema: NotificationListSchema, description: 'A page of the delivery log', errors: [] },
  getNotification: { schema: NotificationDetailSchema, description: 'The notification and its delivery attempts', errors: [404] },
  redeliverNotification: { schema: RedeliveredSchema, description: 'Queued again (pending, a fresh round of the schedule)', errors: [404, 409] },
  redeliverNotifications: { schema: BulkRedeliveredSchema, description: 'The failed notifications queued again', errors: [] },
};
