import { z } from 'zod';
import { CloudAnswerError, type CloudHttp } from '../../src/connectors/sdk';

/**
 * Typed Honeywell Home calls through the authorized client (honeywell-api.md §3, §4). The
 * framework adds `apikey` to every call (the connector's `apiKey` placement); device calls also
 * name their location.
 */

const changeableValuesSchema = z.looseObject({
  mode: z.string(),
  autoChangeoverActive: z.boolean().optional(),
  emergencyHeatActive: z.boolean().optional(),
  heatSetpoint: z.number(),
  coolSetpoint: z.number(),
  thermostatSetpointStatus: z.string().optional(),
  nextPeriodTime: z.string().optional(),
  heatCoolMode: z.string().optional(),
});

export const thermostatSchema = z.looseObject({
  deviceClass: z.string(),
  deviceID: z.string(),
  userDefinedDeviceName: z.string().optional(),
  name: z.string().optional(),
  deviceModel: z.string().optional(),
  isAlive: z.boolean().optional(),
  units: z.enum(['Fahrenheit', 'Celsius']),
  indoorTemperature: z.number().optional(),
  indoorHumidity: z.number().optional(),
  outdoorTemperature: z.number().optional(),
  allowedModes: z.array(z.string()).default([]),
  deadband: z.number().default(0),
  minHeatSetpoint: z.number(),
  maxHeatSetpoint: z.number(),
  minCoolSetpoint: z.number(),
  maxCoolSetpoint: z.number(),
  changeableValues: changeableValuesSchema,
  operationStatus: z.looseObject({ mode: z.string().optional() }).optional(),
});
export type Thermostat = z.infer<typeof thermostatSchema>;

/** Devices of other classes (leak detectors, cameras, valves) are listed too; only their class is read. */
const anyDeviceSchema = z.looseObject({ deviceClass: z.string().optional(), deviceID: z.string() });

const locationSchema = z.looseObject({
  locationID: z.number().int(),
  name: z.string().default(''),
  devices: z.array(anyDeviceSchema).default([]),
});
export type Location = { locationID: number; name: string; thermostats: Thermostat[] };

function parse<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new CloudAnswerError(what);
  return result.data;
}

/** Every location with its thermostats, state included: one call is a complete listing (§4). */
export async function getLocations(http: CloudHttp): Promise<Location[]> {
  const res = await http.request({ method: 'GET', path: '/v2/locations' });
  return parse(z.array(locationSchema), res.body, 'GET /v2/locations').map((location) => ({
    locationID: location.locationID,
    name: location.name,
    thermostats: location.devices
      .filter((d) => d.deviceClass === 'Thermostat')
      .map((d) => parse(thermostatSchema, d, `thermostat ${d.deviceID}`)),
  }));
}

export async function getThermostat(http: CloudHttp, deviceId: string, locationId: number): Promise<Thermostat> {
  const res = await http.request({ method: 'GET', path: `/v2/devices/thermostats/${encodeURIComponent(deviceId)}`, query: { locationId } });
  return parse(thermostatSchema, res.body, `GET thermostat ${deviceId}`);
}

/** The full body the API requires (§4): mode and both setpoints always, hold status on LCC devices. */
export interface ThermostatChange {
  mode: string;
  heatSetpoint: number;
  coolSetpoint: number;
  autoChangeoverActive?: boolean;
  thermostatSetpointStatus?: string;
  nextPeriodTime?: string;
}

export async function postThermostat(http: CloudHttp, deviceId: string, locationId: number, change: ThermostatChange): Promise<void> {
  await http.request({ method: 'POST', path: `/v2/devices/thermostats/${encodeURIComponent(deviceId)}`, query: { locationId }, json: change });
}
