/** Attribute values are plain JSON scalars so they compare and serialise trivially. */
export type AttributeValue = string | number | boolean | null;
export type Attributes = Record<string, AttributeValue>;

/**
 * A connector's own reference for one device, beside its external id: what the cloud needs to
 * address it (Honeywell: the location id). Opaque to the framework, checked by the connector's
 * `deviceContext` schema, stored with the child device and handed back on poll and command.
 */
export type DeviceContext = Readonly<Record<string, AttributeValue>>;

/** A device the cloud lists, before the user selects it. */
export interface DiscoveredDevice {
  externalId: string;
  name: string;
  type: string;
  /** Only with a `deviceContext` schema on the connector. */
  context?: DeviceContext | undefined;
}

/** A device's current state as the cloud reports it. */
export interface DeviceSnapshot extends DiscoveredDevice {
  attributes: Attributes;
}

/** A child device under an installation. */
export interface ChildDevice {
  /** Stable across renames: derived from the installation and the cloud's own id. */
  id: string;
  externalId: string;
  /** The cloud's name; follows renames in the cloud. */
  name: string;
  /** A label the platform user set; a cloud rename never touches it. Defaults to the name. */
  label: string;
  /** True once the platform user set the label, so it stops following `name`. */
  labelSet: boolean;
  type: string;
  attributes: Attributes;
  /** The connector's reference (DeviceContext), as the last poll reported it. */
  context?: DeviceContext | undefined;
  updatedAt: string;
}
