import type { Sequence } from '../sequences/sequence.ts';
import type { RolloverResult } from '../rollover/result.ts';
import { alarmFor } from '../rollover/notify.ts';
import type { RolloverTrigger } from '../rollover/schemas.ts';
import * as z from '../zod.ts';
import { EVENT_TYPES, MAX_EVENT_BYTES, eventBody } from './model.ts';
import type { EventType } from './model.ts';

/**
 * The events the service tells (docs/contract.md, "Events"): what each type's `data` holds, and
 * pure builders from what changed (a rollover's result, the API's create/register/set_current).
 * An event is `{id, type, timestamp, data}` (model.ts; the id is also the `webhook-id`);
 * EventBridge gets `data` as the detail and `type` as detail-type. The shapes common to both
 * halves (the type list, the size limit, the body) are model.ts's.
 */

export { MAX_EVENT_BYTES };
/** EventBridge `source` of every event. */
export const EVENT_SOURCE = 'ix-sequences';
const EVENT_VERSION = 1;
/** Longest free text (AT's words, a failure message, a note) an event carries. */
export const MAX_TEXT_CHARS = 1_000;

export { eventBody };

const text = z.string().check(z.maxLength(MAX_TEXT_CHARS));
const SerieRefSchema = z.object({ id: z.int().check(z.positive()), serie: z.string() });
/** One serie as events show it: per document type, the `sequence_id` to issue with (null when InvoiceXpress gave none). */
const SerieSummarySchema = z.object({
  id: z.int().check(z.positive()),
  serie: z.string(),
  isDefault: z.boolean(),
  registered: z.boolean(),
  sequenceIds: z.record(z.string(), z.nullable(z.int())),
});

const common = {
  version: z.literal(EVENT_VERSION),
  account: z.string(),
  stage: z.string(),
  /** Set when a rollover run made the change. */
  runId: z.optional(z.string()),
  /** Set when an API request made the change (its x-request-id). */
  requestId: z.optional(z.string()),
  /** Per account, increasing (not contiguous): order events by it. */
  sequenceNumber: z.int().check(z.positive()),
  /** Set when a later run told what a run that died had done (docs/rollover.md). */
  recovered: z.optional(z.literal(true)),
};
/** The family of series (SERIE_FAMILIES) a run's serie belongs to; absent with one family. */
const familyField = { family: z.optional(z.string()) };
const runFields = { year: z.int(), phase: z.enum(['prepare', 'activate', 'verify']) };

export const EVENT_DATA_SCHEMAS = {
  'serie.created': z.object({ ...common, ...familyField, sequence: SerieSummarySchema }),
  'serie.registered': z.object({ ...common, ...familyField, sequence: SerieSummarySchema, validationCodes: z.record(z.string(), z.nullable(z.string())) }),
  'serie.activated': z.object({ ...common, ...familyField, previous: z.nullable(SerieRefSchema), current: SerieSummarySchema }),
  /** At the turn of the year, each other family's serie for the year, ready (registered) beside the new default. */
  'serie.ready': z.object({ ...common, ...runFields, family: z.string(), sequence: SerieSummarySchema }),
  'rollover.fallback': z.object({ ...common, ...runFields, serie: z.string(), from: z.string(), reason: text }),
  'rollover.failed': z.object({
    ...common,
    ...runFields,
    serie: z.string(),
    failure: z.object({ action: z.string(), kind: z.string(), message: text }),
    note: z.optional(text),
  }),
} as const;

type EventData<T extends EventType = EventType> = z.infer<(typeof EVENT_DATA_SCHEMAS)[T]>;
type CommonKey = keyof typeof common;
export interface EventContext {
  account: string;
  stage: string;
  runId?: string | undefined;
  requestId?: string | undefined;
  recovered?: boolean | undefined;
}

/** An event before it has an id and a sequence number: what the builders return. */
export type EventDraft = { [T in EventType]: { type: T; timestamp: string; data: Omit<EventData<T>, CommonKey> } }[EventType];
export type ServiceEvent = { [T in EventType]: { id: string; type: T; timestamp: string; data: EventData<T> } }[EventType];

export const ServiceEventSchema = z.union(
  EVENT_TYPES.map((type) =>
    z.object({ id: z.string().check(z.minLength(1)), type: z.literal(type), timestamp: z.iso.datetime(), data: EVENT_DATA_SCHEMAS[type] }),
  ),
);

