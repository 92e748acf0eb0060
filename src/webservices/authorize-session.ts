import type { Redis } from 'ioredis';
import { z } from 'zod';
import { constantTimeEqual, hashToken, randomToken } from '../runtime';
import type { Keys } from '../runtime';
import { authorizeSessionKeys, type AuthorizeSessionKeys } from './authorize-session-keys';
import { SCOPES } from './scopes';

/**
 * One signed-in user's walk through the consent pages: the validated request, who signed in, the
 * chosen location, and the CSRF token every form must echo (synchronizer token pattern). It exists
 * only from sign-in on (before that the request travels sealed in the form: see
 * pending-authorization.ts). The browser holds a random id in an HttpOnly cookie; the session lives
 * in Redis under that id's hash.
 */
const sessionSchema = z.object({
  clientId: z.string(),
  redirectUri: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  state: z.string().optional(),
  codeChallenge: z.string().optional(),
  csrf: z.string(),
  userId: z.string(),
  location: z.object({ id: z.string(), name: z.string() }).optional(),
});
export type AuthorizeSession = z.infer<typeof sessionSchema>;

export function csrfMatches(session: AuthorizeSession, presented: unknown): boolean {
  return typeof presented === 'string' && constantTimeEqual(presented, session.csrf);
}

export class AuthorizeSessionStore {
  private readonly keys: AuthorizeSessionKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
    private readonly ttlS: number,
  ) {
    this.keys = authorizeSessionKeys(keySpace.prefix);
  }

  /** A fresh id and CSRF token at sign-in, so nothing planted before it is worth anything after. */
  async create(input: Omit<AuthorizeSession, 'csrf'>): Promise<{ id: string; session: AuthorizeSession }> {
    const id = randomToken();
    const session: AuthorizeSession = { ...input, csrf: randomToken() };
    await this.redis.set(this.keys.authorizeSession(hashToken(id)), JSON.stringify(session), 'EX', this.ttlS);
    return { id, session };
  }

  async get(id: string | undefined): Promise<AuthorizeSession | undefined> {
    if (!id) return undefined;
    const raw = await this.redis.get(this.keys.authorizeSession(hashToken(id)));
    if (!raw) return undefined;
    const parsed = sessionSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  async update(id: string, session: AuthorizeSession): Promise<void> {
    await this.redis.set(this.keys.authorizeSession(hashToken(id)), JSON.stringify(session), 'KEEPTTL', 'XX');
  }

  /** True only for the caller that removed it: a consent form submitted twice yields one code. */
  async delete(id: string): Promise<boolean> {
    return (await this.redis.del(this.keys.authorizeSession(hashToken(id)))) === 1;
  }
}
