import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { InvoiceXpressError } from '../../shared/invoicexpress/errors.ts';

/** The InvoiceXpressError a promise rejects with (the test fails if it resolves or throws anything else). */
export async function failure(promise: Promise<unknown>): Promise<InvoiceXpressError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(InvoiceXpressError);
    return error as InvoiceXpressError;
  }
  throw new Error('expected a failure');
}

/** A loopback URL nothing listens on (connection refused). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${String(port)}`;
}
