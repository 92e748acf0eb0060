/**
 * A toolkit for writing a connector's fake cloud (connectors/<name>/fake): the HTTP server with
 * fault hooks and a calls log, the OAuth sign-in/consent pages and the authorize endpoint. What is
 * left for the fake is its cloud: API routes, state, token rules, error shapes and branding.
 */
export { approveInBrowser } from './approve-in-browser';
export { handleAuthorize, type AuthorizeFlow, type AuthorizeRequest } from './authorize-flow';
export { dumpCalls, FakeCloudBase } from './fake-cloud-base';
export type { FakeFault } from './fault-queue';
export { FakeHttpServer, type FakeCall, type FakeCloudSpec, type FakeRequest } from './http-server';
export { json, type Reply } from './reply';
export { mergeParams } from './request-body';
export { createSignInPages, type SignInPages } from './sign-in-page';
export { TokenLedger, pkceMatches, type AccessCheck, type CodeRequest, type GrantOutcome, type GrantRefusal, type IssuedTokens, type TokenLedgerOptions } from './token-ledger';
export { basicCredentials, grantTypeOf, handleRevoke, handleToken, rfc6749TokenBody, type TokenEndpointOptions, type TokenError } from './oauth-endpoints';
export { html, redirect } from './reply';
