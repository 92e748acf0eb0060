import type Router from '@koa/router';
import { z } from 'zod';
import { deviceOperations, eventOperations, eventSinkOperations, installationOperations, webhookAdminOperations } from '../../operator';
import {
  appInstallationOperations,
  appSubscriptionOperations,
  clientOperations,
  confirmOperations,
  smartAppOperations,
  subscriptionOperations,
  userOperations,
} from '../../webservices';
import type { Services } from '../services';
import type { RequestState } from './context';
import { createRouter, guarded, publicRoute } from './guards';
import { openApiDocument, type ApiOperation } from './openapi';

export const OPENAPI_PATH = '/api/openapi.json';

/** Every operation of the admin and Web Services API: a new route module adds its list here. */
export const API_OPERATIONS: readonly ApiOperation[] = [
  ...installationOperations,
  ...deviceOperations,
  ...eventOperations,
  ...webhookAdminOperations,
  ...eventSinkOperations,
  ...userOperations,
  ...clientOperations,
  ...subscriptionOperations,
  ...smartAppOperations,
  ...appSubscriptionOperations,
  ...confirmOperations,
  ...appInstallationOperations,
  {
    method: 'get',
    path: OPENAPI_PATH,
    tag: 'meta',
    auth: 'public',
    summary: 'This document (OpenAPI 3.1)',
    responses: { 200: { description: 'The OpenAPI document', schema: z.object({ openapi: z.literal('3.1.0') }).loose() } },
  },
];

/** `GET /api/openapi.json`: public, built once (the schemas do not change while the process runs). */
export function openApiRoutes(services: Services, operations: readonly ApiOperation[] = API_OPERATIONS): Router<RequestState> {
  const router = createRouter<RequestState>();
  let document: Record<string, unknown> | undefined;
  router.get(OPENAPI_PATH, (ctx) => {
    document ??= openApiDocument(operations, { title: 'Service Manager API', version: '1', serverUrl: services.config.publicUrl });
    ctx.body = document;
  });
  return guarded(router, publicRoute());
}
