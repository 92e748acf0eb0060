import { z } from 'zod';
import { EVENT_TYPES } from '../../platform';

/** Shapes the admin API answers with: the handlers are typed by them, the OpenAPI document is built from them. */
export const installationView = z.object({
  id: z.string(),
  connector: z.string(),
  locationId: z.string(),
  status: z.enum(['pending', 'linked', 'reauth_required']),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** Absent until the first link. */
  linkedAt: z.iso.datetime().optional(),
});

export const attributeValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const deviceView = z.object({
  id: z.string(),
  externalId: z.string(),
  /** The cloud's name: a rename at the cloud changes it. */
  name: z.string(),
  /** The user's label (PATCH); the cloud's name until one is set. */
  label: z.string(),
  type: z.string(),
  attributes: z.record(z.string(), attributeValue),
  updatedAt: z.iso.datetime(),
});

export const eventView = z.object({
  id: z.string(),
  cursor: z.string(),
  type: z.enum(EVENT_TYPES),
  installationId: z.string(),
  deviceId: z.string().optional(),
  at: z.iso.datetime(),
  data: z.record(z.string(), z.unknown()),
});

export const accepted = (status: string) => z.object({ status: z.literal(status) });

export const installationParams = z.object({ id: z.string() });
export const deviceParams = installationParams.extend({ deviceId: z.string() });
