/** The fake Netatmo's clock: injectable so tests can move time past setpoint ends and bans. */

export type Clock = () => number;

/** The API speaks Unix seconds (§2.4, §2.5). */
export const seconds = (ms: number): number => Math.floor(ms / 1000);
