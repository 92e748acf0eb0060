import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CloudAnswerError, CommandArgumentError } from '../../src/connectors/sdk';
import type { EnabledConnector } from '../../src/runtime';
import { AppError } from '../../src/runtime/errors';
import { renderAppError } from '../../src/runtime/http/render-error';
import { callConnector, checkedContexts, commandTarget } from '../../src/sync/connector-context';
import type { DiscoveredDevice } from '../../src/connectors';

const connector = { definition: { name: 'acme' } } as EnabledConnector;
const audience = { wantsHtml: false, linking: false, requestId: 'req-1' };

async function caught(run: () => Promise<unknown>): Promise<AppError> {
  const err = await callConnector(connector, 'command setMode', run).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
}

describe('callConnector: what a connector throws, typed once', () => {
  it('CommandArgumentError => 400 invalid_arguments with the connector\'s message', async () => {
    const err = await caught(async () => {
      throw new CommandArgumentError('Mode Auto is not allowed. Allowed modes are Heat, Off.');
    });
    const rendered = renderAppError(err, audience);
    expect(rendered.status).toBe(400);
    expect(rendered.body).toMatchObject({ error: 'invalid_arguments', message: 'Mode Auto is not allowed. Allowed modes are Heat, Off.', connector: 'acme' });
  });

  it('an untyped throw => 502 connector_error naming the connector, never a 500 or the raw message', async () => {
    const err = await caught(async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')");
    });
    const rendered = renderAppError(err, audience);
    expect(rendered.status).toBe(502);
    expect(rendered.body).toMatchObject({ error: 'connector_error', connector: 'acme' });
    expect(JSON.stringify(rendered.body)).not.toContain('reading');
  });

  it('a thrown non-Error value => 502 connector_error too', async () => {
    const err = await caught(() => Promise.reject('just a string'));
    expect(err.code).toBe('connector_error');
  });

  it('CloudAnswerError => 502 cloud_error naming the connector', async () => {
    const err = await caught(async () => {
      throw new CloudAnswerError('GET /v2/locations');
    });
    expect(err.code).toBe('cloud_error');
    expect(renderAppError(err, audience).body).toMatchObject({ connector: 'acme' });
  });

  it("the framework's own typed errors (from ctx.http) pass through unchanged", async () => {
    const original = new AppError('reauth_required');
    expect(await caught(() => Promise.reject(original))).toBe(original);
  });

  it('a value is returned as is', async () => {
    expect(await callConnector(connector, 'poll', async () => 42)).toBe(42);
  });
});

describe('per-device context, checked by the connector schema', () => {
  const withSchema = { definition: { name: 'acme', deviceContext: z.object({ locationId: z.number().int() }) } } as unknown as EnabledConnector;
  const device = (context: unknown) => ({ externalId: 'd1', name: 'D', type: 't', context }) as DiscoveredDevice;

  it('a context the schema accepts is kept; one it refuses, or any context without a schema => 502 connector_error', () => {
    expect(checkedContexts(withSchema, [device({ locationId: 7 })])[0]?.context).toEqual({ locationId: 7 });
    expect(() => checkedContexts(withSchema, [device({ locationId: 'x' })])).toThrow(/deviceContext schema refuses/);
    expect(() => checkedContexts(connector, [device({ locationId: 7 })])).toThrow(/declares no deviceContext/);
    expect(checkedContexts(connector, [{ externalId: 'd2', name: 'D', type: 't' }])).toHaveLength(1);
  });

  it('a command target without a usable stored context => 409, never the connector called with garbage', () => {
    expect(commandTarget(withSchema, { externalId: 'd1', context: { locationId: 7 } }).context).toEqual({ locationId: 7 });
    expect(() => commandTarget(withSchema, { externalId: 'd1' })).toThrow(expect.objectContaining({ code: 'conflict' }));
  });
});
