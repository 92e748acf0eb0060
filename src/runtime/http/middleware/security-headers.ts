import helmet from 'koa-helmet';
import type { Middleware } from 'koa';
import type { RequestState } from '../context';

/**
 * Every response: `nosniff`, `Referrer-Policy: no-referrer`, no framing. HTML pages also get a
 * Content-Security-Policy that allows no script at all (none of our pages runs one; the styles
 * are inline) and no form posts or framing elsewhere than the page's own choices. The queue
 * dashboard (Bull Board, a script app served from our origin) is the one page that runs scripts:
 * its own, from 'self', never inline.
 *
 * Cookies are marked Secure whenever the public URL is https, whatever the hop to us was: TLS ends
 * at the proxy in front, and X-Forwarded-Proto is not believed unless TRUST_PROXY says so.
 */
export function securityHeaders(publicUrl: string): Middleware<RequestState> {
  const https = publicUrl.startsWith('https://');
  const common = {
    referrerPolicy: { policy: 'no-referrer' as const },
    frameguard: { action: 'deny' as const },
    strictTransportSecurity: https ? { maxAge: 15_552_000 } : false,
    crossOriginEmbedderPolicy: false,
  };
  const page = helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
  }) as unknown as Middleware<RequestState>;
  const dashboard = helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        // Its page sets <base href="/admin/queues/"> for its relative asset paths.
        baseUri: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
  }) as unknown as Middleware<RequestState>;
  return async (ctx, next) => {
    if (https) ctx.cookies.secure = true;
    // Headers are set before the route runs, so they are there on error pages and redirects too.
    const headers = ctx.path.startsWith('/admin/queues') ? dashboard : page;
    await headers(ctx, next);
  };
}