const cut = (value: string): string => (value.length <= MAX_TEXT_CHARS ? value : `${value.slice(0, MAX_TEXT_CHARS - 1)}…`);

function serieSummary(sequence: Sequence): z.infer<typeof SerieSummarySchema> {
  const sequenceIds = Object.fromEntries(Object.entries(sequence.documents).map(([type, document]) => [type, document.sequenceId]));
  return { id: sequence.id, serie: sequence.serie, isDefault: sequence.isDefault, registered: sequence.registered, sequenceIds };
}

function validationCodes(sequence: Sequence): Record<string, string | null> {
  return Object.fromEntries(Object.entries(sequence.documents).map(([type, document]) => [type, document.validationCode]));
}

export function createdDraft(sequence: Sequence, timestamp: string): EventDraft {
  return { type: 'serie.created', timestamp, data: { sequence: serieSummary(sequence) } };
}

export function registeredDraft(sequence: Sequence, timestamp: string): EventDraft {
  return { type: 'serie.registered', timestamp, data: { sequence: serieSummary(sequence), validationCodes: validationCodes(sequence) } };
}

export function activatedDraft(sequence: Sequence, previous: Pick<Sequence, 'id' | 'serie'> | undefined, timestamp: string): EventDraft {
  const before = previous === undefined || previous.id === sequence.id ? null : { id: previous.id, serie: previous.serie };
  return { type: 'serie.activated', timestamp, data: { previous: before, current: serieSummary({ ...sequence, isDefault: true }) } };
}

/** Done steps of `action` on a family's serie (a put-back of the previous default is not an activation). */
function didOwn(result: RolloverResult, action: 'create' | 'register' | 'set_current', serie = result.serie, family?: string): boolean {
  return result.steps.some(
    (step) => step.action === action && step.status === 'done' && step.serie === serie && (family === undefined || step.family === family),
  );
}

/** The serie events of one serie: what the run created, registered and made the default. */
function serieDraftsOf(result: RolloverResult, sequence: Sequence, family: string | undefined, isDefaultFamily: boolean): EventDraft[] {
  const at = result.finishedAt;
  const tag = <T extends EventDraft>(draft: T): T => (family === undefined ? draft : { ...draft, data: { ...draft.data, family } });
  const drafts: EventDraft[] = [];
  if (didOwn(result, 'create', sequence.serie, family)) drafts.push(tag(createdDraft(sequence, at)));
  // AT may register a serie at its create: that run registered it too.
  if ((didOwn(result, 'register', sequence.serie, family) || didOwn(result, 'create', sequence.serie, family)) && sequence.registered)
    drafts.push(tag(registeredDraft(sequence, at)));
  if (isDefaultFamily && didOwn(result, 'set_current', sequence.serie, family) && sequence.isDefault)
    drafts.push(tag(activatedDraft(sequence, result.previousDefault, at)));
  return drafts;
}

/**
 * The serie events of a run, family by family (the default family first), and, in the run that
 * made the default family's serie the default, a serie.ready per other family that is ready: the
 * services that pass those families' sequence ids switch at the same moment.
 */
function serieDrafts(result: RolloverResult): EventDraft[] {
  if (result.dryRun) return [];
  const families = result.families ?? [];
  if (families.length <= 1) {
    const sequence = result.sequence;
    return sequence === null || sequence.serie !== result.serie ? [] : serieDraftsOf(result, sequence, undefined, true);
  }
  const drafts = families.flatMap((entry) =>
    entry.sequence === null || entry.sequence.serie !== entry.serie ? [] : serieDraftsOf(result, entry.sequence, entry.family, entry.default),
  );
  const activated = drafts.some((draft) => draft.type === 'serie.activated');
  if (!activated) return drafts;
  const ready = families.filter((entry) => !entry.default && entry.sequence !== null && entry.sequence.registered && entry.outcome !== 'failed');
  return [
    ...drafts,
    ...ready.map((entry): EventDraft => ({
      type: 'serie.ready',
      timestamp: result.finishedAt,
      data: { family: entry.family, year: result.year, phase: result.phase, sequence: serieSummary(entry.sequence as Sequence) },
    })),
  ];
}

