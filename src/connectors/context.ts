import type { z } from 'zod';
import type { CloudHttp } from '../cloud/types';
import type { Attributes, DeviceSnapshot, DiscoveredDevice } from '../devices/types';
import type { Logger } from '../logging/logger';

/** What a connector's handlers receive. No tokens, no Redis, no process.env. */
export interface ConnectorContext {
  /** The authorized client: tokens attached, expiry handled, concurrency capped. */
  http: CloudHttp;
  log: Logger;
  installationId: string;
  /** The external ids the user selected. */
  selected: ReadonlySet<string>;
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
