import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RolloverResult } from '../rollover/result.ts';
import { backoffDelay } from '../runtime/backoff.ts';
import type { WebhookTarget } from '../runtime/secret.ts';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signBody } from './sign.ts';

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
}

export interface DeliveryReport {
  delivered: number;
  failed: number;
}

/** Contract section 3: every run that changed something or failed; never dry runs that succeeded, never no-ops. */
export function shouldNotify(result: RolloverResult): boolean {
  if (result.outcome === 'failed') return true;
  return !result.dryRun && result.outcome !== 'already_done';
}

/** Only the host of a webhook URL is ever logged: paths and queries of webhook URLs often carry tokens. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}

/** A thrown fetch error described without its message (which may echo the URL): name and system code. */
function describeThrown(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return `network error ${code}`;
    current = (current as { cause?: unknown }).cause;
  }
  return 'network error';
}

const retryableStatus = (status: number): boolean => status === 429 || status === 408 || status >= 500;

/**
 * POSTs the result JSON to every target (in parallel), signed with each target's secret. Retries
 * network errors, timeouts, 408, 429 and 5xx with exponential backoff; other statuses (and
 * redirects, which are not followed) fail at once. Never throws: a webhook that keeps failing is
 * logged and counted, and never changes the rollover's outcome.
 */
export async function deliverWebhooks(
  result: RolloverResult,
  targets: readonly WebhookTarget[],
  options: DeliverOptions = {},
): Promise<DeliveryReport> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const retries = Math.max(0, Math.floor(options.retries ?? 3));
  const baseDelayMs = Math.max(0, options.baseDelayMs ?? 500);
  const maxDelayMs = Math.max(0, options.maxDelayMs ?? 5_000);
  const timeoutMs = Math.max(1, options.timeoutMs ?? 5_000);
  const body = JSON.stringify(result);
  const event = `rollover.${result.outcome}`;

  const warn = (message: string, attributes: Record<string, unknown>): void => {
    try {
      options.logger?.warn(message, attributes);
    } catch {
      // Logging must not turn a delivery report into an exception.
    }
  };

  async function deliverOne(target: WebhookTarget, index: number): Promise<boolean> {
    const where = { webhook: index, host: hostOf(target.url), event };
    // One id per delivery, the same on every attempt: receivers can drop duplicates.
    const deliveryId = randomUUID();
    let headers: Record<string, string>;
    try {
      headers = {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signBody(body, target.secret),
        [EVENT_HEADER]: event,
        [DELIVERY_HEADER]: deliveryId,
      };
    } catch {
      warn('Webhook not delivered: could not sign the body', where);
      return false;
    }
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      let retryable = true;
      let problem: string;
      try {
        const response = await doFetch(target.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        // Drain the body so the connection is released; its content is not used.
        await response.arrayBuffer().catch(() => undefined);
        if (response.status >= 200 && response.status < 300) return true;
        problem = `answered ${String(response.status)}`;
        retryable = retryableStatus(response.status);
      } catch (error) {
        problem = describeThrown(error);
      }
      if (!retryable || attempt > retries) {
        warn('Webhook not delivered', { ...where, attempts: attempt, problem });
        return false;
      }
      await sleep(backoffDelay(attempt, baseDelayMs, maxDelayMs));
    }
    return false;
  }

  const outcomes = await Promise.all(
    targets.map((target, index) => deliverOne(target, index).catch(() => false)),
  );
  const delivered = outcomes.filter(Boolean).length;
  return { delivered, failed: outcomes.length - delivered };
}
