import { describe, expect, it } from 'vitest';
import { accountAfterPut, PutAccountBodySchema } from '../../shared/accounts/model.ts';
import type { AccountRecord } from '../../shared/accounts/model.ts';
import { createAccountSessions, AccountNotFoundError } from '../../shared/accounts/sessions.ts';
import type { AccountRegistry } from '../../shared/accounts/registry.ts';
import type { InvoiceXpressSession } from '../../shared/runtime/invoicexpress-session.ts';
import { issueLines } from '../../shared/zod-issues.ts';

const T0 = '2026-12-01T09:00:00.000Z';
const T1 = '2026-12-05T09:00:00.000Z';
const body = (input: Record<string, unknown>) => PutAccountBodySchema.parse({ apiKey: 'k-1', ...input });

describe('PUT /accounts/{account}: the body', () => {
  it.each([
    [{ apiKey: 'has space' }, 'apiKey'],
    [{ apiKey: '' }, 'apiKey'],
    [{ apiKey: 'k', timeZone: 'Mars/Olympus' }, 'timeZone'],
    [{ apiKey: 'k', serieTemplates: ['{year}'], serieFamilies: [{ name: 'main', templates: ['{year}'], default: true }] }, 'serieFamilies'],
    [{ apiKey: 'k', serieTemplates: ['NOYEAR'] }, 'serieTemplates.0'],
    [{ apiKey: 'k', labels: { 'bad label': 'x' } }, 'labels.bad label'],
    [{ apiKey: 'k', other: 1 }, '(root)'],
  ])('refuses %j at %s', (input, path) => {
    const parsed = PutAccountBodySchema.safeParse(input);
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(issueLines(parsed.error).join('; ')).toContain(`${path}:`);
  });
});

describe('the record a PUT leaves', () => {
  const stored: AccountRecord = {
    account: 'shop',
    timeZone: 'Atlantic/Azores',
    serieTemplates: ['FT{year}'],
    enabled: true,
    labels: { region: 'azores' },
    createdAt: T0,
    updatedAt: T0,
  };

  it('a new account gets the defaults; the key is never part of it', () => {
    const record = accountAfterPut('shop', body({}), undefined, T1);
    expect(record).toEqual({ account: 'shop', timeZone: 'Europe/Lisbon', enabled: true, labels: {}, createdAt: T1, updatedAt: T1 });
    expect(JSON.stringify(record)).not.toContain('k-1');
  });

  it('a key rotation keeps every setting; given fields replace; null puts the names back to the stage’s', () => {
    expect(accountAfterPut('shop', body({}), stored, T1)).toEqual({ ...stored, updatedAt: T1 });
    expect(accountAfterPut('shop', body({ timeZone: 'Europe/Lisbon', labels: {} }), stored, T1)).toMatchObject({
      timeZone: 'Europe/Lisbon',
      labels: {},
      serieTemplates: ['FT{year}'],
    });
    const reset = accountAfterPut('shop', body({ serieTemplates: null }), stored, T1);
    expect(reset.serieTemplates).toBeUndefined();
    const families = [{ name: 'web', templates: ['W{year}'], default: true }];
    const withFamilies = accountAfterPut('shop', body({ serieFamilies: families }), stored, T1);
    expect([withFamilies.serieFamilies, 'serieTemplates' in withFamilies]).toEqual([families, false]);
  });

  it('a deleted account comes back; one disabled by a PUT stays disabled until a PUT says otherwise', () => {
    const deleted = { ...stored, enabled: false, disabledAt: T0, secretDeletionDate: '2026-12-08T09:00:00.000Z' };
    const back = accountAfterPut('shop', body({}), deleted, T1);
    expect([back.enabled, back.disabledAt, back.secretDeletionDate]).toEqual([true, undefined, undefined]);
    const disabled = accountAfterPut('shop', body({ enabled: false }), stored, T1);
    expect([disabled.enabled, disabled.disabledAt]).toEqual([false, T1]);
    expect(accountAfterPut('shop', body({}), disabled, T1).enabled).toBe(false);
  });
});

describe('sessions per account in a warm container', () => {
  const registryOf = (records: Record<string, AccountRecord>, reads: string[]): AccountRegistry => ({
    get: (account) => (reads.push(account), Promise.resolve(records[account])),
    page: () => Promise.reject(new Error('unused')),
    enabled: () => Promise.reject(new Error('unused')),
    put: () => Promise.reject(new Error('unused')),
  });
  const session = (name: string) => ({ name }) as unknown as InvoiceXpressSession;

  it('one session per account, keyed by the account; the record re-read after a minute; deleted accounts are not served', async () => {
    let now = 0;
    const reads: string[] = [];
    const records: Record<string, AccountRecord> = {
      a: { ...accountAfterPut('a', body({}), undefined, T0) },
      b: accountAfterPut('b', body({}), undefined, T0),
    };
    const built: string[] = [];
    const sessions = createAccountSessions({
      defaultSession: session('default'),
      registry: registryOf(records, reads),
      sessionOf: (account) => (built.push(account), session(account)),
      now: () => now,
    });
    expect((await sessions.resolve(undefined)).session).toEqual({ name: 'default' });
    const a = await sessions.resolve('a');
    const b = await sessions.resolve('b');
    expect([a.session, b.session]).toEqual([{ name: 'a' }, { name: 'b' }]);
    expect((await sessions.resolve('a')).session).toBe(a.session);
    expect([reads, built]).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
    now = 61_000;
    records['a'] = { ...records['a']!, enabled: false };
    await expect(sessions.resolve('a')).rejects.toBeInstanceOf(AccountNotFoundError);
    await expect(sessions.resolve('nobody')).rejects.toThrow("Account 'nobody' is not registered");
    expect((await sessions.resolve('b')).session).toBe(b.session);
    expect(built).toEqual(['a', 'b']);
  });
});
