import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { runCommand } from '../../sync';
import type { ChildDevice } from '../../connectors';
import { AppError, createRouter, guard, guarded, parseBody } from '../../runtime';
import type { ApiOperation } from '../../runtime';
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

const appDevice = z.object({
  id: z.string(),
  name: z.string(),
  label: z.string(),
  type: z.string(),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  updatedAt: z.iso.datetime(),
});
const endpoints = z.array(
  z.object({ oauthClient: z.object({ clientId: z.string() }), location: z.object({ id: z.string(), name: z.string() }), uri: z.string(), base_url: z.string(), url: z.string() }),
);
const appParams = z.object({ appId: z.string() });
const appDeviceParams = appParams.extend({ deviceId: z.string() });
const notFound = { description: 'No such app installation or device (or not granted)', schema: null };
const base = '/api/smartapps/installations/:appId';

export const smartAppOperations: ApiOperation[] = [
  { method: 'get', path: '/api/smartapps/endpoints', tag: 'web services', auth: 'app-token', summary: "The app installation the token was issued for, and its API's base URI",
    responses: { 200: { description: 'Endpoints', schema: endpoints } } },
  { method: 'get', path: `${base}/devices`, tag: 'web services', auth: 'app-token', summary: 'The granted devices (scope r:devices)', params: appParams,
    responses: { 200: { description: 'Devices', schema: z.array(appDevice) }, 403: { description: 'The token lacks the scope', schema: null }, 404: notFound } },
  { method: 'get', path: `${base}/devices/:deviceId`, tag: 'web services', auth: 'app-token', summary: 'One granted device (scope r:devices)', params: appDeviceParams,
    responses: { 200: { description: 'The device', schema: appDevice }, 403: { description: 'The token lacks the scope', schema: null }, 404: notFound } },
  { method: 'post', path: `${base}/devices/:deviceId/commands`, tag: 'web services', auth: 'app-token', summary: 'Run a command on a granted device (scope x:devices)', params: appDeviceParams, body: commandBody,
    responses: { 202: { description: 'Accepted', schema: z.object({ status: z.literal('accepted') }) }, 403: { description: 'The token lacks the scope', schema: null }, 404: notFound } },
];

/** What an external system sees of a device: no cloud ids, no internal flags. */
function deviceView(d: ChildDevice): z.output<typeof appDevice> {
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
    ctx.body = [{ oauthClient: { clientId: app.clientId }, location: app.location, ...installationUri(services.config.publicUrl, app.id) }] satisfies z.output<typeof endpoints>;
  });

  const prefixed = '/installations/:appId';
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

  router.get(`${prefixed}/devices`, sameApp, requireScope(READ_DEVICES), async (ctx) => {
    ctx.body = (await grantedDevices(services, grantOf(ctx).app)).map((g) => deviceView(g.device));
  });

  router.get(`${prefixed}/devices/:deviceId`, sameApp, requireScope(READ_DEVICES), async (ctx) => {
    ctx.body = deviceView((await device(ctx)).device);
  });

  router.post(`${prefixed}/devices/:deviceId/commands`, sameApp, requireScope(EXECUTE_DEVICES), async (ctx) => {
    const target = await device(ctx);
    const body = parseBody(commandBody, ctx.request.body);
    await runCommand(services, { installationId: target.installationId, deviceId: target.device.id, command: body.command, arguments: body.arguments });
    ctx.status = 202;
    ctx.body = { status: 'accepted' } as const;
  });

  addSubscriptionRoutes(router, services, `${prefixed}/subscriptions`, [sameApp, requireScope(READ_DEVICES)]);
  return guarded(router, guard('bearer-scope', requireAppToken(services)), json);
}
