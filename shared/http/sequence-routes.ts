import * as z from '../zod.ts';
import { SerieNameSchema } from '../sequences/sequence.ts';
import type { Sequence } from '../sequences/sequence.ts';
import { route } from './route-spec.ts';

/** The five sequence routes (contract section 1). Functions import only the module they serve. */

const IdParamsSchema = z.strictObject({
  id: z
    .pipe(z.string().check(z.regex(/^[1-9][0-9]{0,14}$/, 'must be a positive integer')), z.transform(Number))
    .check(z.describe('The sequence id (a positive integer)')),
});

const CreateSequenceBodySchema = z.strictObject({
  serie: SerieNameSchema,
  default: z._default(z.boolean(), false).check(z.describe('Make it the account default at once (default false)')),
});

/** Register and set_current take no body; an empty object is tolerated. */
const NoBodySchema = z.optional(z.strictObject({}));

type SequenceBody = { sequence: Sequence };
/** `restoredDefault`: InvoiceXpress made the new serie the default on create; this, the default before, was put back. */
type CreatedBody = { sequence: Sequence; restoredDefault?: Sequence };

export const sequenceRoutes = {
  listSequences: route<{ sequences: Sequence[] }>()({
    operationId: 'listSequences',
    entry: 'list-sequences',
    method: 'GET',
    path: '/sequences',
    summary: 'Every sequence (serie) of the account',
    params: undefined,
    body: undefined,
    successStatus: 200,
  }),
  getSequence: route<SequenceBody>()({
    operationId: 'getSequence',
    entry: 'get-sequence',
    method: 'GET',
    path: '/sequences/{id}',
    summary: 'One sequence',
    params: IdParamsSchema,
    body: undefined,
    successStatus: 200,
  }),
  createSequence: route<CreatedBody>()({
    operationId: 'createSequence',
    entry: 'create-sequence',
    method: 'POST',
    path: '/sequences',
    summary: 'Create a serie (InvoiceXpress registers it with AT when it can)',
    params: undefined,
    body: CreateSequenceBodySchema,
    successStatus: 201,
  }),
  registerSequence: route<SequenceBody>()({
    operationId: 'registerSequence',
    entry: 'register-sequence',
    method: 'PUT',
    path: '/sequences/{id}/register',
    summary: 'Communicate the serie to AT; safe to repeat',
    params: IdParamsSchema,
    body: NoBodySchema,
    successStatus: 200,
  }),
  setCurrentSequence: route<SequenceBody>()({
    operationId: 'setCurrentSequence',
    entry: 'set-current-sequence',
    method: 'PUT',
    path: '/sequences/{id}/set_current',
    summary: 'Make the sequence the account default; safe to repeat; refused (409) while not registered',
    params: IdParamsSchema,
    body: NoBodySchema,
    successStatus: 200,
  }),
} as const;
