import { createHash } from 'node:crypto';
import * as z from '../zod.ts';

/**
 * The shapes of durable notifications (issue 17), shared by the publishing side (events, outbox,
 * publisher) and the delivery side (queue, attempts, the delivery log). Every boundary parses with
 * these: queue messages, the endpoints' configuration, the store's items.
 */

export const EVENT_TYPES = ['serie.created', 'serie.registered', 'serie.activated', 'serie.ready', 'rollover.fallback', 'rollover.failed'] as const;
export const EventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventTypeSchema>;

/** A serialised event (the POSTed body) stays under this; EventBridge and receivers get it whole. */
export const MAX_EVENT_BYTES = 20 * 1024;

/** Event ids and endpoint ids never contain '.', so a notification id splits back into both. */
const EVENT_ID_PATTERN = /^[A-Za-z0-9_:-]{1,200}$/;
const ENDPOINT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const NOTIFICATION_ID_PATTERN = /^[A-Za-z0-9_:-]{1,200}\.[A-Za-z0-9_-]{1,64}$/;

const IsoSchema = z.iso.datetime({ offset: true });

const EventIdSchema = z.string().check(z.regex(EVENT_ID_PATTERN, 'letters, digits, "_", ":" and "-" only (1-200)'));
const EndpointIdSchema = z.string().check(z.regex(ENDPOINT_ID_PATTERN, 'letters, digits, "_" and "-" only (1-64)'));
export const NotificationIdSchema = z
  .string()
  .check(z.regex(NOTIFICATION_ID_PATTERN, 'an event id, a ".", an endpoint id'), z.describe('`<eventId>.<endpointId>`'));

/** What every event's data carries; each type adds its own fields (events.ts, H-publish). */
const EventDataSchema = z.looseObject({
  version: z.literal(1),
  account: z.string().check(z.minLength(1)),
  stage: z.string().check(z.minLength(1)),
  runId: z.optional(z.string()),
  /** Per account, increasing, not contiguous (gaps are allowed). */
  sequenceNumber: z.number().check(z.int(), z.positive()),
});

/**
 * The payload that is POSTed and signed, and put on EventBridge (detail = data, detail-type = type,
 * source 'ix-sequences'). `id` is the webhook-id: the same for the event on every attempt and
 * redelivery, deterministic from what happened (`evt_<runId>_<n>`, `evt_<requestId>_<n>`).
 */
export const NotificationEventSchema = z
  .object({
    id: EventIdSchema,
    type: EventTypeSchema,
    timestamp: IsoSchema,
    data: EventDataSchema,
  })
  .check(z.refine((event) => eventBytes(event) < MAX_EVENT_BYTES, `an event serialises to less than ${String(MAX_EVENT_BYTES)} bytes`));
export type NotificationEvent = z.infer<typeof NotificationEventSchema>;

/**
 * The exact body sent to endpoints (and the one that is signed): `{"type","timestamp","data"}`.
 * The event's id travels in the `webhook-id` header (Standard Webhooks), the receivers' dedupe key.
 */
export function eventBody(event: NotificationEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
}
function eventBytes(event: unknown): number {
  return Buffer.byteLength(JSON.stringify(event));
}

/** A Standard Webhooks secret: `whsec_` and the base64 of the key. */
const WebhookSecretSchema = z.string().check(z.regex(/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/, 'whsec_ followed by base64 (at least 12 bytes)'));

