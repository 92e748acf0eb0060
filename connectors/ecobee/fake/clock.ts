/**
 * Time as the fake ecobee cloud shows it: revision strings and date-times, from an injectable
 * clock so tests can move time. Section numbers (§) refer to /work/shared/ecobee-api.md.
 */

export type Clock = () => number;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** §4: "Most revisions are UTC date/time stamps in the format: YYMMDDHHMMSS". */
export function revisionStamp(at: Date): string {
  return (
    pad(at.getUTCFullYear() % 100) +
    pad(at.getUTCMonth() + 1) +
    pad(at.getUTCDate()) +
    pad(at.getUTCHours()) +
    pad(at.getUTCMinutes()) +
    pad(at.getUTCSeconds())
  );
}

/** §3.3: lastModified/utcTime look like "2015-02-11 19:38:47". */
export function ecobeeDateTime(at: Date): string {
  const date = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
  return `${date} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
}

/**
 * Hands out revision strings. Clients only compare revisions for equality (§4), so two bumps in
 * the same second must still differ: when the clock has not moved past the last value we step the
 * 12-digit number by one instead (the result may not be a real time, which is fine: opaque).
 */
export class RevisionClock {
  private last = 0;

  constructor(private readonly now: Clock) {}

  next(): string {
    const stamp = Number(revisionStamp(new Date(this.now())));
    this.last = stamp > this.last ? stamp : this.last + 1;
    return String(this.last).padStart(12, '0');
  }
}
