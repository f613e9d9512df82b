import { isHTTPError, isTimeoutError } from 'ky';
import type { HTTPError } from 'ky';
import { BudgetExhaustedError } from '../budget/budget.ts';
import type { Deadline } from '../runtime/deadline.ts';
import { systemErrorCode } from '../runtime/system-error.ts';
import type { Call } from './call.ts';
import { DeadlineReached } from './call.ts';
import { parseErrorBody } from './error-body.ts';
import { InvoiceXpressError } from './errors.ts';
import type { InvoiceXpressErrorKind } from './errors.ts';
import { MIN_ATTEMPT_MS } from './options.ts';
import { redact, redactValue } from './redact.ts';
import { classifyRefusal } from './refusals.ts';

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date. Undefined when absent/unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  const text = value?.trim() ?? '';
  if (text === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Until just past the next minute boundary: per-minute limits reset there. */
export function untilNextMinute(now = Date.now()): number {
  return 60_000 - (now % 60_000) + 250;
}

const KIND_BY_STATUS: Record<number, InvoiceXpressErrorKind> = {
  401: 'unauthorized',
  404: 'not_found',
  406: 'invalid_state',
  409: 'rejected',
  422: 'rejected',
  429: 'rate_limited',
};

export interface FailureContext {
  attempts: number;
  deadline: Deadline;
  apiKey: string;
  timeoutMs: number;
}

interface Wording {
  operation: Call<unknown>['operation'];
  path: string;
  after: string;
  mayHaveActed: string;
}

function httpFailure(error: HTTPError, words: Wording, apiKey: string): InvoiceXpressError {
  const { operation, path, after, mayHaveActed } = words;
  const clean = (text: string): string => redact(text, apiKey);
  const status = error.response.status;
  // Redacted before parseErrorBody cuts messages to length (a cut key matches no form).
  const body = parseErrorBody(redactValue(error.data, apiKey));
  const messages = body.messages.map(clean);
  const refusal = status === 409 || status === 422 ? classifyRefusal({ codes: body.codes, messages }) : undefined;
  const kind = operation === 'create' && refusal === 'serie_taken' ? 'serie_exists' : (KIND_BY_STATUS[status] ?? 'upstream');
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(error.response.headers.get('retry-after')) : undefined;
  const said = messages.length > 0 ? `: ${messages.join('; ')}` : '';
  return new InvoiceXpressError({
    kind,
    operation,
    status,
    messages,
    codes: body.codes,
    refusal,
    retryAfterSeconds: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
    message: clean(`InvoiceXpress ${operation} ${path} answered ${String(status)}${said}${after}${status >= 500 ? mayHaveActed : ''}`),
  });
}

/** Whatever a call caught, as an InvoiceXpressError of our own words (never the raw error). */
export function failureOf(call: Call<unknown>, error: unknown, context: FailureContext): InvoiceXpressError {
  if (error instanceof InvoiceXpressError) return error;
  const { operation, path } = call;
  const after = context.attempts > 1 ? ` after ${String(context.attempts)} attempts` : '';
  const mayHaveActed = call.method === 'GET' ? '' : '; it may have been applied: read the state before trying again';
  if (isHTTPError(error)) return httpFailure(error, { operation, path, after, mayHaveActed }, context.apiKey);
  if (error instanceof BudgetExhaustedError) {
    return new InvoiceXpressError({
      kind: 'rate_limited',
      operation,
      retryAfterSeconds: Math.max(1, Math.ceil(error.retryAfterMs / 1000)),
      message: `InvoiceXpress ${operation} ${path} not sent: ${error.message}${after}`,
    });
  }
  if (error instanceof DeadlineReached || isTimeoutError(error)) {
    const why = context.deadline.expired(MIN_ATTEMPT_MS) ? 'before the deadline' : `within ${String(context.timeoutMs)} ms`;
    return new InvoiceXpressError({ kind: 'timeout', operation, message: `InvoiceXpress ${operation} ${path} did not answer ${why}${after}${mayHaveActed}` });
  }
  return new InvoiceXpressError({
    kind: 'network',
    operation,
    message: `InvoiceXpress ${operation} ${path} could not be reached (${systemErrorCode(error) ?? 'connection failed'})${after}${mayHaveActed}`,
  });
}
