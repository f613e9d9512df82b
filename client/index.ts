/** The ix-sequences caller client: `import { createIxSequencesClient } from 'ix-sequences/client'`. */
export { createIxSequencesClient } from './client.ts';
export type { CallOptions, IxSequencesClient, IxSequencesClientOptions, RouteInput, RouteResult } from './client.ts';
export { IxSequencesError } from './errors.ts';
export type { ClientErrorCode, IxSequencesErrorCode } from './errors.ts';
export type { ApiErrorDetail } from '../shared/http/api-error.ts';
export type { RouteName } from '../shared/http/routes.ts';
export type { Sequence } from '../shared/sequences/sequence.ts';
export type { RolloverReadiness, RolloverResult, RolloverRunRecord } from '../shared/rollover/result.ts';
