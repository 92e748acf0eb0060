import { startSentinelGroup } from '../test/helpers/sentinel';
import { RedisConnections } from '../src/runtime/redis/connections';
const g = await startSentinelGroup();
const c = new RedisConnections(g.topology, { commandTimeoutMs: 2000 });
const r = c.create('request');
r.on('error', (e) => console.log('error', e.message));
for (const ev of ['connect','ready','close','reconnecting','end','+node','failover']) r.on(ev, () => console.log('event', ev, r.status));
await new Promise((res) => r.once('ready', res));
const t0 = Date.now();
let killed = false;
for (let i = 0; i < 40; i++) {
  try { await r.set('k', String(i)); console.log(Date.now()-t0, 'ok', r.status); } catch (e) { console.log(Date.now()-t0, 'fail', (e as Error).message, r.status); }
  if (i === 3 && !killed) { killed = true; await g.servers[0]!.kill(); console.log('killed'); void g.waitForFailover(g.servers[0]!.port).then(async () => { await g.servers[0]!.restart(); console.log('restarted'); }); }
  await new Promise((res) => setTimeout(res, 250));
}
r.disconnect(); await g.stop();
