import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.ts';
import type { Sandbox } from '../../sandbox/types.ts';
import { createInvoiceXpressClient } from '../../shared/invoicexpress/client.ts';
import { InvoiceXpressError } from '../../shared/invoicexpress/errors.ts';

/** Issue 21 item 5: a 422 echoing the key where the 500-character cut falls inside it. */
const KEY = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: KEY });
});
afterAll(async () => {
  await sandbox.close();
});

describe('InvoiceXpress messages cut to length', () => {
  it('keep no part of a key straddling the cut', async () => {
    expect(KEY).toHaveLength(40);
    // The message's 500-character cut falls 15 characters into the key.
    const message = `${'x'.repeat(485)}${KEY} was refused`;
    sandbox.addFault({ fault: { kind: 'status', status: 422, body: JSON.stringify({ errors: [{ error: message }] }) }, times: 1 });
    const client = createInvoiceXpressClient({ accountName: sandbox.accountName, apiKey: KEY, baseUrl: sandbox.url });
    const error = await client.create({ serie: 'CUT1', isDefault: false }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvoiceXpressError);
    const seen = JSON.stringify({ message: (error as InvoiceXpressError).message, messages: (error as InvoiceXpressError).messages });
    expect(seen).toContain('[redacted]');
    // Any 8 consecutive characters of the key would be a leak.
    for (let start = 0; start + 8 <= KEY.length; start++) expect(seen).not.toContain(KEY.slice(start, start + 8));
  });
});
