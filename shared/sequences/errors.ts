import type { Sequence } from './sequence.ts';
import type { Registration } from './registration.ts';

/** set_current refused by us: a default serie that AT does not know cannot legally issue documents. */
export class SequenceNotRegisteredError extends Error {
  override readonly name = 'SequenceNotRegisteredError';
  readonly sequenceId: number;
  constructor(sequenceId: number) {
    super(`Sequence ${String(sequenceId)} has document types pending AT registration; register it first`);
    this.sequenceId = sequenceId;
  }
}

/** A registration that did not end registered; `registration` says why (registration.ts). */
export class RegistrationFailedError extends Error {
  override readonly name = 'RegistrationFailedError';
  readonly registration: Exclude<Registration, { status: 'registered' }>;
  /** What else the request did (create with default: true created the serie). */
  readonly outcome: string | undefined;

  constructor(registration: Exclude<Registration, { status: 'registered' }>, outcome?: string) {
    const { sequence, reason } = registration;
    super(`Serie '${sequence.serie}' is not registered with AT${outcome === undefined ? '' : `; ${outcome}`}: ${reason}`);
    this.registration = registration;
    this.outcome = outcome;
  }
}

/** Another request holds the registration lease of this sequence and did not finish before this one's deadline. */
export class RegistrationInProgressError extends Error {
  override readonly name = 'RegistrationInProgressError';
  readonly sequenceId: number;
  constructor(sequenceId: number, holder: { via: string; acquiredAt: string }) {
    super(
      `Sequence ${String(sequenceId)} is being registered with AT by another request (${holder.via}, since ${holder.acquiredAt}); ` +
        'read the sequence again shortly rather than registering it again',
    );
    this.sequenceId = sequenceId;
  }
}

/** InvoiceXpress made a new serie the default on create, and putting the previous default back failed. */
export class DefaultNotRestoredError extends Error {
  override readonly name = 'DefaultNotRestoredError';
  readonly created: Sequence;
  readonly previousDefault: Sequence;
  constructor(created: Sequence, previousDefault: Sequence, cause: unknown) {
    super(
      `Serie '${created.serie}' was created (id ${String(created.id)}) and InvoiceXpress made it the default; putting '${previousDefault.serie}' ` +
        `(id ${String(previousDefault.id)}) back as the default failed (${cause instanceof Error ? cause.message : 'unknown error'}): ` +
        `make it the default again with PUT /sequences/${String(previousDefault.id)}/set_current`,
      { cause },
    );
    this.created = created;
    this.previousDefault = previousDefault;
  }
}
