// The image's HEALTHCHECK: exit 0 when this container's process answers, as host or as worker.
// A host answers /healthz on PORT; a worker-only process has no HTTP host, only /metrics on
// METRICS_PORT (401 there, with METRICS_TOKEN set, still means it is alive).
const env = process.env;
const probes = [
  `http://127.0.0.1:${env.PORT ?? 3000}/healthz`,
  `http://127.0.0.1:${env.METRICS_PORT ?? 9464}/metrics`,
].map((url) =>
  fetch(url, { signal: AbortSignal.timeout(2_000) }).then((res) => (res.status < 500 ? res.status : Promise.reject(new Error(String(res.status))))),
);
Promise.any(probes).then(
  () => process.exit(0),
  () => process.exit(1),
);
