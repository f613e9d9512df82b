import { checkWebhookDestination, WebhookDestinationError } from '../webhooks/destination.ts';
import type { Resolve } from '../webhooks/destination.ts';
import { systemErrorCode } from '../runtime/system-error.ts';
import { eventBody } from './model.ts';
import type { NotificationEvent, WebhookEndpoint } from './model.ts';
import { secretForms, signatureHeaders, WEBHOOK_SIGNATURE_HEADER } from './signing.ts';

/**
 * One delivery attempt: a signed POST of the event to the endpoint, 15 s for all of it (connect,
 * answer, its first bytes). Only 2xx is success; redirects are not followed and fail; 410 means
 * the endpoint is gone; 429 and 503 pass their Retry-After on. Never throws.
 */

const ATTEMPT_TIMEOUT_MS = 15_000;
/** Of an answer, only this much is read (and recorded, redacted); the rest is cancelled. */
const MAX_ANSWER_BYTES = 1024;
/** The longest Retry-After honoured (SQS's longest visibility timeout). */
const MAX_RETRY_AFTER_SECONDS = 12 * 3_600;

export interface AttemptResult {
  outcome: 'delivered' | 'retry' | 'gone';
  status?: number;
  latencyMs: number;
  problem?: string;
  /** The first MAX_ANSWER_BYTES of the answer, the endpoint's secrets and signatures redacted. */
  answer?: string;
  retryAfterSeconds?: number;
}

export interface AttemptOptions {
  fetch?: typeof fetch;
  /** LOCAL_RUN: http:/https: to loopback only; otherwise https: to public addresses only. */
  localRun: boolean;
  resolve?: Resolve;
  timeoutMs?: number;
  now?: () => Date;
}

/** The answer's first `max` bytes as text; the rest of the body cancelled unread. */
async function firstBytesOf(response: Response, max = MAX_ANSWER_BYTES): Promise<string> {
  const body = response.body;
  if (body === null) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = body.getReader();
  const kept: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      const part = value.subarray(0, max - size);
      kept.push(part);
      size += part.byteLength;
    }
  } catch {
    // The answer's status is what counts; a body cut off (the timeout, a reset) keeps what came.
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(kept).toString('utf8');
}

/** Retry-After as seconds (delta or HTTP date), within [0, 12 h]; undefined when absent or unreadable. */
function retryAfterSeconds(value: string | null, now: Date): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value.trim()) : (Date.parse(value) - now.getTime()) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, Math.ceil(seconds)));
}

function redacted(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) if (form !== '') out = out.split(form).join('[redacted]');
  return out;
}

function problemOf(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (error instanceof WebhookDestinationError) return `refused: ${error.message}`;
  if (timedOut) return `timeout after ${String(timeoutMs / 1000)} s`;
  const code = systemErrorCode(error);
  return code === undefined ? 'network error' : `network error ${code}`;
}

function outcomeOf(status: number, headers: Headers, at: Date): Pick<AttemptResult, 'outcome' | 'problem' | 'retryAfterSeconds'> {
  if (status >= 200 && status < 300) return { outcome: 'delivered' };
  if (status === 410) return { outcome: 'gone', problem: 'answered 410 (gone): endpoint disabled' };
  const wait = status === 429 || status === 503 ? retryAfterSeconds(headers.get('retry-after'), at) : undefined;
  const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  return { outcome: 'retry', problem: `answered ${String(status)}${redirect}`, ...(wait === undefined ? {} : { retryAfterSeconds: wait }) };
}

export async function attemptDelivery(endpoint: WebhookEndpoint, event: NotificationEvent, options: AttemptOptions): Promise<AttemptResult> {
  const at = (options.now ?? (() => new Date()))();
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
  const body = eventBody(event);
  const signed = signatureHeaders(endpoint, event.id, body, at);
  const headers = { 'content-type': 'application/json', 'user-agent': 'ix-sequences-webhooks/1', ...signed };
  // A receiver echoing what it got must not put a secret or a signature into the delivery log.
  const signatures = (signed[WEBHOOK_SIGNATURE_HEADER] ?? '').split(' ').map((signature) => signature.replace(/^v1,/, ''));
  const forms = [...secretForms(endpoint), ...signatures];
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const latencyMs = (): number => Math.round(performance.now() - started);
  try {
    await checkWebhookDestination(endpoint.url, { localRun: options.localRun, ...(options.resolve ? { resolve: options.resolve } : {}) });
    const response = await (options.fetch ?? fetch)(endpoint.url, { method: 'POST', body, headers, redirect: 'manual', signal: controller.signal });
    const answer = redacted(await firstBytesOf(response), forms);
    return { ...outcomeOf(response.status, response.headers, at), status: response.status, latencyMs: latencyMs(), ...(answer === '' ? {} : { answer }) };
  } catch (error) {
    return { outcome: 'retry', latencyMs: latencyMs(), problem: problemOf(error, timedOut, timeoutMs) };
  } finally {
    clearTimeout(timer);
  }
}
