/** Pages of accounts by name: a token is the page's last name, opaque to callers. */

export class InvalidPageTokenError extends Error {
  override readonly name = 'InvalidPageTokenError';
  constructor() {
    super('nextToken is not a token this API gave');
  }
}

/** A page token: the last account of the page (pages are by name). */
export const encodeToken = (account: string): string => Buffer.from(JSON.stringify({ after: account })).toString('base64url');

export function decodeToken(token: string): string {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const after = (value as { after?: unknown } | null)?.after;
    if (typeof after === 'string' && after.length > 0 && after.length <= 63) return after;
  } catch {
    // falls through: not ours
  }
  throw new InvalidPageTokenError();
}
