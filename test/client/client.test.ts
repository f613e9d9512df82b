import { beforeAll, describe, expect, it } from 'vitest';
import { createIxSequencesClient, IxSequencesError } from '../../client/index.ts';
import type { IxSequencesClient, IxSequencesClientOptions } from '../../client/index.ts';
import { routes } from '../../shared/http/routes.ts';
import type { RouteName } from '../../shared/http/routes.ts';
import { startCaptureProxy, useStackBehindProxy } from './capture-proxy.ts';

/**
 * The client against what `npm start` runs (in-process): every route, typed results, typed errors.
 * Calls go through a capture proxy, so the tests also count what reached the gateway.
 */

const credentials = { accessKeyId: 'AKIDCLIENTTEST', secretAccessKey: 'client-test-secret' };
const local = useStackBehindProxy();
let ix: IxSequencesClient;

function client(options: Partial<IxSequencesClientOptions> = {}): IxSequencesClient {
  return createIxSequencesClient({ baseUrl: local.proxy.url, region: 'eu-west-1', credentials, ...options });
}

/** The rejection of `promise`, which must be an IxSequencesError. */
async function failure(promise: Promise<unknown>): Promise<IxSequencesError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(IxSequencesError);
  return error as IxSequencesError;
}

beforeAll(() => {
  ix = client();
});

describe('every route through the client', () => {
  it('listSequences and getSequence read what the account holds', async () => {
    const { sequences } = await ix.listSequences();
    expect(sequences.map((s) => [s.id, s.serie])).toEqual(local.stack.sandbox.sequences().map((s) => [s.id, s.serie]));
    const first = sequences[0];
    if (!first) throw new Error('the sandbox is seeded with one sequence');
    const { sequence } = await ix.getSequence({ id: first.id });
    expect(sequence).toEqual(first);
  });

  it('createSequence → registerSequence → setCurrentSequence → rolloverStatus', async () => {
    local.stack.sandbox.setAt({ onCreate: 'pending' });
    const created = await ix.createSequence({ serie: '2031' });
    expect(created.sequence).toMatchObject({ serie: '2031', isDefault: false, registered: false });
    const id = created.sequence.id;

    const registered = await ix.registerSequence({ id });
    expect(registered.sequence).toMatchObject({ id, registered: true });
    const current = await ix.setCurrentSequence({ id: String(id) });
    expect(current.sequence).toMatchObject({ id, isDefault: true });

    const readiness = await ix.rolloverStatus({ year: 2031 });
    expect(readiness).toMatchObject({ year: 2031, serie: '2031', exists: true, registered: true, current: true });
    expect(readiness.sequence?.id).toBe(id);
    // register and set_current sent no body: they take none.
    expect(local.proxy.requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual(['', '']);
  });

  it('runRollover (dry run) answers the typed result and changes nothing', async () => {
    const before = local.stack.sandbox.sequences();
    const result = await ix.runRollover({ phase: 'prepare', year: 2040, dryRun: true });
    expect(result).toMatchObject({ year: 2040, phase: 'prepare', dryRun: true });
    expect(result.steps.length).toBeGreaterThan(0);
    expect(local.stack.sandbox.sequences()).toEqual(before);
    expect(JSON.parse(local.proxy.requests[0]?.body ?? '')).toEqual({ phase: 'prepare', year: 2040, dryRun: true });
  });

  it('refuses a base URL that is not absolute', () => {
    expect(() => createIxSequencesClient({ baseUrl: '', region: 'eu-west-1', credentials })).toThrow(/baseUrl must be an absolute URL/);
  });

  it('every route of the table is a client function sending its method and path', async () => {
    const sent: { method: string; path: string }[] = [];
    const recording = createIxSequencesClient({
      baseUrl: 'http://api.invalid/v1/',
      region: 'eu-west-1',
      credentials,
      fetch: (input, init) => {
        sent.push({ method: init?.method ?? '', path: new URL(input instanceof Request ? input.url : input).pathname });
        return Promise.resolve(Response.json({ error: { code: 'not_found', message: 'stub' } }, { status: 404 }));
      },
      retries: 0,
    });
    const names = Object.keys(routes) as RouteName[];
    for (const name of names) {
      const input = Object.fromEntries([...routes[name].path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1] ?? '', '7']));
      const call = recording[name] as (input?: unknown) => Promise<unknown>;
      const error = await failure(call(input));
      expect(error).toMatchObject({ route: name, status: 404, code: 'not_found' });
    }
    expect(sent).toEqual(names.map((name) => ({ method: routes[name].method, path: `/v1${routes[name].path.replace(/\{\w+\}/g, '7')}` })));
  });
});

