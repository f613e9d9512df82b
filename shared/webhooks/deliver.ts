import { randomUUID } from 'node:crypto';
import ky, { isHTTPError, isTimeoutError } from 'ky';
import type { RolloverResult } from '../rollover/result.ts';
import type { Deadline } from '../runtime/deadline.ts';
import { systemErrorCode } from '../runtime/system-error.ts';
import { checkWebhookDestination, WebhookDestinationError } from './destination.ts';
import type { Resolve } from './destination.ts';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signBody } from './sign.ts';

/** One receiver of the old direct POST (goes with this file once notifications/attempt.ts replaces it). */
export interface WebhookTarget {
  url: string;
  secret: string;
}

/** The part of a logger delivery needs (Powertools' Logger fits). */
export interface WebhookLogger {
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface DeliverOptions {
  /** Injected in tests; defaults to the global fetch. */
  fetch?: typeof fetch | undefined;
  /** Attempts after the first one, on network errors, timeouts, 429 and 5xx. Default 3. */
  retries?: number | undefined;
  /** First backoff wait; doubles per retry, with jitter. Default 500 ms. */
  baseDelayMs?: number | undefined;
  /** Cap of one backoff wait. Default 5000 ms. */
  maxDelayMs?: number | undefined;
  /** Per attempt. Default 5000 ms. */
  timeoutMs?: number | undefined;
  logger?: WebhookLogger | undefined;
  /** Every attempt and wait ends by then (POST /rollover must answer before API Gateway's limit). */
  deadline?: Deadline | undefined;
  /** npm start and the tests (LOCAL_RUN): http: and https: to loopback only. Otherwise https: to public addresses only. */
  localRun?: boolean | undefined;
  /** Injected in tests: the host's addresses (default: the system resolver, every address). */
  resolve?: Resolve | undefined;
}

/** Of an answer, only this much is read; the rest is cancelled (a receiver's body means nothing to us). */
const MAX_ANSWER_BYTES = 1024;

export interface DeliveryReport {
  delivered: number;
  failed: number;
}

/** Only the host of a webhook URL is ever logged: paths and queries of webhook URLs often carry tokens. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}

/** A delivery failure described without its message (ky's carry the URL): status, timeout or system code. */
function describeFailure(error: unknown): string {
  if (error instanceof WebhookDestinationError) return `refused: ${error.message}`;
  if (isHTTPError(error)) return `answered ${String(error.response.status)}`;
  if (isTimeoutError(error)) return 'timeout';
  const code = systemErrorCode(error);
  return code === undefined ? 'network error' : `network error ${code}`;
}

/** The answer with at most its first MAX_ANSWER_BYTES, the rest of its body cancelled unread. */
async function firstBytesOf(response: Response): Promise<Response> {
  const body = response.body;
  if (body === null) return response;
  const reader: ReadableStreamDefaultReader<Uint8Array> = body.getReader();
  const kept: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      kept.push(value.subarray(0, MAX_ANSWER_BYTES - size));
      size += Math.min(value.byteLength, MAX_ANSWER_BYTES - size);
    }
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  const bytes = Buffer.concat(kept);
  const nullBody = [101, 204, 205, 304].includes(response.status);
  return new Response(nullBody ? null : bytes, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/**
 * POSTs the result JSON to every target (in parallel), signed with each target's secret, with
 * ky's retry: network errors, timeouts, 408, 429 and 5xx, exponential backoff with jitter
 * (Retry-After honoured up to the backoff cap); other statuses and redirects (not followed) fail at
 * once. Only https: URLs whose every address is public are sent to (destination.ts), and only
 * the first MAX_ANSWER_BYTES of an answer are read. The delivery id is the run id (the same on every retry): receivers drop duplicates on it.
 * Never throws: a webhook that keeps failing is logged and counted, and never changes the
 * rollover's outcome.
 */
export async function deliverWebhooks(
  result: RolloverResult,
  targets: readonly WebhookTarget[],
  options: DeliverOptions = {},
): Promise<DeliveryReport> {
  const retries = Math.max(0, Math.floor(options.retries ?? 3));
  const baseDelayMs = Math.max(0, options.baseDelayMs ?? 500);
  const maxDelayMs = Math.max(0, options.maxDelayMs ?? 5_000);
  const timeoutMs = Math.max(1, options.timeoutMs ?? 5_000);
  const body = JSON.stringify(result);
  const event = `rollover.${result.outcome}`;
  const deliveryId = result.runId ?? randomUUID();

  const warn = (message: string, attributes: Record<string, unknown>): void => {
    try {
      options.logger?.warn(message, attributes);
    } catch {
      // Logging must not turn a delivery report into an exception.
    }
  };

  async function deliverOne(target: WebhookTarget, index: number): Promise<boolean> {
    const where = { webhook: index, host: hostOf(target.url), event };
    let attempts = 1;
    try {
      const remaining = options.deadline?.remainingMs();
      if (remaining !== undefined && remaining <= 0) throw new Error('no time left before the deadline');
      await checkWebhookDestination(target.url, { localRun: options.localRun ?? false, resolve: options.resolve });
      await ky
        .post(target.url, {
          body,
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signBody(body, target.secret),
            [EVENT_HEADER]: event,
            [DELIVERY_HEADER]: deliveryId,
          },
          redirect: 'manual',
          timeout: Math.min(timeoutMs, remaining ?? timeoutMs),
          ...(remaining === undefined ? {} : { totalTimeout: remaining }),
          retry: {
            limit: retries,
            methods: ['post'],
            statusCodes: [408, 429, 500, 502, 503, 504],
            afterStatusCodes: [429, 503],
            maxRetryAfter: maxDelayMs,
            retryOnTimeout: true,
            delay: (attempt) => baseDelayMs * 2 ** (attempt - 1),
            backoffLimit: maxDelayMs,
            jitter: true,
          },
          hooks: {
            // Before ky reads a body (an error's data included): no receiver can make us hold more.
            afterResponse: [({ response }) => firstBytesOf(response)],
            beforeRetry: [({ retryCount }) => void (attempts = retryCount + 1)],
          },
          ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
        })
        .arrayBuffer();
      return true;
    } catch (error) {
      warn('Webhook not delivered', { ...where, attempts, problem: describeFailure(error) });
      return false;
    }
  }

  const outcomes = await Promise.all(targets.map((target, index) => deliverOne(target, index).catch(() => false)));
  const delivered = outcomes.filter(Boolean).length;
  return { delivered, failed: outcomes.length - delivered };
}
