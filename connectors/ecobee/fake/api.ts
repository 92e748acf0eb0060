import { json, type Reply, type TokenLedger } from '../../../src/connectors/fake-cloud';
import type { FakeThermostat } from './device-types';
import type { ThermostatStore } from './devices';
import { checkPage, parseSelection, requestObject, thermostatOf, type ApiRequest, type Include, type JsonObject } from './api-request';
import { ApiError, apiStatus, OK } from './api-status';
import { updateThermostats } from './api-update';

/**
 * The fake's /1/thermostat and /1/thermostatSummary (ecobee-api.md §3-§6): the bearer check and
 * the reads; what a request asks for is decoded in api-request.ts, writes are in api-update.ts.
 */

/** Bearer check shared by every /1/* route; undefined means the token is good. */
export function authenticate(tokens: TokenLedger, authorization: string | undefined): Reply | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  const access = tokens.checkAccess(bearer);
  if (access.ok) return undefined;
  switch (access.reason) {
    case 'missing':
    case 'unknown':
      return apiStatus(1);
    // §1.7: "A token refresh immediately expires the previously issued access token".
    case 'expired':
    case 'rotated':
      return apiStatus(14);
    case 'revoked':
      return apiStatus(16);
  }
}

export function thermostatEndpoint(store: ThermostatStore, req: ApiRequest): Reply {
  return guarded(() => {
    const request = requestObject(req);
    return req.method === 'POST' ? updateThermostats(store, request) : listThermostats(store, request);
  });
}

export function summaryEndpoint(store: ThermostatStore, req: ApiRequest): Reply {
  if (req.method !== 'GET') return apiStatus(12);
  return guarded(() => summarize(store, requestObject(req)));
}

function guarded(handle: () => Reply): Reply {
  try {
    return handle();
  } catch (error) {
    if (error instanceof ApiError) return apiStatus(error.code);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// GET /1/thermostat (§3)

function listThermostats(store: ThermostatStore, request: JsonObject): Reply {
  const { identifiers, include } = parseSelection(store, request);
  checkPage(request);
  const list = identifiers.map((id) => render(thermostatOf(store, id), include));
  return json(200, {
    page: { page: 1, totalPages: 1, pageSize: list.length, total: list.length },
    thermostatList: list,
    status: OK,
  });
}

/** Sub-objects only when their include flag is set (§3.2: all default to false). */
function render(t: FakeThermostat, include: Include): JsonObject {
  return {
    identifier: t.identifier,
    name: t.name,
    thermostatRev: t.thermostatRev,
    isRegistered: t.isRegistered,
    modelNumber: t.modelNumber,
    brand: t.brand,
    features: t.features,
    lastModified: t.lastModified,
    thermostatTime: t.thermostatTime,
    utcTime: t.utcTime,
    ...(include.settings ? { settings: t.settings } : {}),
    ...(include.runtime ? { runtime: t.runtime } : {}),
    ...(include.equipmentStatus ? { equipmentStatus: t.equipmentStatus } : {}),
    ...(include.sensors ? { remoteSensors: t.remoteSensors } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// GET /1/thermostatSummary (§4)

function summarize(store: ThermostatStore, request: JsonObject): Reply {
  const { identifiers, include } = parseSelection(store, request);
  const thermostats = identifiers.map((id) => thermostatOf(store, id));
  const revisionList = thermostats.map((t) =>
    [t.identifier, t.name, t.runtime.connected, t.thermostatRev, t.alertsRev, t.runtime.runtimeRev, t.intervalRev].join(':'),
  );
  const statusList = thermostats.map((t) => `${t.identifier}:${t.equipmentStatus}`);
  return json(200, {
    thermostatCount: thermostats.length,
    revisionList,
    ...(include.equipmentStatus ? { statusList } : {}),
    status: OK,
  });
}
