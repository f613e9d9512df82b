/**
 * The system error code (ECONNREFUSED, ECONNRESET, ...) somewhere in a fetch failure's cause
 * chain: the one detail of such an error that can be logged, since its message may carry the URL.
 */
export function systemErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
