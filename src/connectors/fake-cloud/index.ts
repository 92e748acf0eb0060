/**
 * A toolkit for writing a connector's fake cloud (connectors/<name>/fake): the HTTP server with
 * fault hooks and a calls log, the OAuth sign-in/consent pages and the authorize endpoint. What is
 * left for the fake is its cloud: API routes, state, token rules, error shapes and branding.
 */
export { approveInBrowser } from './approve-in-browser';
export { handleAuthorize, type AuthorizeFlow } from './authorize-flow';
export { FakeCloudBase } from './fake-cloud-base';
export type { FakeFault } from './fault-queue';
export { FakeHttpServer, type FakeCall, type FakeCloudSpec, type FakeRequest } from './http-server';
export { json, type Reply } from './reply';
export { mergeParams } from './request-body';
export { createSignInPages, type SignInPages } from './sign-in-page';