describe('typed errors', () => {
  it('404 not_found, with the request id the service logged', async () => {
    const error = await failure(ix.getSequence({ id: 999_999 }));
    expect(error).toMatchObject({ route: 'getSequence', status: 404, code: 'not_found', details: [] });
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.message).toBe(`getSequence: 404 not_found: ${'No such sequence'}`);
  });

  it('400 invalid_request with one detail per problem', async () => {
    const badId = await failure(ix.getSequence({ id: 'abc' }));
    expect(badId).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(badId.details.map((d) => d.path)).toEqual(['path.id']);
    const badSerie = await failure(ix.createSequence({ serie: 'AT 2027' }));
    expect(badSerie.details.length).toBeGreaterThan(0);
    expect(new Set(badSerie.details.map((d) => d.path))).toEqual(new Set(['body.serie']));
  });

  it('409 serie_exists and 409 invalid_state', async () => {
    const seeded = local.stack.sandbox.sequences()[0]?.serie ?? '';
    expect(await failure(ix.createSequence({ serie: seeded }))).toMatchObject({ status: 409, code: 'serie_exists' });
    local.stack.sandbox.setAt({ onCreate: 'pending' });
    const { sequence } = await ix.createSequence({ serie: '2032' });
    const refused = await failure(ix.setCurrentSequence({ id: sequence.id }));
    expect(refused).toMatchObject({ status: 409, code: 'invalid_state' });
  });

  it('429 rate_limited carries Retry-After; a wait longer than maxRetryAfterMs is not waited for', async () => {
    local.stack.sandbox.addFault({ fault: { kind: 'status', status: 429, retryAfterSeconds: 30 }, operations: ['list'] });
    const error = await failure(ix.listSequences());
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 30 });
    expect(local.proxy.requests).toHaveLength(1);
  });

  it('a POST whose answer is a 5xx is never re-sent', async () => {
    local.stack.sandbox.addFault({ fault: { kind: 'status', status: 500 }, operations: ['create'] });
    const error = await failure(ix.createSequence({ serie: '2033' }));
    expect(error.status).toBe(502);
    expect(error.code).toBe('upstream_error');
    expect(local.proxy.requests).toHaveLength(1);
  });
});

describe("API Gateway's own answers", () => {
  it('a GET is retried after a gateway 503, honouring Retry-After, and then succeeds', async () => {
    local.proxy.interject({ status: 503, headers: { 'retry-after': '0' }, body: '{"message":"Service Unavailable"}' });
    const { sequences } = await ix.listSequences();
    expect(sequences.length).toBe(local.stack.sandbox.sequences().length);
    expect(local.proxy.requests).toHaveLength(2);
    // Each attempt is signed on its own.
    expect(local.proxy.requests.every((r) => typeof r.headers['authorization'] === 'string')).toBe(true);
  });

  it('a PUT is retried after a gateway 503 too (register is safe to repeat)', async () => {
    const seeded = local.stack.sandbox.sequences()[0]?.id ?? 0;
    local.proxy.interject({ status: 503, body: '{"message":"Service Unavailable"}' });
    const { sequence } = await ix.registerSequence({ id: seeded });
    expect(sequence.id).toBe(seeded);
    expect(local.proxy.requests.map((r) => r.method)).toEqual(['PUT', 'PUT']);
  });

  it('a POST answered 503 by the gateway is not retried: gateway_error with its message', async () => {
    local.proxy.interject({ status: 503, headers: { 'retry-after': '0' }, body: '{"message":"Service Unavailable"}' });
    const error = await failure(ix.runRollover({ phase: 'prepare', dryRun: true }));
    expect(error).toMatchObject({ status: 503, code: 'gateway_error', message: 'runRollover: 503 gateway_error: Service Unavailable' });
    expect(local.proxy.requests).toHaveLength(1);
  });

  it('an IAM refusal (403 from API Gateway) is a gateway_error naming the error type', async () => {
    local.proxy.interject({
      status: 403,
      headers: { 'x-amzn-errortype': 'AccessDeniedException', 'x-amzn-requestid': 'gw-req-1' },
      body: '{"Message":"User: arn:aws:sts::1:assumed-role/reader is not authorized to perform: execute-api:Invoke"}',
    });
    const error = await failure(ix.runRollover({ phase: 'activate' }));
    expect(error).toMatchObject({ status: 403, code: 'gateway_error', requestId: 'gw-req-1' });
    expect(error.message).toContain('AccessDeniedException: User: arn:aws:sts::1:assumed-role/reader is not authorized');
  });

  it('gives up at the timeout (per call or per client), without retrying: code timeout, no status', async () => {
    local.proxy.interject('hang', 'hang');
    const started = Date.now();
    expect(await failure(ix.listSequences({ timeoutMs: 300 }))).toMatchObject({ code: 'timeout', status: undefined });
    expect(await failure(client({ timeoutMs: 300 }).getSequence({ id: 1 }))).toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(local.proxy.requests).toHaveLength(2);
  });

  it("the caller's abort passes through as an AbortError", async () => {
    local.proxy.interject('hang');
    const controller = new AbortController();
    const pending = ix.listSequences({ signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('an unreachable API is a network_error', async () => {
    const closed = await startCaptureProxy(local.stack.url);
    await closed.close();
    const error = await failure(createIxSequencesClient({ baseUrl: closed.url, region: 'eu-west-1', credentials, retries: 0 }).listSequences());
    expect(error).toMatchObject({ code: 'network_error', status: undefined });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('a success body that does not match the route schema is unexpected_response', async () => {
    local.proxy.interject({ status: 200, headers: { 'x-request-id': 'r-odd' }, body: '{"sequences": "none"}' });
    const error = await failure(ix.listSequences());
    expect(error).toMatchObject({ status: 200, code: 'unexpected_response', requestId: 'r-odd' });
  });

  it('unknown codes and extra fields of a newer service reach the caller', async () => {
    local.proxy.interject({
      status: 409,
      body: JSON.stringify({
        error: { code: 'rollover_in_progress', message: 'A rollover is running', requestId: 'r-lock', runId: 'run-42' },
      }),
    });
    const error = await failure(ix.runRollover({ phase: 'activate' }));
    expect(error).toMatchObject({ status: 409, code: 'rollover_in_progress', requestId: 'r-lock', extra: { runId: 'run-42' } });
  });
});
