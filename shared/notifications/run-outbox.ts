import type { LockKey } from '../rollover/run-store.ts';
import type { RolloverResult } from '../rollover/result.ts';
import type { RolloverTrigger } from '../rollover/schemas.ts';
import { activatedDraft, createdDraft, draftsOfRun, registeredDraft } from './events.ts';
import type { EventDraft } from './events.ts';
import type { NotificationEvent } from './model.ts';
import type { PublishReport, Publisher } from './publisher.ts';

/**
 * The rollover's outbox: a run's events are recorded in the same DynamoDB write as its finished
 * record (dynalite has no transactions or streams), published after, and marked published. The
 * next run that takes the year's lock finishes what a dead run left:
 * - a record with events never marked published: published again (same ids, same numbers);
 * - a record still `running` (the run died between changing the account and its report; no run
 *   but itself could have held the lock): the serie as this run found it is told, for each of
 *   created / registered / the default that no record of the year told yet, as `recovered` events
 *   with ids from the dead run (`evt_<deadRunId>_r1..r3`), so two recoveries give the same ids.
 */

/** What the run table keeps of a run for its outbox (besides the record itself). */
export interface RunOutboxFields {
  events?: NotificationEvent[] | undefined;
  eventsPublishedAt?: string | undefined;
  /** On a dead run's record: the run that told what it did. */
  recoveredBy?: string | undefined;
}

export interface OutboxEntry extends RunOutboxFields {
  runId: string;
  status: 'running' | 'finished';
  phase: string;
}

export interface RunOutboxStore {
  /** Every run of the account and year with its outbox fields (all pages). */
  outboxOf(key: LockKey): Promise<OutboxEntry[]>;
  /** Adds outbox fields to a record already saved (one conditional UpdateItem; a record that is gone stays gone). */
  markRun(account: string, year: number, runId: string, fields: RunOutboxFields): Promise<void>;
}

export interface RunOutbox {
  /** The events to record with this run's finished record, and how to publish them once it is saved. */
  collect(input: { key: LockKey; runId: string; trigger: RolloverTrigger; result: RolloverResult; stage: string }): Promise<CollectedEvents>;
}

export interface CollectedEvents {
  /** This run's own events and the recovered ones: they go into the run's record. */
  events: NotificationEvent[];
  /** Publishes those and any earlier unpublished ones, then marks the records. Never throws. */
  publish(): Promise<PublishReport>;
}

const RECOVERED_LABELS = { 'serie.created': 'r1', 'serie.registered': 'r2', 'serie.activated': 'r3' } as const;

/** What the year's records already told: `<type>#<sequence id>`. */
function toldFacts(entries: readonly OutboxEntry[], events: readonly NotificationEvent[]): Set<string> {
  const told = new Set<string>();
  for (const event of [...entries.flatMap((entry) => entry.events ?? []), ...events]) {
    const data = event.data as { sequence?: { id?: unknown }; current?: { id?: unknown } };
    const id = data.sequence?.id ?? data.current?.id;
    if (typeof id === 'number') told.add(`${event.type}#${String(id)}`);
  }
  return told;
}

/** The dead runs of the year that nobody recovered yet (a verify never changes the account: not one of them). */
function deadRuns(entries: readonly OutboxEntry[], self: string): OutboxEntry[] {
  return entries.filter((entry) => entry.runId !== self && entry.status === 'running' && entry.phase !== 'verify' && entry.recoveredBy === undefined);
}

/** The recovered drafts: what the serie this run found is, that no record told. */
function recoveryDrafts(result: RolloverResult, told: ReadonlySet<string>): EventDraft[] {
  const sequence = result.sequence;
  if (result.dryRun || sequence === null || sequence.serie !== result.serie) return [];
  const missing = (type: string): boolean => !told.has(`${type}#${String(sequence.id)}`);
  const drafts: EventDraft[] = [];
  if (missing('serie.created')) drafts.push(createdDraft(sequence, result.finishedAt));
  if (sequence.registered && missing('serie.registered')) drafts.push(registeredDraft(sequence, result.finishedAt));
  // The default before the dead run switched it is not known any more: previous is null.
  if (sequence.isDefault && sequence.registered && missing('serie.activated')) drafts.push(activatedDraft(sequence, undefined, result.finishedAt));
  return drafts;
}

export function createRunOutbox(deps: { store: RunOutboxStore; publisher: Publisher; now?: () => Date }): RunOutbox {
  const now = deps.now ?? (() => new Date());
  return {
    async collect({ key, runId, trigger, result, stage }) {
      const entries = await deps.store.outboxOf(key);
      const context = { account: key.account, stage, runId };
      const own = await deps.publisher.seal(draftsOfRun(result, trigger), context, runId);
      const dead = deadRuns(entries, runId);
      const newest = dead.at(-1);
      const drafts = newest === undefined ? [] : recoveryDrafts(result, toldFacts(entries, own));
      const recovered =
        newest === undefined
          ? []
          : await deps.publisher.seal(
              drafts,
              { ...context, runId: newest.runId, recovered: true },
              newest.runId,
              (index) => RECOVERED_LABELS[drafts[index]?.type as keyof typeof RECOVERED_LABELS],
            );
      const unpublished = entries.filter((entry) => entry.runId !== runId && entry.eventsPublishedAt === undefined && (entry.events?.length ?? 0) > 0);
      const events = [...own, ...recovered];
      return {
        events,
        publish: async () => {
          const report = await deps.publisher.publish([...unpublished.flatMap((entry) => entry.events ?? []), ...events]);
          if (!report.queued) return report;
          const at = now().toISOString();
          await Promise.all([
            ...(events.length > 0 ? [deps.store.markRun(key.account, key.year, runId, { events, eventsPublishedAt: at })] : []),
            ...unpublished.map((entry) => deps.store.markRun(key.account, key.year, entry.runId, { events: entry.events, eventsPublishedAt: at })),
            ...dead.map((entry) => deps.store.markRun(key.account, key.year, entry.runId, { recoveredBy: runId })),
          ]).catch(() => undefined);
          return report;
        },
      };
    },
  };
}
