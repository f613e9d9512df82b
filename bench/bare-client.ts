import { createInvoiceXpressClient } from '../shared/invoicexpress/client.ts';

/** The bare client call the warm handler is compared with: what GET /sequences/{id} wraps. */
export function bareGetSequence(options: { accountName: string; apiKey: string; baseUrl: string }): (id: number) => Promise<unknown> {
  const client = createInvoiceXpressClient(options);
  return (id) => client.get(id);
}
