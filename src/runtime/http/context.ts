import type { RouterContext } from '@koa/router';
import type { Logger } from '../logging/logger';

/** Per-request state every middleware may rely on. */
export interface RequestState {
  requestId: string;
  log: Logger;
  /** Browser flows render errors as pages whatever the Accept header says. */
  html?: boolean;
  /** A person's page outside linking (device, apps, operator pages): errors render as neutral pages. */
  page?: boolean;
  /** What the error page says beyond the error: where to go back to, the installation's link as it is. */
  errorPage?: ErrorPageContext;
}

export interface ErrorPageContext {
  /** Where the person came from: the error page's way back. */
  back?: { href: string; label: string };
  /** A linking page: the installation's status as it is now, when the failed request names one. */
  linkStatus?: 'pending' | 'linked' | 'reauth_required';
}

export type AppContext = RouterContext<RequestState>;
