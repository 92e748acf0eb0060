import type Router from '@koa/router';
import { createRouter, pageOf, pageQuery, parseBody } from '../../runtime';
import { z } from 'zod';
import { createInstallation } from '../create-installation';
import { healthView, healthViewSchema, requireInstallation } from '../../platform';
import { uninstall } from '../uninstall';
import type { ApiOperation } from '../../runtime';
import { installationParams, installationView } from './schemas';
import type { RequestState } from '../../runtime';
import type { Cloud } from '../../cloud';
import type { Ingest } from '../../ingest';
import type { Linking } from '../../linking';
import type { Platform } from '../../platform';
import type { Base } from '../../runtime';
import type { Sync } from '../../sync';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'now' | 'redis'> &
  Pick<Cloud, 'clients' | 'revocations' | 'tokens'> &
  Pick<Ingest, 'callbackTokens' | 'webhooks'> &
  Pick<Linking, 'states'> &
  Pick<Platform, 'devices' | 'events' | 'health' | 'installations'> &
  Pick<Sync, 'scheduler'>;

const createBody = z.object({
  connector: z.string().min(1).max(40),
  locationId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\s]+$/, 'must not contain white space'),
});

const listQuery = pageQuery.extend({ locationId: z.string().min(1).max(200).optional() });
const installationPage = pageOf(installationView);
const created = installationView.extend({ accessToken: z.string(), setupUrl: z.string() });
const detail = installationView.extend({ deviceCount: z.number().int(), health: healthViewSchema });

export const installationOperations: ApiOperation[] = [
  { method: 'post', path: '/api/installations', tag: 'installations', auth: 'admin', summary: 'Create an installation; its own access token is in this answer only', body: createBody,
    responses: {
      201: { description: 'The installation, its access token and setup URL', schema: created },
      404: { description: 'Unknown connector', schema: null },
      409: { description: 'A singleInstance connector is already installed at the location', schema: z.object({ error: z.literal('already_installed'), message: z.string(), installationId: z.string() }) },
    } },
  { method: 'get', path: '/api/installations', tag: 'installations', auth: 'admin', summary: 'List installations (cursor pages, creation order), optionally of one location', query: listQuery,
    responses: { 200: { description: 'One page', schema: installationPage } } },
  { method: 'get', path: '/api/installations/:id', tag: 'installations', auth: 'admin', summary: 'One installation', params: installationParams,
    responses: { 200: { description: 'The installation', schema: detail }, 404: { description: 'No such installation', schema: null } } },
  { method: 'delete', path: '/api/installations/:id', tag: 'installations', auth: 'admin', summary: 'Uninstall: devices removed, cloud tokens deleted, schedules removed', params: installationParams,
    responses: { 204: { description: 'Uninstalled', schema: null }, 404: { description: 'No such installation', schema: null } } },
];

export function installationRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/api/installations' });

  router.post('/', async (ctx) => {
    const body = parseBody(createBody, ctx.request.body);
    ctx.status = 201;
    ctx.body = (await createInstallation(services, body)) satisfies z.input<typeof created>;
  });

  router.get('/', async (ctx) => {
    const query = parseBody(listQuery, ctx.query);
    const filter = query.locationId === undefined ? {} : { locationId: query.locationId };
    ctx.body = (await services.installations.page(query.cursor, query.limit, filter)) satisfies z.input<typeof installationPage>;
  });

  router.get('/:id', async (ctx) => {
    const installation = await requireInstallation(services, ctx.params['id'] ?? '');
    const [deviceCount, health, nextPollAt] = await Promise.all([
      services.devices.count(installation.id),
      services.health.read(installation.id),
      installation.status === 'linked' ? services.scheduler.nextPollAt(installation.id) : undefined,
    ]);
    ctx.body = { ...installation, deviceCount, health: healthView(installation.status, health, nextPollAt?.toISOString()) } satisfies z.input<typeof detail>;
  });

  router.delete('/:id', async (ctx) => {
    await uninstall(services, ctx.params['id'] ?? '');
    ctx.status = 204;
  });

  return router;
}
