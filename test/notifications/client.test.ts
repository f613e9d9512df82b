import { describe, expect, it } from 'vitest';
import { createIxSequencesClient } from '../../client/index.ts';
import type { RouteInput, RouteResult } from '../../client/client.ts';

/** The notification routes in the typed client: query parameters sent as such, bodies typed. */

const credentials = { accessKeyId: 'AKIDCLIENTTEST', secretAccessKey: 'client-test-secret' };

function recordingClient(answer: unknown) {
  const sent: { method: string; url: URL; body: string | undefined }[] = [];
  const client = createIxSequencesClient({
    baseUrl: 'http://api.invalid/v1/',
    region: 'eu-west-1',
    credentials,
    retries: 0,
    fetch: async (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init);
      sent.push({ method: request.method, url: new URL(request.url), body: request.body ? await request.text() : undefined });
      return Response.json(answer);
    },
  });
  return { client, sent };
}

describe('the client, notification routes', () => {
  it('listNotifications sends its input as query parameters (a number too) and no body', async () => {
    const { client, sent } = recordingClient({ notifications: [] });
    const input: RouteInput<'listNotifications'> = { status: 'failed', since: '2027-01-01T00:00:00Z', limit: 20 };
    const page: RouteResult<'listNotifications'> = await client.listNotifications(input);
    expect(page).toEqual({ notifications: [] });
    expect(sent[0]?.method).toBe('GET');
    expect(sent[0]?.url.pathname).toBe('/v1/notifications');
    expect(Object.fromEntries(sent[0]?.url.searchParams ?? [])).toEqual({ status: 'failed', since: '2027-01-01T00:00:00Z', limit: '20' });
    expect(sent[0]?.body).toBeUndefined();
    await client.listNotifications();
    expect(sent[1]?.url.search).toBe('');
  });

  it('redelivers one by id (path) and many by range (body)', async () => {
    const { client, sent } = recordingClient({ redelivered: [], skipped: 0, truncated: false });
    await client.redeliverNotifications({ since: '2027-01-01T00:00:00Z' });
    expect(sent[0]).toMatchObject({ method: 'POST' });
    expect(sent[0]?.url.pathname).toBe('/v1/notifications/redeliver');
    expect(JSON.parse(sent[0]?.body ?? '{}')).toEqual({ since: '2027-01-01T00:00:00Z' });
    const one = recordingClient({ error: { code: 'not_found', message: 'x', requestId: 'r' } });
    await one.client.redeliverNotification({ id: 'evt_a_1.ep_b' }).catch(() => undefined);
    expect(one.sent[0]?.url.pathname).toBe('/v1/notifications/evt_a_1.ep_b/redeliver');
  });
});