/** A stable id for an endpoint that names none: the same URL gives the same id across deploys. */
function endpointIdForUrl(url: string): string {
  return `ep_${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
}

const WebhookEndpointInputSchema = z.strictObject({
  id: z.optional(EndpointIdSchema),
  url: z.url({ protocol: /^https?$/ }),
  secret: WebhookSecretSchema,
  /** Until `previousSecretUntil`, every delivery carries a second signature made with this one. */
  previousSecret: z.optional(WebhookSecretSchema),
  previousSecretUntil: z.optional(IsoSchema),
  /** The event types this endpoint wants; all of them when absent. */
  events: z.optional(z.array(EventTypeSchema)),
});

/**
 * One endpoint of the stage's configuration (deployed: a secret of its own holding a JSON array,
 * read only by the delivery function; locally IX_WEBHOOKS). Parsed, `id` is always present.
 */
export const WebhookEndpointSchema = z.pipe(
  WebhookEndpointInputSchema.check(
    z.refine((endpoint) => (endpoint.previousSecret === undefined) === (endpoint.previousSecretUntil === undefined), {
      message: 'previousSecret and previousSecretUntil go together',
      path: ['previousSecretUntil'],
    }),
  ),
  z.transform((endpoint) => ({ ...endpoint, id: endpoint.id ?? endpointIdForUrl(endpoint.url) })),
);
export type WebhookEndpointInput = z.input<typeof WebhookEndpointSchema>;
export type WebhookEndpoint = z.output<typeof WebhookEndpointSchema>;

export const WebhookEndpointsSchema = z
  .array(WebhookEndpointSchema)
  .check(z.refine((endpoints) => new Set(endpoints.map((endpoint) => endpoint.id)).size === endpoints.length, 'endpoint ids (or URLs) are unique'));

/** Whether the endpoint subscribed to this type. */
export function endpointWants(endpoint: WebhookEndpoint, type: EventType): boolean {
  return endpoint.events === undefined || endpoint.events.includes(type);
}

/** Only the host of a webhook URL is ever stored, logged or answered: paths and queries carry tokens. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}

export const NOTIFICATION_STATUSES = ['pending', 'delivered', 'failed'] as const;
export const NotificationStatusSchema = z.enum(NOTIFICATION_STATUSES);
export type NotificationStatus = z.infer<typeof NotificationStatusSchema>;

/** One (event, endpoint) pair: the unit the queue carries, the routes list and the log records. */
export const NotificationSchema = z.object({
  id: NotificationIdSchema,
  event: NotificationEventSchema,
  endpointId: EndpointIdSchema,
  endpointHost: z.string(),
  status: NotificationStatusSchema,
  /** Every attempt ever made (the delivery log numbers them 1, 2, ...). */
  attempts: z.number().check(z.int(), z.nonnegative()),
  /** Attempts since the last redelivery (absent: `attempts`); the retry schedule counts these. */
  roundAttempts: z.optional(z.number().check(z.int(), z.nonnegative())),
  createdAt: IsoSchema,
  updatedAt: IsoSchema,
  nextAttemptAt: z.optional(IsoSchema),
  deliveredAt: z.optional(IsoSchema),
  redeliveredAt: z.optional(IsoSchema),
  lastProblem: z.optional(z.string()),
});
export type Notification = z.infer<typeof NotificationSchema>;

function notificationId(eventId: string, endpointId: string): string {
  return `${eventId}.${endpointId}`;
}

/** A new, pending notification of the event for the endpoint (what the publisher puts, then queues). */
export function newNotification(event: NotificationEvent, endpoint: WebhookEndpoint, now: Date): Notification {
  const at = now.toISOString();
  return {
    id: notificationId(event.id, endpoint.id),
    event,
    endpointId: endpoint.id,
    endpointHost: hostOf(endpoint.url),
    status: 'pending',
    attempts: 0,
    createdAt: at,
    updatedAt: at,
    nextAttemptAt: at,
  };
}

const ATTEMPT_OUTCOMES = ['delivered', 'retry', 'failed', 'gone'] as const;

/** One POST, as the delivery log records it. */
export const DeliveryAttemptSchema = z.object({
  number: z.number().check(z.int(), z.positive()),
  at: IsoSchema,
  /** The HTTP status, when an answer came. */
  status: z.optional(z.number().check(z.int())),
  latencyMs: z.number().check(z.nonnegative()),
  outcome: z.enum(ATTEMPT_OUTCOMES),
  problem: z.optional(z.string()),
  /** The first 1 KB of the answer, secrets redacted. */
  answer: z.optional(z.string()),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttemptSchema>;

/** Per endpoint: failing since the first failure after a success; disabled until an operator enables it. */
export const EndpointStateSchema = z.object({
  endpointId: EndpointIdSchema,
  failingSince: z.optional(IsoSchema),
  disabledAt: z.optional(IsoSchema),
  disabledReason: z.optional(z.enum(['gone', 'failing'])),
});
export type EndpointState = z.infer<typeof EndpointStateSchema>;

/** The queue message body (the delivery function parses it with this). */
export const NotificationMessageSchema = z.strictObject({ notificationId: NotificationIdSchema });
