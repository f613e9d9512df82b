import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGatewayEvent, lambdaContext } from '../../local/api-gateway-event.ts';
import { MAX_REQUEST_BODY_BYTES } from '../../local/gateway.ts';
import { ApiError } from '../../shared/http/api-error.ts';
import { createHttpHandler } from '../../shared/http/handler.ts';
import { routes } from '../../shared/http/routes.ts';
import { startLocalStack } from '../support/local-stack.ts';
import type { LocalStack } from '../support/local-stack.ts';

/**
 * What a hostile caller sends, over real HTTP through the local API Gateway: huge bodies, bodies
 * over API Gateway's limit, malformed percent-escapes in the path. Every answer is bounded, in the
 * contract's error shape, with `x-request-id`.
 */

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(async () => {
  await stack?.close();
});

const ERROR_BODY_LIMIT = 8192;

/** A JSON object of `count` unknown keys (plus `extra`), as text. */
function objectWithUnknownKeys(count: number, extra: Record<string, unknown> = {}): string {
  const parts = Object.entries(extra).map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
  for (let index = 0; index < count; index += 1) parts.push(`"key${index.toString(36).padStart(6, '0')}":1`);
  return `{${parts.join(',')}}`;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  error: { code: string; message: string; requestId: string; details?: { path: string; message: string }[] };
}

async function send(method: string, path: string, body?: string): Promise<Answer> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  const parsed = JSON.parse(text) as { error: Answer['error'] };
  return { status: response.status, headers: response.headers, text, error: parsed.error };
}

function expectContractError(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text.slice(0, 500)).toBe(status);
  expect(answer.error).toMatchObject({ code, requestId: answer.headers.get('x-request-id') });
  expect(answer.headers.get('x-request-id')).toMatch(/.+/);
}

describe('error bodies are bounded whatever the input', () => {
  it('POST /sequences with 9 MB of 650,000 unknown keys → 400 of at most 8 KB naming 10 keys and the count', async () => {
    const body = objectWithUnknownKeys(650_000, { serie: '2027' });
    expect(Buffer.byteLength(body)).toBeGreaterThan(9_000_000);
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_REQUEST_BODY_BYTES);
    const answer = await send('POST', '/sequences', body);
    expectContractError(answer, 400, 'invalid_request');
    expect(Buffer.byteLength(answer.text)).toBeLessThanOrEqual(ERROR_BODY_LIMIT);
    expect(answer.error.details).toEqual([{ path: 'body', message: expect.stringMatching(/^unknown field\(s\): key000000, .* and 649990 more$/) as string }]);
  });

  it('POST /rollover with 50,000 unknown keys → 400 of at most 8 KB', async () => {
    const answer = await send('POST', '/rollover', objectWithUnknownKeys(50_000, { phase: 'prepare', dryRun: true }));
    expectContractError(answer, 400, 'invalid_request');
    expect(Buffer.byteLength(answer.text)).toBeLessThanOrEqual(ERROR_BODY_LIMIT);
    expect(answer.error.details?.[0]?.message).toMatch(/ and 49990 more$/);
  });

  it('keys that are long, or escape to six bytes a character, are cut: still at most 8 KB', async () => {
    const longKeys: Record<string, number> = {};
    for (let index = 0; index < 30; index += 1) longKeys[`${'\u0001'.repeat(50_000)}${String(index)}`] = 1;
    const answer = await send('POST', '/rollover', JSON.stringify({ phase: 'someday', year: 'x', dryRun: 'y', ...longKeys }));
    expectContractError(answer, 400, 'invalid_request');
    expect(Buffer.byteLength(answer.text)).toBeLessThanOrEqual(ERROR_BODY_LIMIT);
    expect(answer.error.details?.length).toBeLessThanOrEqual(20);
  });
});

