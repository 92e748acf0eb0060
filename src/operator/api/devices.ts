import type Router from '@koa/router';
import { createRouter, pageInMemory, pageOf, pageQuery, parseBody } from '../../runtime';
import { z } from 'zod';
import { deleteDevice, discover, runCommand, setDeviceLabel, updateSelection } from '../../sync';
import type { ChildDevice } from '../../connectors';
import { requireInstallation } from '../../platform';
import { AppError } from '../../runtime';
import type { ApiOperation, RequestState } from '../../runtime';
import { accepted, deviceParams, deviceView as deviceSchema, installationParams } from './schemas';
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
/** The user's name for the device; the cloud's own `name` is never overwritten. */
const labelBody = z.object({ label: z.string().trim().min(1).max(100) });
const devicePage = pageOf(deviceSchema);
const discovered = z.array(z.object({ externalId: z.string(), name: z.string(), type: z.string() }));
const selection = z.object({ devices: z.array(z.string()) });
const selectionResult = selection.extend({ synced: z.boolean() });

const notFound = { description: 'No such installation or device', schema: null };
export const deviceOperations: ApiOperation[] = [
  { method: 'get', path: '/api/installations/:id/discovered', tag: 'devices', auth: 'admin', summary: "The cloud's devices, as discovery lists them", params: installationParams,
    responses: { 200: { description: 'Discovered devices', schema: discovered }, 404: notFound, 409: { description: 'Not linked, or must be linked again', schema: null } } },
  { method: 'get', path: '/api/installations/:id/settings', tag: 'devices', auth: 'admin', summary: 'The selected devices (external ids)', params: installationParams,
    responses: { 200: { description: 'The selection', schema: selection }, 404: notFound } },
  { method: 'put', path: '/api/installations/:id/settings', tag: 'devices', auth: 'admin', summary: 'Replace the selection; newly selected devices are added with their state', params: installationParams, body: settingsBody,
    responses: { 200: { description: 'Selection applied', schema: selectionResult }, 202: { description: 'Stored; the cloud could not be reached, a poll is queued', schema: selectionResult }, 404: notFound } },
  { method: 'get', path: '/api/installations/:id/devices', tag: 'devices', auth: 'admin', summary: 'Child devices (cursor pages, by id)', params: installationParams, query: pageQuery,
    responses: { 200: { description: 'One page', schema: devicePage }, 404: notFound } },
  { method: 'get', path: '/api/installations/:id/devices/:deviceId', tag: 'devices', auth: 'admin', summary: 'One child device', params: deviceParams,
    responses: { 200: { description: 'The device', schema: deviceSchema }, 404: notFound } },
  { method: 'patch', path: '/api/installations/:id/devices/:deviceId', tag: 'devices', auth: 'admin', summary: "Set the device's user label (1-100 characters); name stays the cloud's", params: deviceParams, body: labelBody,
    responses: { 200: { description: 'The device with its new label', schema: deviceSchema }, 404: notFound } },
  { method: 'delete', path: '/api/installations/:id/devices/:deviceId', tag: 'devices', auth: 'admin', summary: 'Remove the device and deselect it', params: deviceParams,
    responses: { 204: { description: 'Removed', schema: null }, 404: notFound } },
  { method: 'post', path: '/api/installations/:id/devices/:deviceId/commands', tag: 'devices', auth: 'admin', summary: "Run one of the connector's commands", params: deviceParams, body: commandBody,
    responses: { 202: { description: 'Accepted', schema: accepted('accepted') }, 404: notFound } },
  { method: 'post', path: '/api/installations/:id/poll', tag: 'devices', auth: 'admin', summary: 'Force a poll now', params: installationParams,
    responses: { 202: { description: 'Queued', schema: accepted('queued') }, 404: notFound } },
];

/** The public view of a child device (internal flags stay inside). */
export function deviceView(d: ChildDevice): z.output<typeof deviceSchema> {
  return { id: d.id, externalId: d.externalId, name: d.name, label: d.label, type: d.type, attributes: d.attributes, updatedAt: d.updatedAt };
}

export function deviceRoutes(services: Deps): Router<RequestState> {
  const router = createRouter<RequestState>({ prefix: '/api/installations/:id' });
  const id = (params: Record<string, string>) => params['id'] ?? '';

  router.get('/discovered', async (ctx) => {
    ctx.body = (await discover(services, id(ctx.params))) satisfies z.output<typeof discovered>;
  });

  router.get('/settings', async (ctx) => {
    await requireInstallation(services, id(ctx.params));
    ctx.body = { devices: [...(await services.devices.selected(id(ctx.params)))].sort() } satisfies z.output<typeof selection>;
  });

  router.put('/settings', async (ctx) => {
    const body = parseBody(settingsBody, ctx.request.body);
    const result = await updateSelection(services, id(ctx.params), body.devices);
    ctx.status = result.synced ? 200 : 202;
    ctx.body = { devices: result.selected, synced: result.synced } satisfies z.output<typeof selectionResult>;
  });

  router.get('/devices', async (ctx) => {
    const q = parseBody(pageQuery, ctx.query);
    await requireInstallation(services, id(ctx.params));
    // An installation holds tens of devices, in one hash: read whole, paged by device id.
    const sorted = (await services.devices.list(id(ctx.params))).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const page = pageInMemory(sorted, (d) => d.id, q.cursor, q.limit);
    ctx.body = { items: page.items.map(deviceView), next: page.next } satisfies z.output<typeof devicePage>;
  });

  router.get('/devices/:deviceId', async (ctx) => {
    await requireInstallation(services, id(ctx.params));
    const device = await services.devices.get(id(ctx.params), ctx.params['deviceId'] ?? '');
    if (!device) throw new AppError('not_found', { message: 'No such device.' });
    ctx.body = deviceView(device);
  });

  router.patch('/devices/:deviceId', async (ctx) => {
    const body = parseBody(labelBody, ctx.request.body);
    ctx.body = deviceView(await setDeviceLabel(services, id(ctx.params), ctx.params['deviceId'] ?? '', body.label));
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
    ctx.body = { status: 'accepted' } as const;
  });

  router.post('/poll', async (ctx) => {
    await requireInstallation(services, id(ctx.params));
    await services.scheduler.pollNow(id(ctx.params), 'manual');
    ctx.status = 202;
    ctx.body = { status: 'queued' } as const;
  });

  return router;
}
