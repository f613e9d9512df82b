/** The registry's refusals, for the HTTP layer to map (404, 409, 422), without loading the admin code. */

/** Why an account cannot be written (the HTTP layer answers 409 or 422; nothing was stored). */
export class AccountRefusedError extends Error {
  override readonly name = 'AccountRefusedError';
  readonly reason: 'default_account' | 'key_refused' | 'no_such_account';
  constructor(reason: AccountRefusedError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

export class AccountMissingError extends Error {
  override readonly name = 'AccountMissingError';
  constructor(account: string) {
    super(`No account '${account}' in the registry`);
  }
}
