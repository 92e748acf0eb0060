import type { Redis } from 'ioredis';
import type { Keys } from '../runtime';
import { loginFailureKeys, type LoginFailureKeys } from './login-failure-keys';
import { AttemptLimiter, type AttemptCounter } from './attempt-limiter';

export interface CredentialLimits {
  /** Failed attempts per account (username, client id) per window; Infinity: no account count. */
  perAccount: number;
  /** Failed attempts per client address per window. */
  perAddress: number;
  windowS: number;
}

/** End-user passwords (the sign-in form and app revocation with Basic): credential stuffing and guessing. */
export const DEFAULT_LOGIN_LIMITS: CredentialLimits = { perAccount: 5, perAddress: 50, windowS: 15 * 60 };

/**
 * The operator's login (one shared admin token, so no account to count): per address only. A
 * count on the token itself would let anyone lock every operator out.
 */
export const OPERATOR_LOGIN_LIMITS: CredentialLimits = { perAccount: Infinity, perAddress: 20, windowS: 15 * 60 };

/**
 * Client secrets at the token endpoint. They carry 256 bits, so the limit is not what keeps them
 * safe; it is higher than the users' because a client id is public (anyone can spend its count)
 * and a busy client's backend sends many requests, each holding a slot while it is checked.
 */
export const CLIENT_SECRET_LIMITS: CredentialLimits = { perAccount: 50, perAddress: 100, windowS: 15 * 60 };

export type LimitedAttempt<T> = { limited: true; retryAfterS: number } | { limited: false; value: T | undefined };

/**
 * Limits the verification of one kind of credential per account and per client address. The slot
 * is reserved before the secret is checked; a success gives its own slot back (it was no failure;
 * giving back only its own slot, not clearing the count, means a good sign-in on one account
 * unlocks no guessing, on that account or from that address).
 */
export class LoginLimiter {
  private readonly attempts: AttemptLimiter;

  private readonly keys: LoginFailureKeys;

  constructor(
    redis: Redis,
    keySpace: Keys,
    private readonly limits: CredentialLimits,
    /** Keeps the counts of different credentials apart: 'user-', 'operator-', 'client-'. */
    private readonly scope: string,
  ) {
    this.keys = loginFailureKeys(keySpace.prefix);
    this.attempts = new AttemptLimiter(redis, limits.windowS);
  }

  get windowS(): number {
    return this.limits.windowS;
  }

  private counters(account: string | undefined, address: string): AttemptCounter[] {
    const out: AttemptCounter[] = [];
    if (account !== undefined && Number.isFinite(this.limits.perAccount)) {
      out.push({ key: this.keys.loginFailures(`${this.scope}account`, account), max: this.limits.perAccount });
    }
    out.push({ key: this.keys.loginFailures(`${this.scope}addr`, address), max: this.limits.perAddress });
    return out;
  }

  /**
   * Runs `verify` under a reserved slot: `limited` (verify not called) when either count is full.
   * `verify` answers the authenticated subject, or undefined for a wrong credential.
   */
  async attempt<T>(account: string | undefined, address: string, verify: () => Promise<T | undefined>): Promise<LimitedAttempt<T>> {
    const slot = await this.attempts.reserve(this.counters(account, address));
    if (!slot.ok) return { limited: true, retryAfterS: slot.retryAfterS };
    let value: T | undefined;
    try {
      value = await verify();
    } catch (err) {
      // Nothing was learnt about the credential: the slot goes back (best effort, Redis may be the fault).
      await slot.release().catch(() => undefined);
      throw err;
    }
    if (value !== undefined) await slot.release();
    return { limited: false, value };
  }
}

/** The operator form's limiter, built where the connection is at hand: the route never sees the client. */
export function operatorLoginLimiter(services: { redis: Redis; keys: Keys }): LoginLimiter {
  return new LoginLimiter(services.redis, services.keys, OPERATOR_LOGIN_LIMITS, 'operator-');
}