/** A raw request: `declaredLength` as content-length (else chunked), `send` bytes written, then left open. */
function rawPost(options: { declaredLength?: number; send: number }): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${stack.url}/sequences`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.declaredLength === undefined ? {} : { 'content-length': String(options.declaredLength) }),
      },
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    // The server may drop the connection once it has answered; the answer is what counts.
    request.on('error', (error) => reject(error));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let written = 0;
    const writeMore = (): void => {
      while (written < options.send) {
        const piece = chunk.subarray(0, Math.min(chunk.length, options.send - written));
        written += piece.length;
        if (!request.write(piece)) {
          request.once('drain', writeMore);
          return;
        }
      }
      // Never ended: the answer must come without the whole body.
    };
    writeMore();
  });
}

describe("a request body over API Gateway's 10 MB limit", () => {
  it('a content-length over the limit → 413 at once, before the body is sent', async () => {
    const answer = await rawPost({ declaredLength: MAX_REQUEST_BODY_BYTES + 1, send: 10 });
    expect(answer.status).toBe(413);
    const error = (JSON.parse(answer.text) as Answer).error;
    expect(error).toMatchObject({ code: 'payload_too_large', requestId: answer.headers['x-request-id'] });
  });

  it('a chunked body that passes the limit → 413 as soon as it does, without waiting for its end', async () => {
    const answer = await rawPost({ send: MAX_REQUEST_BODY_BYTES + 64 * 1024 });
    expect(answer.status).toBe(413);
    expect((JSON.parse(answer.text) as Answer).error).toMatchObject({ code: 'payload_too_large' });
    expect(answer.headers['x-request-id']).toMatch(/.+/);
  });

  it('a body of exactly the limit still reaches the function', async () => {
    const body = `{"serie":"2027"${' '.repeat(MAX_REQUEST_BODY_BYTES - 16)}}`;
    expect(Buffer.byteLength(body)).toBe(MAX_REQUEST_BODY_BYTES);
    const answer = await send('POST', '/sequences', body);
    expect(answer.status).toBe(201);
  });
});

describe('malformed percent-escapes in the path', () => {
  it.each([
    ['/sequences/%E0%A4%A', 'path.id'],
    ['/sequences/%', 'path.id'],
    ['/sequences/%zz', 'path.id'],
    ['/sequences/%zz/register', 'path.id'],
    ['/rollover/runs/%E0%A4%A', 'path.runId'],
    ['/rollover/%E0%A4%A', 'path.year'],
  ])('%s → 400 invalid_request on %s, logged', async (path, detailPath) => {
    const method = path.endsWith('/register') ? 'PUT' : 'GET';
    const answer = await send(method, path);
    expectContractError(answer, 400, 'invalid_request');
    expect(answer.error.details).toEqual([{ path: detailPath, message: 'malformed percent-escape' }]);
    const logged = stack
      .logs()
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line['requestId'] === answer.error.requestId);
    expect(logged).toEqual([expect.objectContaining({ message: 'request', status: 400 })]);
  });

  it('a well-formed escape is decoded once: /sequences/%31%34%36%30%39%30 is sequence 146090', async () => {
    const response = await fetch(`${stack.url}/sequences/%31%34%36%30%39%30`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { sequence: { id: number } }).sequence.id).toBe(146090);
  });
});

describe('every answer of the local gateway carries x-request-id', () => {
  it('a 404 of no route', async () => {
    const answer = await send('GET', '/nope');
    expectContractError(answer, 404, 'not_found');
  });
});

describe('the cap is where errors become answers: any route, any error', () => {
  it('an error of 500 long details (escaped and multi-byte text) → at most 20 details and 8 KB', async () => {
    const details = Array.from({ length: 500 }, (_, index) => ({
      path: `body.${'\u0007'.repeat(400)}${String(index)}`,
      message: `${'ação '.repeat(400)}${'😀'.repeat(100)}`,
    }));
    const handler = createHttpHandler(routes.listSequences, () =>
      Promise.reject(new ApiError(422, 'rejected', `InvoiceXpress refused: ${'x'.repeat(10_000)}`, { details })),
    );
    const event = apiGatewayEvent({ method: 'GET', path: '/sequences', resource: '/sequences', requestId: 'req-bounded' });
    const result = await handler(event, lambdaContext('bounded'));
    expect(result.statusCode).toBe(422);
    expect(Buffer.byteLength(result.body)).toBeLessThanOrEqual(ERROR_BODY_LIMIT);
    const error = (JSON.parse(result.body) as Answer).error;
    expect(error.requestId).toBe('req-bounded');
    expect(error.details?.length).toBeGreaterThan(0);
    expect(error.details?.length).toBeLessThanOrEqual(20);
    expect(error.details?.at(-1)).toEqual({ path: '', message: expect.stringMatching(/^and \d+ more$/) as string });
  });

  it('at most 20 plain details: 19 kept and "and N more"', async () => {
    const details = Array.from({ length: 45 }, (_, index) => ({ path: '', message: `AT refused ${String(index)}` }));
    const handler = createHttpHandler(routes.listSequences, () => Promise.reject(new ApiError(422, 'rejected', 'refused', { details })));
    const result = await handler(apiGatewayEvent({ method: 'GET', path: '/sequences', resource: '/sequences' }), lambdaContext('bounded'));
    const error = (JSON.parse(result.body) as Answer).error;
    expect(error.details).toEqual([...details.slice(0, 19), { path: '', message: 'and 26 more' }]);
  });
});
