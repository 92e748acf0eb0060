import type Router from '@koa/router';
import { createRouter, parseBody } from '../../runtime';
import { z } from 'zod';
import { createInstallation } from '../create-installation';
import { healthView, requireInstallation } from '../../platform';
import { uninstall } from '../uninstall';
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

const listQuery = z.object({ locationId: z.string().min(1).max(200).optional() });

export function installationRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/api/installations' });

  router.post('/', async (ctx) => {
    const body = parseBody(createBody, ctx.request.body);
    ctx.status = 201;
    ctx.body = await createInstallation(services, body);
  });

  router.get('/', async (ctx) => {
    const query = parseBody(listQuery, ctx.query);
    ctx.body = await services.installations.list(query.locationId === undefined ? {} : { locationId: query.locationId });
  });

  router.get('/:id', async (ctx) => {
    const installation = await requireInstallation(services, ctx.params['id'] ?? '');
    const [deviceCount, health, nextPollAt] = await Promise.all([
      services.devices.count(installation.id),
      services.health.read(installation.id),
      installation.status === 'linked' ? services.scheduler.nextPollAt(installation.id) : undefined,
    ]);
    ctx.body = { ...installation, deviceCount, health: healthView(installation.status, health, nextPollAt?.toISOString()) };
  });

  router.delete('/:id', async (ctx) => {
    await uninstall(services, ctx.params['id'] ?? '');
    ctx.status = 204;
  });

  return router;
}
