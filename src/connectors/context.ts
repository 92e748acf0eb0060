import type { z } from 'zod';
import type { CloudHttp } from './cloud-types';
import type { Attributes, DeviceContext, DeviceSnapshot, DiscoveredDevice } from './device-types';
import type { Logger } from '../runtime';

/** What a connector's handlers receive. No tokens, no Redis, no process.env. */
export interface ConnectorContext {
  /** The authorized client: tokens attached, expiry handled, concurrency capped. */
  http: CloudHttp;
  log: Logger;
  installationId: string;
  /** The external ids the user selected. */
  selected: ReadonlySet<string>;
  /** The stored context of each child device, by external id (only for connectors with `deviceContext`). */
  contexts: ReadonlyMap<string, DeviceContext>;
}

export type PollResult =
  | { unchanged: true; cursor: string | undefined }
  | {
      unchanged: false;
      devices: DeviceSnapshot[];
      /** True only when `devices` is the complete listing: only then may absent devices be removed. */
      complete: boolean;
      /** Opaque change marker handed back on the next poll (ecobee: its revision list). */
      cursor: string | undefined;
    };

export interface PollDefinition {
  /** How often to poll by default (POLL_INTERVAL_S overrides). */
  intervalMs: number;
  /** `cursor` is undefined when a full fetch is wanted (first sync, new selection). */
  run(ctx: ConnectorContext, cursor: string | undefined): Promise<PollResult>;
}

/** The device a command targets, as the connector needs it. */
export interface CommandTarget {
  externalId: string;
  type: string;
  attributes: Attributes;
  /** The device's context, already checked against the connector's `deviceContext` schema. */
  context?: DeviceContext | undefined;
}

export interface CommandDefinition {
  /** Validates the `arguments` array; a failure is a 400 for the caller. */
  input: z.ZodType;
  /** Device types this command applies to; absent means all. */
  types?: readonly string[];
  run(ctx: ConnectorContext, target: CommandTarget, args: unknown): Promise<void>;
}

/** Typed helper: `args` is what `input` parses to. */
export function defineCommand<S extends z.ZodType>(command: {
  input: S;
  types?: readonly string[];
  run(ctx: ConnectorContext, target: CommandTarget, args: z.infer<S>): Promise<void>;
}): CommandDefinition {
  // Sound: the framework always parses `arguments` with `input` before calling `run`.
  return command as CommandDefinition;
}

export type { DeviceSnapshot, DiscoveredDevice };

/** A partial view of one device from a push message: what changed, nothing about the rest. */
export interface DevicePatch {
  externalId: string;
  /** Present only when the message carries the cloud's name (a rename). */
  name?: string;
  /** With `name`, lets a message add a newly selected device. */
  type?: string;
  attributes: Attributes;
}

/** What one push message means for the installation(s) it reaches. */
export type WebhookEffect =
  /** Apply these device changes (never removes anything else). */
  | { kind: 'patch'; devices: DevicePatch[] }
  /** These devices are gone from the cloud. */
  | { kind: 'removed'; externalIds: string[] }
  /** Do not trust the payload as state: poll soon (debounced). */
  | { kind: 'refresh'; debounceMs?: number }
  /** The cloud's activation / handshake message for a new subscription. */
  | { kind: 'activation' };

export interface ParsedWebhook {
  /**
   * Identifies the event for deduplication (the cloud's event id, or a key the connector derives).
   * The same key seen again within the dedup window is applied once.
   */
  dedupKey: string | undefined;
  effects: WebhookEffect[];
}

/** Thrown by `parse` for a payload it cannot understand; the payload is kept for the operator. */
export class WebhookParseError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'WebhookParseError';
  }
}

export interface WebhookRequest {
  rawBody: Buffer;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The app's client secret, for clouds that sign with it. */
  clientSecret: string | undefined;
}

export interface WebhookDefinition {
  /** Success status for an accepted (durably queued) delivery. Default 202; Netatmo counts anything but 200 as failure. */
  ackStatus?: number;
  /**
   * A bad signature on a request that carried the right URL token: `reject` (401, default), or
   * `acknowledge` (answer ackStatus, drop it, count it) for clouds that ban an app's webhook after
   * a few failures, so one misconfigured secret cannot take every user's webhook down.
   */
  onBadSignature?: 'reject' | 'acknowledge';
  /** Largest body accepted. Default 256 KiB. */
  maxBodyBytes?: number;
  /** How long a dedup key is remembered. Default 10 minutes. */
  dedupWindowMs?: number;
  /** Connector's own verification on the raw body bytes (e.g. an HMAC header). */
  verify?: (request: WebhookRequest) => boolean;
  /**
   * For clouds that keep one webhook URL per account and app (Netatmo): the account the
   * installation is linked to. Installations sharing an account share one registration, and each
   * push is applied to all of them.
   */
  accountId?: (ctx: ConnectorContext) => Promise<string>;
  /** Registers the callback URL with the cloud, after linking or when the token rotates. */
  subscribe: (ctx: ConnectorContext, callbackUrl: string) => Promise<void>;
  /** Removes it, on uninstall. Gets the URL without its token (we keep only the token's hash). */
  unsubscribe: (ctx: ConnectorContext, callbackBaseUrl: string) => Promise<void>;
  /** Pure: payload → effects. Throws WebhookParseError when it cannot. */
  parse: (payload: unknown) => ParsedWebhook;
}