/**
 * Every event of one rollover run, in order: created, registered, activated, then a fallback put
 * to use or a failure that pages (the same decision as the run's `alarm`). None for a dry run.
 */
export function draftsOfRun(result: RolloverResult, trigger: RolloverTrigger): EventDraft[] {
  if (result.dryRun) return [];
  const drafts = serieDrafts(result);
  const run = { year: result.year, phase: result.phase, serie: result.serie };
  const alarm = alarmFor(result, trigger);
  if (alarm === 'serie_fallback' && result.fallback !== undefined) {
    drafts.push({ type: 'rollover.fallback', timestamp: result.finishedAt, data: { ...run, from: result.fallback.from, reason: cut(result.fallback.reason) } });
  }
  if (alarm === 'rollover_failed') {
    const failure = result.failure ?? { action: 'find', kind: 'internal', message: 'the run failed' };
    const data = {
      ...run,
      failure: { action: failure.action, kind: failure.kind, message: cut(failure.message) },
      ...(result.note === undefined ? {} : { note: cut(result.note) }),
    };
    drafts.push({ type: 'rollover.failed', timestamp: result.finishedAt, data });
  }
  return drafts;
}

/** POST /sequences: the new serie, registered when AT registered it (at its create, or with `default: true`), activated when asked. */
export function draftsOfCreate(
  answer: { sequence: Sequence },
  asked: { isDefault: boolean; previousDefault?: Sequence | undefined },
  timestamp: string,
): EventDraft[] {
  const drafts = [createdDraft(answer.sequence, timestamp)];
  if (answer.sequence.registered) drafts.push(registeredDraft(answer.sequence, timestamp));
  if (asked.isDefault && answer.sequence.isDefault) drafts.push(activatedDraft(answer.sequence, asked.previousDefault, timestamp));
  return drafts;
}

/** PUT /sequences/{id}/register: an event only when this request sent the registration. */
export function draftsOfRegister(outcome: { sequence: Sequence; sent: boolean }, timestamp: string): EventDraft[] {
  return outcome.sent ? [registeredDraft(outcome.sequence, timestamp)] : [];
}

/** PUT /sequences/{id}/set_current: an event only when this request moved the default. */
export function draftsOfSetCurrent(
  outcome: { sequence: Sequence; previousDefault?: Sequence | undefined; switched: boolean },
  timestamp: string,
): EventDraft[] {
  return outcome.switched ? [activatedDraft(outcome.sequence, outcome.previousDefault, timestamp)] : [];
}

/** The id of the n-th event (from 1) of a run or a request: the same on every attempt and redelivery. */
function eventId(origin: string, n: number | string): string {
  return `evt_${origin}_${String(n)}`;
}

/**
 * Drafts made events: ids from `origin` (a run id or a request id), one sequence number each (from
 * the account's counter), the context in every `data`. Throws if one would not fit MAX_EVENT_BYTES
 * (the builders cut texts, so that is a bug).
 */
export function sealEvents(
  drafts: readonly EventDraft[],
  context: EventContext,
  sequenceNumbers: readonly number[],
  origin: string,
  label: (index: number) => number | string = (index) => index + 1,
): ServiceEvent[] {
  if (sequenceNumbers.length < drafts.length)
    throw new Error(`sealEvents: ${String(drafts.length)} events, ${String(sequenceNumbers.length)} sequence numbers`);
  return drafts.map((draft, index) => {
    const base = {
      version: EVENT_VERSION,
      account: context.account,
      stage: context.stage,
      ...(context.runId === undefined ? {} : { runId: context.runId }),
      ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
      sequenceNumber: sequenceNumbers[index] ?? 0,
      ...(context.recovered === true ? { recovered: true as const } : {}),
    };
    const event = { id: eventId(origin, label(index)), type: draft.type, timestamp: draft.timestamp, data: { ...base, ...draft.data } } as ServiceEvent;
    const size = eventBytes(event);
    if (size >= MAX_EVENT_BYTES) throw new Error(`event ${event.id} (${event.type}) is ${String(size)} bytes, over ${String(MAX_EVENT_BYTES)}`);
    return event;
  });
}

export function eventBytes(event: ServiceEvent): number {
  return Buffer.byteLength(eventBody(event));
}
