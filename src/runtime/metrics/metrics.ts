import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric we export, on one registry per process (tests build several, so no global one).
 * Label values are bounded: route patterns, not paths; outcomes from fixed vocabularies.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'sm_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly webhookRequests = new Counter({
    name: 'sm_webhook_requests_total',
    help: 'Webhook callbacks by outcome (accepted = durably queued and acknowledged)',
    labelNames: ['connector', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookCallbacks = new Counter({
    name: 'sm_webhook_callbacks_total',
    help: 'Acknowledged callbacks processed by workers (several per job), by outcome',
    labelNames: ['connector', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly refreshes = new Counter({
    name: 'sm_token_refreshes_total',
    help: 'Token refresh attempts by outcome (refreshed, reused = someone else refreshed, refused, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly cloudCalls = new Counter({
    name: 'sm_cloud_calls_total',
    help: 'Calls to third-party clouds by classification',
    labelNames: ['connector', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly secretsUnreadable = new Counter({
    name: 'sm_secrets_unreadable_total',
    help: 'Installations moved to reauth_required because no configured key opens their stored tokens',
    labelNames: ['connector'] as const,
    registers: [this.registry],
  });

  readonly tokenRevocations = new Counter({
    name: 'sm_token_revocations_total',
    help: 'Provider-token revocation attempts after uninstall, by outcome (revoked, retry, gave_up, rejected, unreadable)',
    labelNames: ['connector', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly polls = new Counter({
    name: 'sm_polls_total',
    help: 'Installation polls by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** Polls the schedule dispatcher queued (poll-dispatcher.ts), by connector; failed dispatches are retried, not counted. */
  readonly pollsDispatched = new Counter({
    name: 'sm_polls_dispatched_total',
    help: 'Scheduled polls queued by this process\'s schedule dispatcher, by connector',
    labelNames: ['connector'] as const,
    registers: [this.registry],
  });

  readonly jobs = new Counter({
    name: 'sm_jobs_total',
    help: 'BullMQ jobs finished, by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly subscriptionPosts = new Counter({
    name: 'sm_subscription_posts_total',
    help: 'Signed POSTs to Web Services subscription targets, by kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly eventDeliveryLag = new Histogram({
    name: 'sm_event_delivery_lag_seconds',
    help: 'From a device event to its 2xx at a subscription target (includes retries)',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 1800, 7200],
    registers: [this.registry],
  });

  /** Counters, not a gauge: each process sees only the transitions it made; sum across processes. */
  readonly healthTransitions = new Counter({
    name: 'sm_installation_health_transitions_total',
    help: 'Installation health transitions, by connector and the state entered',
    labelNames: ['connector', 'state'] as const,
    registers: [this.registry],
  });

  readonly sinkDeliveries = new Counter({
    name: 'sm_event_sink_posts_total',
    help: 'Standard Webhooks POSTs to event sinks, by outcome (delivered, http_5xx, unreachable, dead_lettered, ...)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'sm_queue_jobs',
    help: 'Jobs per queue and state, read at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults) collectDefaultMetrics({ register: this.registry, prefix: 'sm_' });
  }
}
