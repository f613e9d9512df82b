/** set_current refused by us: a default serie that AT does not know cannot legally issue documents. */
export class SequenceNotRegisteredError extends Error {
  override readonly name = 'SequenceNotRegisteredError';
  readonly sequenceId: number;
  constructor(sequenceId: number) {
    super(`Sequence ${String(sequenceId)} has document types pending AT registration; register it first`);
    this.sequenceId = sequenceId;
  }
}
