import { RUN_ID_PATTERN } from './schemas.ts';
import type { RolloverPhase, RolloverTrigger } from './schemas.ts';
import type { RolloverRunRecord, RolloverRunSummary } from './result.ts';
import type { RunOutboxFields } from '../notifications/run-outbox.ts';

/**
 * Where runs take their lock and leave their record (one DynamoDB table per environment in AWS,
 * dynalite locally: run-table.ts). One lock per InvoiceXpress account and year, shared by every
 * trigger (the schedules, POST /rollover, the CLI), with a lease so a crashed run never blocks
 * the next.
 */
export interface RunHolder {
  runId: string;
  trigger: RolloverTrigger;
  caller: string;
  phase: RolloverPhase;
  /** ISO time the lock was taken. */
  acquiredAt: string;
}

export type LockAttempt = { acquired: true } | { acquired: false; holder: RunHolder };

export interface LockKey {
  account: string;
  year: number;
}

export interface RunStore {
  /** Takes the lock unless a run holds an unexpired lease (the same run id too: it is never reused). */
  acquire(key: LockKey, holder: RunHolder, leaseMs: number): Promise<LockAttempt>;
  /** Releases the lock if this run still holds it. */
  release(key: LockKey, runId: string): Promise<void>;
  /** `outbox`: the run's events, in the same write (shared/notifications/run-outbox.ts). */
  saveRun(account: string, record: RolloverRunRecord, outbox?: RunOutboxFields): Promise<void>;
  getRun(account: string, runId: string): Promise<RolloverRunRecord | undefined>;
  /** The newest runs for the year first. */
  recentRuns(key: LockKey, limit: number): Promise<RolloverRunSummary[]>;
}

/** The run table's key schema and TTL attribute, for the stack and dynalite (run-table.ts writes its items with these names). */
export const RUN_TABLE_KEY = { partitionKey: 'pk', sortKey: 'sk', timeToLive: 'expiresAt' } as const;

/** A run id that sorts by start time within its year: `2027-20261201T090000000Z-k3f9qa`. */
export function newRunId(year: number, startedAt: Date, random: () => number = Math.random): string {
  const stamp = startedAt.toISOString().replace(/[-:.]/g, '');
  return `${String(year)}-${stamp}-${randomSuffix(random)}`;
}

/** Six random lowercase letters or digits: what keeps two ids of the same instant apart (run ids, dispatch ids). */
export function randomSuffix(random: () => number = Math.random): string {
  return Array.from({ length: 6 }, () => '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 36)]).join('');
}

/** The year a run id belongs to, or undefined when it is not one of ours. */
export function yearOfRunId(runId: string): number | undefined {
  const match = RUN_ID_PATTERN.exec(runId);
  return match ? Number(match[1]) : undefined;
}
