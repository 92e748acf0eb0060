import type Router from '@koa/router';
import { createRouter, parseBody } from '../../runtime';
import { z } from 'zod';
import { deleteDevice, discover, runCommand, updateSelection } from '../../sync';
import type { ChildDevice } from '../../connectors';
import { requireInstallation } from '../../platform';
import type { RequestState } from '../../runtime';
import type { Cloud } from '../../cloud';
import type { Platform } from '../../platform';
import type { Base } from '../../runtime';
import type { Sync } from '../../sync';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'metrics' | 'now' | 'redis'> &
  Pick<Cloud, 'clients'> &
  Pick<Platform, 'devices' | 'health' | 'installations'> &
  Pick<Sync, 'scheduler'>;

const settingsBody = z.object({ devices: z.array(z.string().min(1).max(200)).max(500) });
const commandBody = z.object({
  command: z.string().min(1).max(64),
  arguments: z.array(z.unknown()).max(16).default([]),
});

/** The public view of a child device (internal flags stay inside). */
export function deviceView(d: ChildDevice) {
  return { id: d.id, externalId: d.externalId, name: d.name, label: d.label, type: d.type, attributes: d.attributes, updatedAt: d.updatedAt };
}

export function deviceRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/api/installations/:id' });
  const id = (params: Record<string, string>) => params['id'] ?? '';

  router.get('/discovered', async (ctx) => {
    ctx.body = await discover(services, id(ctx.params));
  });

  router.get('/settings', async (ctx) => {
    await requireInstallation(services, id(ctx.params));
    ctx.body = { devices: [...(await services.devices.selected(id(ctx.params)))].sort() };
  });

  router.put('/settings', async (ctx) => {
    const body = parseBody(settingsBody, ctx.request.body);
    const result = await updateSelection(services, id(ctx.params), body.devices);
    ctx.status = result.synced ? 200 : 202;
    ctx.body = { devices: result.selected, synced: result.synced };
  });

  router.get('/devices', async (ctx) => {
    await requireInstallation(services, id(ctx.params));
    ctx.body = (await services.devices.list(id(ctx.params))).map(deviceView);
  });

  router.delete('/devices/:deviceId', async (ctx) => {
    await deleteDevice(services, id(ctx.params), ctx.params['deviceId'] ?? '');
    ctx.status = 204;
  });

  router.post('/devices/:deviceId/commands', async (ctx) => {
    const body = parseBody(commandBody, ctx.request.body);
    await runCommand(services, {
      installationId: id(ctx.params),
      deviceId: ctx.params['deviceId'] ?? '',
      command: body.command,
      arguments: body.arguments,
    });
    ctx.status = 202;
    ctx.body = { status: 'accepted' };
  });

  router.post('/poll', async (ctx) => {
    await requireInstallation(services, id(ctx.params));
    await services.scheduler.pollNow(id(ctx.params), 'manual');
    ctx.status = 202;
    ctx.body = { status: 'queued' };
  });

  return router;
}
