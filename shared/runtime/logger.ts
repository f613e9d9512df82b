import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON logger per container. Never log a raw URL, a raw error from ky/fetch, or
 * the secret: log InvoiceXpressError kind/status/operation and paths without query strings.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ix-sequences' });
