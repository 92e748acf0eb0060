import { API_ROUTES, type ApiRoute } from './api';

/** Which of the fake's routes a request is for; anything else is a 404. */

export type FakeRoute = 'authorize' | 'token' | ApiRoute;

export function routeOf(method: string, path: string): FakeRoute | undefined {
  const getOrPost = method === 'GET' || method === 'POST';
  if (path === '/oauth2/authorize' && getOrPost) return 'authorize';
  if (path === '/oauth2/token' && method === 'POST') return 'token';
  const api = /^\/api\/([a-z]+)$/.exec(path)?.[1];
  // §2.3: the real server takes GET with a query and POST with a form body alike.
  if (api && getOrPost && (API_ROUTES as readonly string[]).includes(api)) return api as ApiRoute;
  return undefined;
}
