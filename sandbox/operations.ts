import type { SandboxAccount } from './account.ts';
import { alreadyRegistered, registerOutcome } from './at.ts';
import type { ErrorAnswer } from './at.ts';
import type { SandboxAtBehaviour, SandboxOperation, SandboxVariants } from './types.ts';
import { actionAnswer, errors, json, listAnswer, singleAnswer } from './wire.ts';
import type { Answer } from './wire.ts';

/**
 * The five InvoiceXpress sequence operations against the sandbox's account, with AT behaving as
 * set. Each takes the request's parts and answers what InvoiceXpress would (paths and shapes: see
 * ../shared/reference, and the variants).
 */

const MAX_SERIE_LENGTH = 35;
const VALID_SERIE = /^[A-Za-z0-9][A-Za-z0-9_\-/.]*$/;

export interface OperationContext {
  account: SandboxAccount;
  at: SandboxAtBehaviour;
  variants: SandboxVariants;
  now: number;
}

export interface OperationRequest {
  operation: SandboxOperation;
  id?: number | undefined;
  query: URLSearchParams;
  body: string;
}

const errorAnswer = (answer: ErrorAnswer): Answer => json(answer.status, answer.body);

/** InvoiceXpress's recorded 404 for an id it does not know: an empty body or a single space. */
const NOT_FOUND: Answer = { status: 404, body: ' ' };

export function operate(context: OperationContext, request: OperationRequest): Answer {
  if (request.operation === 'list') return listAnswer(context.account.all(), context.variants, request.query);
  if (request.operation === 'create') return create(context, request.body);
  const sequence = request.id === undefined ? undefined : context.account.find(request.id);
  if (!sequence) return NOT_FOUND;
  switch (request.operation) {
    case 'get':
      return singleAnswer(200, sequence, context.variants);
    case 'register':
      return register(context, sequence.id);
    case 'set_current':
      context.account.setCurrent(sequence);
      return actionAnswer('set_current', sequence, context.variants);
  }
}

function defaultFlag(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return false;
  if (value === true || value === 1 || value === '1' || value === 'true') return true;
  if (value === false || value === 0 || value === '0' || value === 'false') return false;
  return undefined;
}

/** The create body's serie and default flag, or undefined when InvoiceXpress would call it invalid. */
function createInput(rawBody: string): { serie: string; isDefault: boolean } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return undefined;
  }
  const input = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['sequence'] : undefined;
  if (typeof input !== 'object' || input === null) return undefined;
  const fields = input as Record<string, unknown>;
  const serie = typeof fields['serie'] === 'number' ? String(fields['serie']) : fields['serie'];
  const isDefault = defaultFlag(fields['default_sequence']);
  if (typeof serie !== 'string' || isDefault === undefined) return undefined;
  if (serie.length > MAX_SERIE_LENGTH || !VALID_SERIE.test(serie) || serie.toUpperCase().startsWith('AT')) return undefined;
  return { serie, isDefault };
}

function create(context: OperationContext, rawBody: string): Answer {
  const input = createInput(rawBody);
  if (!input) return errors(422, 'The sequence name is invalid');
  if (context.account.hasSerie(input.serie)) return errors(422, 'Serie has already been taken');
  const sequence = context.account.create(input.serie, input.isDefault || context.variants.createBecomesDefault === true);
  // Create "creates and registers": AT answers at once unless set to be pending or to refuse this serie.
  if (context.at.onCreate === 'register' && registerOutcome(context.at, input.serie).kind === 'ok') {
    context.account.register(sequence, context.now, context.at.codesDelayMs);
  }
  return singleAnswer(201, sequence, context.variants);
}

function register(context: OperationContext, id: number): Answer {
  const { account, at } = context;
  const sequence = account.find(id);
  if (!sequence) return NOT_FOUND;
  // Accepted earlier, codes still to come: OK again, nothing new.
  if (account.registering(id)) return actionAnswer('register', sequence, context.variants);
  if (!Object.values(sequence).includes('N/D')) return errorAnswer(alreadyRegistered(at));
  const outcome = registerOutcome(at, sequence.serie);
  if (outcome.kind === 'refused') return errorAnswer(outcome.answer);
  if (outcome.kind === 'ok') account.register(sequence, context.now, at.codesDelayMs);
  return actionAnswer('register', sequence, context.variants);
}
