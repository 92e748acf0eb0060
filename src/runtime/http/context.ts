import type { RouterContext } from '@koa/router';
import type { Logger } from '../logging/logger';

/** Per-request state every middleware may rely on. */
export interface RequestState {
  requestId: string;
  log: Logger;
  /** Browser flows render errors as pages whatever the Accept header says. */
  html?: boolean;
}

export type AppContext = RouterContext<RequestState>;
