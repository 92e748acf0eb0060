import { html, redirect, type Reply } from './reply';
import type { SignInPages } from './sign-in-page';

/** A checked authorize request: the code flow's first leg (RFC 6749 §4.1.1). */
export interface AuthorizeRequest {
  redirectUri: string;
  /** As sent, or the cloud's default when none was. */
  scope: string;
  state?: string;
  /** RFC 7636: the S256 challenge, for the ledger to check the verifier against at the token endpoint. */
  codeChallenge?: string;
}

/** What one cloud's authorize endpoint does differently; the page handling is the same. */
export interface AuthorizeFlow {
  clientId: string;
  pages: SignInPages;
  /** The scope granted when the request names none. */
  defaultScope: string;
  /** 'optional': a missing response_type means "code" (Netatmo); present, it must be "code" either way. */
  responseType: 'required' | 'optional';
  /** Whether the sign-in form's credentials are the fake's user. */
  signIn(username: string, password: string): boolean;
  /** A fresh authorization code for a signed-in user who accepted. */
  issueCode(request: AuthorizeRequest): string;
  /** The callback parameters when the user declines. */
  declined: Readonly<Record<string, string>>;
  /** 'required': a request without an S256 challenge gets an error page (a connector declaring pkce). */
  pkce?: 'required' | 'optional';
}

const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'] as const;

/**
 * A bad authorize request gets an error page, never a redirect: redirecting to an unchecked
 * redirect_uri would make the fake an open redirector, which the real services are not either.
 */
export function parseAuthorizeRequest(flow: AuthorizeFlow, params: URLSearchParams): AuthorizeRequest | string {
  if (params.get('client_id') !== flow.clientId) return 'Unknown application (client_id).';
  const responseType = params.get('response_type');
  if (responseType !== 'code' && !(responseType === null && flow.responseType === 'optional')) {
    return 'Unsupported response_type: this server only supports "code".';
  }
  const redirectUri = params.get('redirect_uri');
  // Ports are allowed, unlike some real services, so local callbacks work.
  if (!redirectUri || !isAbsoluteHttpUrl(redirectUri)) return 'redirect_uri must be an absolute http(s) URL.';
  const request: AuthorizeRequest = { redirectUri, scope: params.get('scope') || flow.defaultScope };
  const state = params.get('state');
  if (state) request.state = state;
  const challenge = params.get('code_challenge');
  if (challenge !== null) {
    // RFC 7636 §4.2: 43–128 characters; only S256 is accepted, as the framework sends.
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(challenge) || params.get('code_challenge_method') !== 'S256') {
      return 'code_challenge must be an S256 challenge (code_challenge_method=S256).';
    }
    request.codeChallenge = challenge;
  } else if (flow.pkce === 'required') {
    return 'This application must use PKCE (code_challenge).';
  }
  return request;
}

/** RFC 6749 §3.1.2: an absolute URI without a fragment. */
function isAbsoluteHttpUrl(raw: string): boolean {
  if (!URL.canParse(raw) || raw.includes('#')) return false;
  const { protocol } = new URL(raw);
  return protocol === 'http:' || protocol === 'https:';
}

/** The authorize parameters, carried through the sign-in form unchanged. */
function hiddenFields(params: URLSearchParams): Record<string, string> {
  const hidden: Record<string, string> = {};
  for (const name of AUTHORIZE_PARAMS) {
    const value = params.get(name);
    if (value !== null) hidden[name] = value;
  }
  return hidden;
}

/** RFC 6749 §4.1.2: the callback carries code (or error) and echoes state when one was sent. */
function callback(request: AuthorizeRequest, params: Readonly<Record<string, string>>): string {
  const url = new URL(request.redirectUri);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  if (request.state !== undefined) url.searchParams.set('state', request.state);
  return url.toString();
}

/** GET on the authorize endpoint: the sign-in page, or an error page for a bad request. */
export function authorizePage(flow: AuthorizeFlow, query: URLSearchParams): Reply {
  const request = parseAuthorizeRequest(flow, query);
  if (typeof request === 'string') return html(400, flow.pages.error(request));
  return html(200, flow.pages.login({ hidden: hiddenFields(query), clientId: flow.clientId, scope: request.scope }));
}

/** POST on the authorize endpoint: the sign-in form, answered with the callback redirect. */
export function authorizeSubmit(flow: AuthorizeFlow, form: URLSearchParams): Reply {
  const request = parseAuthorizeRequest(flow, form);
  if (typeof request === 'string') return html(400, flow.pages.error(request));
  // Declining needs no sign-in: it is the page's "cancel".
  if (form.get('decision') === 'decline') return redirect(callback(request, flow.declined));
  const username = form.get('username') ?? '';
  if (!flow.signIn(username, form.get('password') ?? '')) {
    return html(
      401,
      flow.pages.login({
        hidden: hiddenFields(form),
        clientId: flow.clientId,
        scope: request.scope,
        username,
        error: 'Incorrect email or password.',
      }),
    );
  }
  return redirect(callback(request, { code: flow.issueCode(request) }));
}

/** The authorize endpoint: GET shows the sign-in page, POST takes the form. */
export function handleAuthorize(flow: AuthorizeFlow, request: { method: string; url: URL; form: URLSearchParams }): Reply {
  return request.method === 'GET' ? authorizePage(flow, request.url.searchParams) : authorizeSubmit(flow, request.form);
}
