import type { Deadline } from '../runtime/deadline.ts';
import type { InvoiceXpressOperation } from './errors.ts';
import type { WireContext } from './wire.ts';

/** One InvoiceXpress request as the client describes it. */
export interface Call<T> {
  operation: InvoiceXpressOperation;
  method: 'GET' | 'POST' | 'PUT';
  /** Path without query string, e.g. /sequences/123.json */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Safe to repeat after an unclear answer: GET and set_current. */
  idempotent: boolean;
  /** Turns a 2xx answer into the result; throws InvoiceXpressError (malformed_response). */
  parse: (text: string, context: WireContext) => T;
}

export interface ResolvedPolicy {
  deadline: Deadline;
  onRateLimit: 'fail' | 'wait';
  share: 'api' | 'rollover';
}

/** The deadline left no time to start the call. */
export class DeadlineReached extends Error {}
