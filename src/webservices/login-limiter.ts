import type { Redis } from 'ioredis';
import type { WebServicesKeys } from '../store/keys';
import { normaliseUsername } from './users';

export interface LoginLimits {
  perUsername: number;
  perAddress: number;
  windowS: number;
}

/** Failed sign-ins per username and per client address in a fixed window (credential stuffing and guessing). */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perUsername: 5, perAddress: 50, windowS: 15 * 60 };

/**
 * The operator's login (one shared admin token, so no username to count): per address only. A
 * count on the token itself would let anyone lock every operator out.
 */
export const OPERATOR_LOGIN_LIMITS: LoginLimits = { perUsername: Infinity, perAddress: 20, windowS: 15 * 60 };

export function isLimited(counts: { username: number; address: number }, limits: LoginLimits): boolean {
  return counts.username >= limits.perUsername || counts.address >= limits.perAddress;
}

export class LoginLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly keys: WebServicesKeys,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    /** Keeps the counts of different sign-in forms apart (end users: none; operators: 'operator-'). */
    private readonly scope = '',
  ) {}

  private subjects(username: string, address: string): [string, string] {
    return [
      this.keys.loginFailures(`${this.scope}user`, normaliseUsername(username)),
      this.keys.loginFailures(`${this.scope}addr`, address),
    ];
  }

  /** Checked before the password, so a locked-out account costs no scrypt and reveals nothing. */
  async blocked(username: string, address: string): Promise<boolean> {
    const [u, a] = await this.redis.mget(...this.subjects(username, address));
    return isLimited({ username: Number(u ?? 0), address: Number(a ?? 0) }, this.limits);
  }

  async recordFailure(username: string, address: string): Promise<void> {
    const multi = this.redis.multi();
    for (const key of this.subjects(username, address)) multi.incr(key).expire(key, this.limits.windowS, 'NX');
    await multi.exec();
  }

  /** A success clears the username's count (not the address's: one good account must not unlock guessing others). */
  async recordSuccess(username: string): Promise<void> {
    await this.redis.del(this.keys.loginFailures(`${this.scope}user`, normaliseUsername(username)));
  }
}
