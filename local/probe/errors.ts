/** A bad command line or environment: exit 2. */
export class UsageError extends Error {}

/** The account could not be reached or read: exit 1. */
export class ProbeFailure extends Error {}
