import type { HostCore } from '../helpers/host';
import type { LinkedInstallation } from '../helpers/link';

/** What the conformance suite needs from a connector's fake cloud. */
export interface KitFake {
  url: string;
  clientId: string;
  clientSecret?: string;
  approve(authorizeUrl: string, decision?: 'accept' | 'decline'): Promise<string>;
  /** Every issued access token now answers "expired" the way the real cloud does. */
  expireAccessTokens(): void;
  /** The user revoked our access: refreshes are refused. */
  deauthorize(): void;
  refreshCount(): number;
  staleRefreshAttempts(): number;
  /** The next device-listing call fails with a 500. */
  failNextListing(): void;
  /** The fake's request log as text (FakeCloudBase.dump), printed under every failed check. */
  dump(): string;
  stop(): Promise<void>;
}

/** A connector's answers to the suite: its fake and how to make things happen in its cloud. */
export interface ConnectorKit<F extends KitFake = KitFake> {
  connector: string;
  /**
   * The connector's folder, when it is not connectors/<connector> (a scaffold written elsewhere):
   * the suite loads the connector from there.
   */
  folder?: string;
  start(): Promise<F>;
  /** At least three discoverable external ids; tests select the first two. */
  devices: readonly string[];
  rename(fake: F, externalId: string, name: string): void;
  remove(fake: F, externalId: string): void;
  command: {
    name: string;
    arguments: unknown[];
    badArguments: unknown[];
    /** True once the fake cloud holds the command's effect. */
    applied(fake: F, externalId: string): boolean;
    /** The attribute (name, value) the device shows after the next sync. */
    attribute: readonly [string, unknown];
  };
  /** For connectors with webhooks: a user changes something in the cloud, which pushes a signed callback. */
  push?: {
    act(fake: F, externalId: string): Promise<void>;
    attribute: readonly [string, unknown];
    /** Sends a correctly signed copy of the last push again (a duplicate delivery). */
    redeliverLast(fake: F): Promise<void>;
  };
}

export interface RuleEnv<F extends KitFake = KitFake> {
  kit: ConnectorKit<F>;
  host(): HostCore & { fake: F };
  /** Creates and links an installation through the browser flow. */
  link(existing?: LinkedInstallation): Promise<LinkedInstallation>;
}

export type Rule = <F extends KitFake>(env: RuleEnv<F>) => void;
