import type { SandboxAtBehaviour, SandboxErrorShape } from './types.ts';

/** What AT does by default: registers at create, accepts every serie, answers at once. */
export const DEFAULT_AT: Readonly<SandboxAtBehaviour> = Object.freeze({
  onCreate: 'register',
  onRegister: 'ok',
  rejectSeries: 'all',
  rejectStatus: 422,
  rejectShape: 'list',
  rejectCode: '001',
  rejectMessage: 'A AT recusou a comunicação da série (sandbox)',
  accountFailureStatus: 422,
  accountFailureShape: 'code',
  accountFailureCode: '004',
  accountFailureMessage: 'AT credentials are missing or invalid for this account (sandbox)',
  registerDelayMs: 0,
  codesDelayMs: 0,
  alreadyRegisteredStatus: 422,
});

export interface ErrorAnswer {
  status: number;
  body: unknown;
}

/** An error body in one of the two shapes seen for InvoiceXpress/AT refusals. */
function errorBody(shape: SandboxErrorShape, code: string, message: string): unknown {
  return shape === 'code' ? { errors: { code, message } } : { errors: [{ error: message }] };
}

/** What AT answers to registering `serie` right now. */
export type RegisterOutcome = { kind: 'ok' } | { kind: 'pending' } | { kind: 'refused'; answer: ErrorAnswer };

export function registerOutcome(at: SandboxAtBehaviour, serie: string): RegisterOutcome {
  switch (at.onRegister) {
    case 'ok':
      return { kind: 'ok' };
    case 'pending':
      return { kind: 'pending' };
    case 'account_failure':
      return {
        kind: 'refused',
        answer: {
          status: at.accountFailureStatus,
          body: errorBody(at.accountFailureShape, at.accountFailureCode, at.accountFailureMessage),
        },
      };
    case 'reject':
      if (at.rejectSeries !== 'all' && !at.rejectSeries.includes(serie)) return { kind: 'ok' };
      return { kind: 'refused', answer: { status: at.rejectStatus, body: errorBody(at.rejectShape, at.rejectCode, at.rejectMessage) } };
  }
}

/** Register on a sequence with nothing pending, as client libraries recorded it (code 007). */
export function alreadyRegistered(at: SandboxAtBehaviour): ErrorAnswer {
  return { status: at.alreadyRegisteredStatus, body: errorBody('code', '007', 'All Sequences are registered in AT.') };
}
