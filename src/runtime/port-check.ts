import { createServer } from 'node:net';

/** The one line to print when `port` cannot be listened on, by the variable that sets it. */
export function listenProblem(err: unknown, port: number, host: string, variable: string): string | undefined {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'EADDRINUSE':
      return `Port ${port} on ${host} is already in use: stop whatever listens there, or set ${variable} to a free port.`;
    case 'EACCES':
      return `Port ${port} on ${host} needs privileges this user lacks: set ${variable} to 1024 or above.`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine: set HOST to one of its addresses (or 0.0.0.0).`;
    default:
      return undefined;
  }
}

/**
 * Tries to listen on `port` and lets go at once: checked before anything starts (a private
 * redis-server, fake clouds, workers), so a port in use costs one line and nothing to clean up.
 * The real listen can still lose a race; its error goes through listenProblem too.
 */
export function checkPort(port: number, host: string, variable: string): Promise<string | undefined> {
  if (port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err) => resolve(listenProblem(err, port, host, variable) ?? `Cannot listen on ${host}:${port} (${err.message}).`));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}
