import { z } from 'zod';
import type { CloudHttp } from '../../src/connectors/sdk';

/** Typed ecobee calls through the authorized client (ecobee-api.md §3–5). No tokens, no Redis. */

const statusSchema = z.object({ code: z.number(), message: z.string() });

const thermostatSchema = z.object({
  identifier: z.string(),
  name: z.string(),
  modelNumber: z.string().optional(),
  equipmentStatus: z.string().optional(),
  runtime: z
    .object({
      connected: z.boolean().optional(),
      actualTemperature: z.number().optional(),
      actualHumidity: z.number().optional(),
      desiredHeat: z.number().optional(),
      desiredCool: z.number().optional(),
    })
    .optional(),
  settings: z.object({ hvacMode: z.string().optional() }).optional(),
});
export type Thermostat = z.infer<typeof thermostatSchema>;

const thermostatResponseSchema = z.object({
  page: z.object({ page: z.number(), totalPages: z.number() }).optional(),
  thermostatList: z.array(thermostatSchema),
  status: statusSchema,
});

const summarySchema = z.object({
  thermostatCount: z.number(),
  revisionList: z.array(z.string()),
  statusList: z.array(z.string()).optional(),
  status: statusSchema,
});
export type ThermostatSummary = z.infer<typeof summarySchema>;

export class EcobeeResponseError extends Error {
  constructor(what: string) {
    super(`ecobee answered ${what} in an unexpected shape`);
    this.name = 'EcobeeResponseError';
  }
}

function parse<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new EcobeeResponseError(what);
  return result.data;
}

export interface Selection {
  selectionType: 'registered' | 'thermostats';
  selectionMatch: string;
  includeRuntime?: boolean;
  includeSettings?: boolean;
  includeEquipmentStatus?: boolean;
}

/** GET requests carry their JSON in the query string: `?format=json&body=<json>` (§3.1). */
function getJson(http: CloudHttp, path: string, body: unknown) {
  return http.request({ method: 'GET', path, query: { format: 'json', body: JSON.stringify(body) } });
}

/** Every page of the selection; throws if any page fails, so a partial listing is never returned. */
export async function getThermostats(http: CloudHttp, selection: Selection): Promise<Thermostat[]> {
  const all: Thermostat[] = [];
  for (let page = 1; ; page++) {
    const body = page === 1 ? { selection } : { selection, page: { page } };
    const res = parse(thermostatResponseSchema, (await getJson(http, '/1/thermostat', body)).body, 'GET /1/thermostat');
    all.push(...res.thermostatList);
    if (!res.page || page >= res.page.totalPages) return all;
  }
}

export async function getSummary(http: CloudHttp): Promise<ThermostatSummary> {
  const selection = { selectionType: 'registered', selectionMatch: '', includeEquipmentStatus: true };
  return parse(summarySchema, (await getJson(http, '/1/thermostatSummary', { selection })).body, 'GET /1/thermostatSummary');
}

export type EcobeeFunction =
  | { type: 'setHold'; params: { heatHoldTemp: number; coolHoldTemp: number; holdType: 'nextTransition' | 'indefinite' } }
  | { type: 'resumeProgram'; params: { resumeAll: boolean } };

/** POST /1/thermostat?format=json with functions and/or writable thermostat properties (§5). */
export async function updateThermostat(
  http: CloudHttp,
  identifier: string,
  update: { functions?: EcobeeFunction[]; thermostat?: { name?: string; settings?: { hvacMode?: string } } },
): Promise<void> {
  await http.request({
    method: 'POST',
    path: '/1/thermostat',
    query: { format: 'json' },
    json: { selection: { selectionType: 'thermostats', selectionMatch: identifier }, ...update },
  });
}
