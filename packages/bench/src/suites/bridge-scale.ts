import { KryptonClient, simEndpoint } from '@krypton-web/krypton-core';
import { startBridge, Logger, VIRTUAL_READER_NAME } from '@krypton-web/bridge-server';
import { BridgeClient } from '@krypton-web/sim-transport';
import { median, percentile, round, type Suite } from '../metric.ts';
import { originWebSocket } from './link-rigs.ts';

/** 7. Many pages polling reader state while one authenticates: does the authentication slow down? */
export const bridgeScale: Suite = {
  name: 'Bridge under load',
  quick: false,
  async run(ctx) {
    const clients = ctx.quick ? 50 : 200;
    const runs = ctx.quick ? 5 : 15;
    // Connect and AUTHENTICATE limits are defences against one hostile page; 200 simultaneous pages
    // of our own origin, and back-to-back authentications, exceed them by design, so this run raises them.
    const bridge = await startBridge({
      port: 0,
      lab: true,
      pcsc: false,
      log: new Logger(() => undefined),
      limits: { connects: { burst: clients * 2, perMinute: clients * 20 }, authenticates: { burst: runs * 3, perMinute: runs * 30 } },
    });
    const Ws = originWebSocket(bridge.url);
    const wsUrl = `${bridge.url.replace('http', 'ws')}/ws`;
    try {
      const main = await BridgeClient.connect(wsUrl, { WebSocket: Ws });
      const session = await main.open(VIRTUAL_READER_NAME);
      const krypton = new KryptonClient({
        endpoint: simEndpoint(`${bridge.url}/krypton/lab`),
        sim: session,
        fetch: (url, init) => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), Origin: bridge.url } }),
      });
      const authenticate = async () => {
        const t = performance.now();
        await krypton.authenticate({ fresh: true });
        return performance.now() - t;
      };
      await authenticate(); // warm up
      const idle: number[] = [];
      for (let i = 0; i < runs; i++) idle.push(await authenticate());

      const pollers = await Promise.all(Array.from({ length: clients }, () => BridgeClient.connect(wsUrl, { WebSocket: Ws })));
      let polls = 0;
      let stop = false;
      const loops = pollers.map(async (c) => {
        while (!stop) {
          await c.readers();
          polls++;
          await new Promise((r) => setTimeout(r, 100));
        }
      });
      const loaded: number[] = [];
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) loaded.push(await authenticate());
      const seconds = (performance.now() - t0) / 1000;
      stop = true;
      await Promise.all(loops);
      pollers.forEach((c) => c.close());
      await session.close();
      main.close();

      ctx.report({
        metric: 'bridge_authentication_ms',
        value: round(median(idle), 1),
        unit: 'ms',
        load: 'none',
        p99: round(percentile(idle, 99), 1),
      });
      ctx.report({
        metric: 'bridge_authentication_ms',
        value: round(median(loaded), 1),
        unit: 'ms',
        load: `${clients} clients polling`,
        p99: round(percentile(loaded, 99), 1),
        polls_per_s: round(polls / seconds, 0),
      });
      ctx.report({ metric: 'bridge_load_slowdown', value: round(median(loaded) / median(idle)), unit: 'ratio', clients, aim: '≤ 2' });
    } finally {
      await bridge.close();
    }
    ctx.note(
      'Authentication = a fresh key agreement through the bridge: SIM commands over /ws to the demo virtual reader, Keys API calls through the bridge proxy to the lab; pollers ask for the reader list every 100 ms each.',
    );
  },
};
