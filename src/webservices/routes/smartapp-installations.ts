import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { runCommand } from '../../sync';
import type { ChildDevice } from '../../connectors';
import { AppError, createRouter, guard, guarded, parseBody } from '../../runtime';
import type { AppInstallation } from '../app-installations';
import { EXECUTE_DEVICES, READ_DEVICES } from '../scopes';
import { grantOf, requireAppToken, requireScope, type SmartAppState } from './smartapp-bearer';
import { installationUri } from './smartapp-paths';
import { addSubscriptionRoutes } from './smartapp-subscriptions';
import type { Cloud } from '../../cloud';
import type { Platform } from '../../platform';
import type { Base } from '../../runtime';
import type { Sync } from '../../sync';
import type { WebServices } from '../web-services';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'log' | 'now'> &
  Pick<Cloud, 'clients'> &
  Pick<Platform, 'devices' | 'installations'> &
  Pick<Sync, 'scheduler'> &
  { webServices: WebServices };

const commandBody = z.object({
  command: z.string().min(1).max(64),
  arguments: z.array(z.unknown()).max(16).default([]),
});

/** What an external system sees of a device: no cloud ids, no internal flags. */
function deviceView(d: ChildDevice) {
  return { id: d.id, name: d.name, label: d.label, type: d.type, attributes: d.attributes, updatedAt: d.updatedAt };
}

/** The granted devices that still exist: one its connector removed is gone from the grant too. */
export async function grantedDevices(services: Deps, app: AppInstallation): Promise<{ installationId: string; device: ChildDevice }[]> {
  const out = [];
  for (const g of app.devices) {
    const device = await services.devices.get(g.installationId, g.deviceId);
    if (device) out.push({ installationId: g.installationId, device });
  }
  return out;
}

/** The endpoints service and the REST API scoped to one app installation (bearer app access token). */
export function smartAppRoutes(services: Deps, json: Middleware<SmartAppState>): Router<SmartAppState> {
  const router = createRouter<SmartAppState>({ prefix: '/api/smartapps' });

  router.get('/endpoints', (ctx) => {
    const { app } = grantOf(ctx);
    ctx.body = [{ oauthClient: { clientId: app.clientId }, location: app.location, ...installationUri(services.config.publicUrl, app.id) }];
  });

  const base = '/installations/:appId';
  // A token for another app installation gets the same 404 as an unknown one.
  const sameApp: Middleware<SmartAppState> = async (ctx, next) => {
    if ((ctx as unknown as { params: Record<string, string> }).params['appId'] !== grantOf(ctx).app.id) {
      throw new AppError('not_found', { message: 'No such app installation.' });
    }
    await next();
  };

  async function device(ctx: { state: SmartAppState; params: Record<string, string> }) {
    const id = ctx.params['deviceId'] ?? '';
    // One read: the grant names the device, so only that one is fetched.
    const grant = grantOf(ctx).app.devices.find((g) => g.deviceId === id);
    const found = grant && (await services.devices.get(grant.installationId, grant.deviceId));
    if (!grant || !found) throw new AppError('not_found', { message: 'No such device.' });
    return { installationId: grant.installationId, device: found };
  }

  router.get(`${base}/devices`, sameApp, requireScope(READ_DEVICES), async (ctx) => {
    ctx.body = (await grantedDevices(services, grantOf(ctx).app)).map((g) => deviceView(g.device));
  });

  router.get(`${base}/devices/:deviceId`, sameApp, requireScope(READ_DEVICES), async (ctx) => {
    ctx.body = deviceView((await device(ctx)).device);
  });

  router.post(`${base}/devices/:deviceId/commands`, sameApp, requireScope(EXECUTE_DEVICES), async (ctx) => {
    const target = await device(ctx);
    const body = parseBody(commandBody, ctx.request.body);
    await runCommand(services, { installationId: target.installationId, deviceId: target.device.id, command: body.command, arguments: body.arguments });
    ctx.status = 202;
    ctx.body = { status: 'accepted' };
  });

  addSubscriptionRoutes(router, services, `${base}/subscriptions`, [sameApp, requireScope(READ_DEVICES)]);
  return guarded(router, guard('bearer-scope', requireAppToken(services)), json);
}
