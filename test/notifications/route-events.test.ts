import { describe, expect, it } from 'vitest';
import { draftsOfCreate } from '../../shared/notifications/events.ts';
import type { NotificationEvent } from '../../shared/notifications/model.ts';
import { createPublisher } from '../../shared/notifications/publisher.ts';
import { createRouteEvents } from '../../shared/notifications/route-events.ts';
import type { Sequence } from '../../shared/sequences/sequence.ts';
import { silenceOutput } from '../support/log-scan.ts';

/** The write routes' events: one counter write, then queue and bus; a failure never fails the answer. */

const sequence: Sequence = {
  id: 146200,
  serie: '2027',
  isDefault: true,
  registered: true,
  documents: { invoice: { sequenceId: 146200, lastNumber: 0, validationCode: 'ABCD1230', atcud: 'registered' } },
};

function source(options: { queueFails?: boolean } = {}) {
  const queued: NotificationEvent[] = [];
  const calls: string[] = [];
  const publisher = createPublisher({
    numbers: { reserve: (_account, count) => (calls.push(`reserve ${String(count)}`), Promise.resolve(Array.from({ length: count }, (_, i) => 41 + i))) },
    queue: {
      sendEvents: (events) => (
        calls.push('queue'),
        options.queueFails === true ? Promise.reject(new Error('SQS down')) : Promise.resolve(void queued.push(...events))
      ),
    },
    bus: { put: () => (calls.push('bus'), Promise.resolve()) },
  });
  return { queued, calls, events: createRouteEvents({ publisher, stage: 'test' }) };
}

describe('route events', () => {
  it('create with default: true: three events, one reservation, ids from the request id', async () => {
    const { queued, calls, events } = source();
    await events.publish(
      draftsOfCreate({ sequence }, { isDefault: true, previousDefault: { ...sequence, id: 146090, serie: '2026' } }, '2027-01-01T00:00:00.000Z'),
      { account: 'acme', requestId: 'c0ffee00-1111-2222-3333-444455556666' },
    );
    expect(calls).toEqual(['reserve 3', 'queue', 'bus']);
    expect(queued.map((e) => [e.id, e.type, e.data.sequenceNumber])).toEqual([
      ['evt_c0ffee00-1111-2222-3333-444455556666_1', 'serie.created', 41],
      ['evt_c0ffee00-1111-2222-3333-444455556666_2', 'serie.registered', 42],
      ['evt_c0ffee00-1111-2222-3333-444455556666_3', 'serie.activated', 43],
    ]);
    expect(queued[0]?.data).toMatchObject({ account: 'acme', stage: 'test', requestId: 'c0ffee00-1111-2222-3333-444455556666' });
  });

  it('a queue that fails is logged with the events (alarm event_not_published), never thrown; no drafts cost nothing', async () => {
    const output = silenceOutput();
    try {
      const { calls, events } = source({ queueFails: true });
      await expect(
        events.publish(draftsOfCreate({ sequence }, { isDefault: false }, '2027-01-01T00:00:00.000Z'), { account: 'acme', requestId: 'r-1' }),
      ).resolves.toBeUndefined();
      expect(output.lines().join('')).toContain('"alarm":"event_not_published"');
      await events.publish([], { account: 'acme', requestId: 'r-2' });
      expect(calls).toEqual(['reserve 2', 'queue', 'bus']);
    } finally {
      output.restore();
    }
  });
});
