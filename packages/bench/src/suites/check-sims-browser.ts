import { Logger, startBridge } from '@krypton-web/bridge-server';
import { ensureWebAppBuilt } from '@krypton-web/build/web-app';
import { openCardStack, startLab, type CardStack } from '@krypton-web/krypton-lab';
import { enableLoopbackQuickAck, startPcscd, type LoopbackQuickAck } from '@krypton-web/krypton-lab/rigs';
import { checkLane, laneVerdict, launchBrowser, startCheckSims, waitFor } from '@krypton-web/web-driver';
import { round, type Suite } from '../metric.ts';

/**
 * The Check SIMs screen as a person uses it, in Chromium: the real bridge over pcscd with three vpcd
 * readers, the lab's card stack putting a fresh card into each lane, the page checking it (the
 * worker's lanes, the bridge's sessions, the lab at 0 or 150 ms per request). A lane's rate counts
 * the time from the card powered to the verdict on screen; lanes run side by side.
 */
export const checkSimsBrowser: Suite = {
  name: 'Check SIMs in the browser',
  quick: false,
  async run(ctx) {
    delete process.env.PCSCLITE_CSOCK_NAME;
    const webRoot = await ensureWebAppBuilt();
    const lab = await startLab();
    const pcscd = await startPcscd({ readers: 3 });
    let quickAck: LoopbackQuickAck | undefined;
    let stack: CardStack | undefined;
    // The bridge allows 5 AUTHENTICATEs at once and 30 a minute per reader (a person swaps cards slower);
    // the bench feeds cards as fast as pcscd sees them, so it widens that limit to measure the check itself.
    const bridge = await startBridge({
      port: 0,
      lab,
      pcsc: true,
      webRoot,
      log: new Logger(() => undefined),
      limits: { authenticates: { burst: 100, perMinute: 600 }, opens: { burst: 100, perMinute: 600 } },
    });
    const browser = await launchBrowser();
    try {
      await lab.ready;
      let host = '127.0.0.1';
      try {
        quickAck = await enableLoopbackQuickAck();
        host = quickAck.address;
      } catch (e) {
        ctx.note(`quick-ACK route not set (${(e as Error).message}): lanes include vpcd's ~40 ms stall per APDU`);
      }
      stack = openCardStack({ vpcd: pcscd.vpcdPorts.map((port) => ({ host, port })), readerNames: pcscd.readerNames });
      const box = lab.profiles.sims.filter((s) => !s.pin1.enabled && !s.network).map((s) => s.name);
      // Ten ordinary SIMs in the box: three per lane keeps every SIM of a three-lane batch distinct.
      const perLane = 3;
      const { page } = browser;
      for (const latencyMs of [0, 150]) {
        lab.faults.update({ latencyMs });
        let single = 0;
        for (const lanes of [1, 2, 3]) {
          const readers = pcscd.readerNames.slice(0, lanes);
          await startCheckSims(page, bridge.url, readers, { credentials: 'openid', s3: true });
          const checkMs = await Promise.all(
            readers.map(async (reader, i) => {
              let total = 0;
              for (let j = 0; j < perLane; j++) {
                await stack!.insert(i, box[i * perLane + j]!);
                const t0 = performance.now();
                const verdict = await laneVerdict(page, reader);
                total += performance.now() - t0;
                if (verdict !== 'PASS') throw new Error(`${reader}: ${await checkLane(page, reader).innerText()}`);
                await stack!.remove(i);
                await waitFor(async () => (await checkLane(page, reader).getByTestId('lane-verdict').count()) === 0, `${reader} to clear`);
              }
              return total;
            }),
          );
          await page.getByRole('button', { name: 'Stop', exact: true }).click();
          // A box of ten SIMs serves every run: each run is a batch of its own, or its SIMs would be "already checked".
          await page.getByRole('button', { name: 'New batch', exact: true }).click();
          await page.getByRole('button', { name: 'Clear and start a new batch', exact: true }).click();
          const perMinute = checkMs.reduce((sum, ms) => sum + (perLane * 60_000) / ms, 0);
          if (lanes === 1) single = perMinute;
          ctx.report({
            metric: 'browser_sims_per_minute',
            value: round(perMinute, 1),
            unit: 'SIM/min',
            lanes,
            latency_ms: latencyMs,
            sims: lanes * perLane,
            ratio_to_lanes_x_single: round(perMinute / (lanes * single)),
          });
        }
      }
    } finally {
      lab.faults.update({ latencyMs: 0 });
      await browser.close();
      await stack?.close();
      await bridge.close();
      await quickAck?.disable();
      await pcscd.stop();
      await lab.close();
    }
    ctx.note(
      'The bridge runs with its AUTHENTICATE and open limits widened (5 at once, 30 a minute per reader by default: a person swaps cards slower than this bench). Checklist: SIM read, fresh key agreement, OpenID credentials through Cognito, one S3 listing of the userdata bucket.',
    );
  },
};
