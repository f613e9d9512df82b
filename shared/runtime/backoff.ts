/** Exponential backoff with "equal jitter": between half and all of min(max, base * 2^(n-1)). */
export function backoffDelay(retryNumber: number, baseDelayMs: number, maxDelayMs: number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retryNumber - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
