import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeRequest, Reply } from '../../../src/connectors/fake-cloud';
import type { ApiResult } from './api';
import type { FakeDelivery, WebhookDeliverer } from './push';

/**
 * The user's webhook: where addwebhook registered it (§3.1) and when pushes reach it relative to
 * the API answer that caused them. Payloads and signed delivery are push.ts's.
 */

/** One webhook URL per user and app: addwebhook replaces, dropwebhook removes. */
export class WebhookRegistry {
  private readonly urls = new Map<string, string>();

  set(userId: string, url: string): void {
    this.urls.set(userId, url);
  }

  get(userId: string): string | undefined {
    return this.urls.get(userId);
  }

  drop(userId: string): boolean {
    return this.urls.delete(userId);
  }
}

/** Below the host's HTTP timeout, so addwebhook answers even when the receiver hangs. */
const ACTIVATION_WAIT_MS = 1000;

export interface UserWebhookOptions {
  registry: WebhookRegistry;
  userId: string;
  push: WebhookDeliverer;
  /** Aborted when the fake stops: ends the activation wait. */
  signal: AbortSignal;
}

/** Pushes for the fake's one user, sent to whatever URL is registered at the moment of sending. */
export class UserWebhook {
  constructor(private readonly opts: UserWebhookOptions) {}

  url(): string | undefined {
    return this.opts.registry.get(this.opts.userId);
  }

  /**
   * Real webhooks arrive on their own schedule: after the answer. addwebhook's activation is the
   * exception: the fake lets it land first (so a client that saw 200 has been activated, which keeps
   * tests deterministic), but a slow receiver holds the answer back at most ACTIVATION_WAIT_MS.
   */
  async answer<R extends string>(request: FakeRequest<R>, result: ApiResult): Promise<Reply> {
    const pushes = result.pushes ?? [];
    if (result.pushBeforeReply) {
      const waited = sleep(ACTIVATION_WAIT_MS, undefined, { signal: this.opts.signal, ref: false }).catch(() => undefined);
      await Promise.race([this.deliver(pushes), waited]);
    } else if (pushes.length > 0) {
      request.afterReply(() => void this.deliver(pushes));
    }
    return result.reply;
  }

  /** In order, one at a time, as the real capture shows them (§3.4: two POSTs per change). */
  async deliver(pushes: Record<string, unknown>[]): Promise<FakeDelivery[]> {
    const url = this.url();
    const done: FakeDelivery[] = [];
    if (!url) return done;
    for (const push of pushes) {
      const delivery = await this.opts.push.deliver(url, JSON.stringify(push));
      if (delivery) done.push(delivery);
    }
    return done;
  }
}
