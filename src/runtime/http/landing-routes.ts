import type Router from '@koa/router';
import type { Base } from '../services';
import type { RequestState } from './context';
import { createRouter, guarded, publicRoute } from './guards';
import { html, page } from './html';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors'>;

/** What a person who opens the host's bare URL needs: what it is and where its pages are. */
export function landingPage(input: { connectors: { name: string; title: string }[]; metricsNeedToken: boolean }): string {
  return page(
    'Service Manager',
    html`<h1>Service Manager</h1>
<p>This service links people's accounts at third-party clouds to the platform, keeps their devices in sync and runs their commands.</p>
<h2>Connectors enabled here</h2>
${
  input.connectors.length === 0
    ? html`<p class="muted">None.</p>`
    : html`<ul>${input.connectors.map((c) => html`<li>${c.title} <span class="muted">(<code>${c.name}</code>)</span></li>`)}</ul>`
}
<p class="muted">People reach their own setup, device and app pages from the platform's app, through a link that carries their installation's token: those pages have no address to bookmark here.</p>
<h2>Operators</h2>
<ul>
<li><a href="/admin/installations">Installations</a>: health, devices, recent events and actions (sign-in with the admin token)</li>
<li><a href="/admin/queues">Queue dashboard</a>: poll, webhook and delivery jobs</li>
<li><a href="/api/openapi.json">API description</a> (OpenAPI) of the admin and Web Services API</li>
</ul>
<h2>Health</h2>
<ul>
<li><a href="/healthz"><code>/healthz</code></a>: the process answers</li>
<li><a href="/readyz"><code>/readyz</code></a>: Redis is reachable</li>
<li><a href="/metrics"><code>/metrics</code></a>: Prometheus metrics${input.metricsNeedToken ? ' (needs the metrics token)' : ''}</li>
</ul>`,
  );
}

export function landingRoutes(services: Pick<Deps, 'connectors' | 'config'>): Router<RequestState> {
  const router = createRouter<RequestState>();
  const body = landingPage({
    connectors: [...services.connectors.values()].map((c) => ({ name: c.definition.name, title: c.definition.title })),
    metricsNeedToken: services.config.metricsToken !== undefined,
  });
  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = body;
  });
  return guarded(router, publicRoute());
}
