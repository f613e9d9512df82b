import { accountScopedTable } from './account-scope.ts';
import { accountRoutes } from './account-routes.ts';
import { fanoutRoutes } from './fanout-routes.ts';
import { notificationRoutes } from './notification-routes.ts';
import { rolloverRoutes } from './rollover-routes.ts';
import { sequenceRoutes } from './sequence-routes.ts';

/**
 * The HTTP API of the contract (section 1, the rollover routes of section 2, the notification routes), as data: the
 * handlers parse with these schemas, the local gateway routes with them and the OpenAPI document
 * is generated from them, so the three cannot disagree. Success bodies are typed here and
 * described by schemas in response-schemas.ts, which only the OpenAPI generator and the tests load (every
 * 2xx body the handler tests see is checked against them).
 */
export const routes = {
  ...sequenceRoutes,
  ...rolloverRoutes,
  ...notificationRoutes,
  // The same routes for each registered account (/accounts/{account}/…), then the registry and the fan-out.
  ...accountScopedTable(sequenceRoutes),
  ...accountScopedTable(rolloverRoutes),
  ...accountRoutes,
  ...fanoutRoutes,
} as const;

export type RouteName = keyof typeof routes;
