/**
 * Where a request to the linking pages came from, judged from what the browser says about it:
 * fetch metadata (`Sec-Fetch-Site`, which a page cannot forge) and the `Origin`/`Referer` headers.
 * Pure, so every combination is unit-tested; the route turns the answer into a redirect or a page.
 */
export interface RequestSource {
  secFetchSite: string | undefined;
  origin: string | undefined;
  referer: string | undefined;
}

/**
 * `direct`: opened by the platform's app, typed, or a bookmark (`Sec-Fetch-Site: none`, or a client
 * that sends neither fetch metadata nor Origin/Referer). `same-origin`: from one of our own pages.
 * `cross-site`: anything another site could have caused, or that we cannot place.
 */
export type Arrival = 'direct' | 'same-origin' | 'cross-site';

/** The origin a header names; undefined for `null` (opaque: sandboxed frame, data: URL) or garbage. */
function originOf(value: string): string | undefined {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

function foreign(value: string | undefined, ours: string): boolean {
  return value !== undefined && originOf(value) !== ours;
}

/** How a GET navigation arrived. `ours` is the origin of PUBLIC_URL (what the browser sees). */
export function classifyNavigation(source: RequestSource, ours: string): Arrival {
  // Any sign of another origin wins: a page can suppress its Referer, but not forge ours.
  if (foreign(source.origin, ours) || foreign(source.referer, ours)) return 'cross-site';
  switch (source.secFetchSite) {
    case undefined:
    case 'none':
      return source.origin !== undefined || source.referer !== undefined ? 'same-origin' : 'direct';
    case 'same-origin':
      return 'same-origin';
    default:
      // cross-site, same-site (a sibling subdomain is another party here too), or a value we do not know.
      return 'cross-site';
  }
}

/**
 * May a form POST be honoured as coming from one of our own pages? Each header is checked only
 * when the browser sent it (older browsers send no fetch metadata); the CSRF token is what the
 * decision rests on, this is the second lock.
 */
export function isSameOriginSubmission(source: RequestSource, ours: string): boolean {
  if (foreign(source.origin, ours) || foreign(source.referer, ours)) return false;
  return source.secFetchSite === undefined || source.secFetchSite === 'same-origin';
}
