import { expect, it } from 'vitest';
import type { Rule } from './kit';
import { api, settlesTo } from './helpers';

/** A command reaches the cloud through the authorized client; bad arguments never leave the host. */
const commands: Rule = ({ host, link, kit }) => {
  it('command => applied in the fake cloud, visible after sync; bad arguments => 400', async () => {
    const inst = await link();
    const a = api(host(), inst);
    await a.select(kit.devices.slice(0, 1));
    const device = (await a.devices())[0];
    const send = (args: unknown[]) =>
      a.call(`/devices/${device?.id}/commands`, { method: 'POST', body: JSON.stringify({ command: kit.command.name, arguments: args }) });
    expect((await send(kit.command.badArguments)).status).toBe(400);
    expect(kit.command.applied(host().fake, kit.devices[0] ?? '')).toBe(false);
    expect((await send(kit.command.arguments)).status).toBe(202);
    expect(kit.command.applied(host().fake, kit.devices[0] ?? '')).toBe(true);
    const [attr, value] = kit.command.attribute;
    await settlesTo(async () => (await a.devices())[0]?.attributes[attr], value, `${attr} after the command, by the next sync`);
  });
};
export default commands;
