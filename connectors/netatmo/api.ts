import { z } from 'zod';
import type { CloudHttp } from '../../src/connectors/sdk';

/** Typed Netatmo Energy calls through the authorized client (netatmo-api.md §2, §3). */

const roomSchema = z.object({ id: z.string(), name: z.string().default(''), type: z.string().optional(), module_ids: z.array(z.string()).default([]) });
const moduleSchema = z.object({ id: z.string(), type: z.string(), name: z.string().optional(), room_id: z.string().optional(), bridge: z.string().optional() });
const homeSchema = z.object({
  id: z.string(),
  name: z.string().default(''),
  rooms: z.array(roomSchema).default([]),
  modules: z.array(moduleSchema).default([]),
  therm_mode: z.string().optional(),
});
export type Home = z.infer<typeof homeSchema>;

const homesDataSchema = z.object({
  body: z.object({ homes: z.array(homeSchema), user: z.object({ id: z.string().optional(), email: z.string().optional() }).optional() }),
  status: z.literal('ok'),
});
export type HomesData = z.infer<typeof homesDataSchema>['body'];

const roomStatusSchema = z.object({
  id: z.string(),
  reachable: z.boolean().optional(),
  therm_measured_temperature: z.number().optional(),
  therm_setpoint_temperature: z.number().optional(),
  therm_setpoint_mode: z.string().optional(),
});
const moduleStatusSchema = z.object({
  id: z.string(),
  type: z.string().optional(),
  reachable: z.boolean().optional(),
  battery_level: z.number().optional(),
  battery_state: z.string().optional(),
});
const homeStatusSchema = z.object({
  body: z.object({
    home: z.object({ id: z.string(), rooms: z.array(roomStatusSchema).default([]), modules: z.array(moduleStatusSchema).default([]) }),
    errors: z.array(z.object({ code: z.number(), id: z.string() })).optional(),
  }),
  status: z.literal('ok'),
});
export type HomeStatus = z.infer<typeof homeStatusSchema>['body'];

export class NetatmoResponseError extends Error {
  constructor(what: string) {
    super(`Netatmo answered ${what} in an unexpected shape`);
    this.name = 'NetatmoResponseError';
  }
}

function parse<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new NetatmoResponseError(what);
  return result.data;
}

export async function homesData(http: CloudHttp): Promise<HomesData> {
  return parse(homesDataSchema, (await http.request({ method: 'GET', path: '/api/homesdata' })).body, 'homesdata').body;
}

export async function homeStatus(http: CloudHttp, homeId: string): Promise<HomeStatus> {
  const res = await http.request({ method: 'GET', path: '/api/homestatus', query: { home_id: homeId } });
  return parse(homeStatusSchema, res.body, 'homestatus').body;
}

export async function setRoomThermpoint(
  http: CloudHttp,
  params: { homeId: string; roomId: string; mode: 'manual' | 'max' | 'home' | 'off'; temp?: number },
): Promise<void> {
  const form: Record<string, string> = { home_id: params.homeId, room_id: params.roomId, mode: params.mode };
  if (params.temp !== undefined) form['temp'] = String(params.temp);
  await http.request({ method: 'POST', path: '/api/setroomthermpoint', form });
}

export async function setThermMode(http: CloudHttp, homeId: string, mode: 'schedule' | 'away' | 'hg'): Promise<void> {
  await http.request({ method: 'POST', path: '/api/setthermmode', form: { home_id: homeId, mode } });
}

export async function addWebhook(http: CloudHttp, url: string): Promise<void> {
  await http.request({ method: 'POST', path: '/api/addwebhook', form: { url } });
}

export async function dropWebhook(http: CloudHttp): Promise<void> {
  await http.request({ method: 'POST', path: '/api/dropwebhook', form: {} });
}
