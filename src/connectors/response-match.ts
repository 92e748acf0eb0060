import { z } from 'zod';

/**
 * A cloud's answer described as data, for the quirks every cloud spells its own way: which
 * token-endpoint answers mean "this grant is gone" and which API answers mean "this access token
 * expired". A rule matches when every part it names matches.
 */
export interface ResponseMatch {
  /** One of these HTTP statuses; absent: any status. */
  status?: readonly number[] | undefined;
  /** A dotted path into the JSON body: `error`, `code`, `fault.detail.errorcode`. */
  field?: string | undefined;
  /** The field's value is one of these; absent (with `field`): the field is present at all. */
  values?: readonly (string | number)[] | undefined;
}

export const responseMatchSchema = z.object({
  status: z.array(z.number().int().min(100).max(599)).readonly().optional(),
  field: z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/).optional(),
  values: z.array(z.union([z.string(), z.number()])).readonly().optional(),
});

/** RFC 6749 §5.2 (plus ecobee's `authorization_expired`): a refresh refused for good. */
export const RFC6749_REFRESH_REFUSED: readonly ResponseMatch[] = [
  { status: [400, 401], field: 'error', values: ['invalid_grant', 'unauthorized_client', 'invalid_client', 'authorization_expired', 'access_denied'] },
];

/** RFC 6750 §3.1: a 401 on an API call means the access token is no longer good. */
export const RFC6750_TOKEN_EXPIRED: readonly ResponseMatch[] = [{ status: [401] }];

function fieldOf(body: unknown, path: string): unknown {
  let value: unknown = body;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export function matchesResponse(rules: readonly ResponseMatch[], status: number | undefined, body: unknown): boolean {
  return rules.some((rule) => {
    if (rule.status && (status === undefined || !rule.status.includes(status))) return false;
    if (rule.field === undefined) return true;
    const value = fieldOf(body, rule.field);
    if (value === undefined) return false;
    return rule.values === undefined || rule.values.includes(value as string | number);
  });
}
