import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { listenOnLoopback, readBody } from '../sandbox/loopback.ts';

/**
 * A small webhook receiver for `npm start`, the tests and the bench: verifies every delivery with
 * the Standard Webhooks reference implementation (`standardwebhooks`: the signature over
 * id.timestamp.body with any of its secrets, and a timestamp within 5 minutes), prints one line
 * per delivery, and answers as told: refuse the first N attempts of every webhook-id, fail at
 * random, be down, or answer a fixed status (410 to rehearse a gone endpoint).
 */

export interface ReceiverBehaviour {
  /** Answer 503 to the first N attempts of every webhook-id. */
  refuseFirst?: number;
  /** Answer 500 to this share of the attempts (0-1), drawn from `random`. */
  failRate?: number;
  random?: () => number;
  /** Answer 503 to everything. */
  down?: boolean;
  /** Answer this status to everything (e.g. 410). */
  status?: number;
}

interface ReceivedDelivery {
  webhookId: string;
  timestamp: number;
  type: string | undefined;
  verified: boolean;
  /** Signatures in webhook-signature (two during a key rotation). */
  signatures: number;
  /** This attempt's number for its webhook-id, as the receiver counts. */
  attempt: number;
  answered: number;
  receivedAt: number;
  headers: Record<string, string>;
}

export interface LocalReceiver {
  readonly url: string;
  deliveries(): readonly ReceivedDelivery[];
  setBehaviour(behaviour: ReceiverBehaviour): void;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** Secrets (whsec_…) a delivery may be signed with. */
  secrets: readonly string[];
  port?: number;
  behaviour?: ReceiverBehaviour;
  /** One line per delivery (default: nothing). */
  print?: (line: string) => void;
}

function verifies(secrets: readonly string[], body: string, headers: Record<string, string>): boolean {
  return secrets.some((secret) => {
    try {
      new Webhook(secret).verify(body, headers);
      return true;
    } catch {
      return false;
    }
  });
}

function statusFor(behaviour: ReceiverBehaviour, attempt: number, verified: boolean): number {
  if (!verified) return 401;
  if (behaviour.down === true) return 503;
  if (behaviour.status !== undefined) return behaviour.status;
  if (attempt <= (behaviour.refuseFirst ?? 0)) return 503;
  if ((behaviour.random ?? Math.random)() < (behaviour.failRate ?? 0)) return 500;
  return 204;
}

function typeOf(body: string): string | undefined {
  try {
    const type = (JSON.parse(body) as { type?: unknown }).type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

export async function startLocalReceiver(options: ReceiverOptions): Promise<LocalReceiver> {
  let behaviour = options.behaviour ?? {};
  const received: ReceivedDelivery[] = [];
  const attemptsById = new Map<string, number>();
  const server = createServer((request, response) => {
    void readBody(request).then((raw) => {
      const body = raw.toString('utf8');
      const headers = Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
      const webhookId = headers['webhook-id'] ?? '';
      const attempt = (attemptsById.get(webhookId) ?? 0) + 1;
      attemptsById.set(webhookId, attempt);
      const verified = verifies(options.secrets, body, headers);
      const answered = statusFor(behaviour, attempt, verified);
      const delivery: ReceivedDelivery = {
        webhookId,
        timestamp: Number(headers['webhook-timestamp']),
        type: typeOf(body),
        verified,
        signatures: (headers['webhook-signature'] ?? '').split(' ').filter(Boolean).length,
        attempt,
        answered,
        receivedAt: performance.now(),
        headers,
      };
      received.push(delivery);
      options.print?.(
        `receiver: ${delivery.type ?? '?'} ${webhookId} attempt ${String(attempt)}: ${verified ? `signature verified (${String(delivery.signatures)} signature${delivery.signatures === 1 ? '' : 's'})` : 'SIGNATURE REFUSED'}, answered ${String(answered)}`,
      );
      response.writeHead(answered, { 'content-type': 'text/plain' });
      response.end(answered < 300 ? '' : 'not now');
    });
  });
  const url = await listenOnLoopback(server, options.port ?? 0);
  return {
    url: `${url}/webhooks`,
    deliveries: () => received,
    setBehaviour: (next) => {
      behaviour = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
