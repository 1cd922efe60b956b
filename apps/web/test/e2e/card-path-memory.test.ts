import { demoProfileSet, findSim, type SimProfile } from '@krypton-web/krypton-lab';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, connect, launchBrowser } from '@krypton-web/web-driver';
import { screenshot } from './support/artifacts.test-support.ts';
import { fakeSerialScript } from './support/fake-serial.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';

/** The APDU count the timeline shows under a finished authentication. */
async function apdusShown(page: Page): Promise<number> {
  const counts = await page.getByTestId('auth-counts').innerText();
  const m = /^(\d+) APDUs · /.exec(counts);
  if (!m) throw new Error(`no APDU count in "${counts}"`);
  return Number(m[1]);
}

/** What the page's IndexedDB of card paths holds, read in the page (same origin as the workers). */
function storedCards(page: Page): Promise<unknown[]> {
  return page.evaluate(
    () =>
      new Promise<unknown[]>((resolve, reject) => {
        const open = indexedDB.open('krypton-web-card-paths');
        // No database yet: create nothing (the workers' version must make it), and say so.
        open.onupgradeneeded = () => {
          open.transaction!.abort();
          resolve([]);
        };
        open.onerror = () => (open.error?.name === 'AbortError' ? undefined : reject(open.error));
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('cards')) {
            db.close();
            resolve([]);
            return;
          }
          const all = db.transaction('cards').objectStore('cards').getAll();
          all.onsuccess = () => {
            db.close();
            resolve(all.result as unknown[]);
          };
          all.onerror = () => reject(all.error);
        };
      }),
  );
}

// Issue #13 §1: the path that worked is remembered per card, so the next run on that card goes straight —
// after a page reload too. The card refuses SELECT by partial AID (the lab's `no-partial-aid` quirk); it sits
// in the lab's Huawei emulator behind a fake navigator.serial, so the USIM commands run in the page's
// session worker (a card reader's run in the bridge instead, and the bridge keeps its own memory).
describe('a card that refuses the partial AID goes straight after a page reload (card paths in IndexedDB)', () => {
  let server: Stack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  const card: SimProfile = { ...findSim(demoProfileSet(), 'demo'), name: 'demo.no-partial-aid', quirks: ['no-partial-aid'] };

  beforeAll(async () => {
    server = await startStack();
    browser = await launchBrowser();
    // On the context: the reloaded page gets the same card (a fresh emulator, as a modem plugged in again).
    await browser.context.addInitScript({ content: await fakeSerialScript({ sim: card }) });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('first authentication pays the detour through EF_DIR; after a reload the same card takes the full AID at once', async () => {
    const { page } = browser;
    await connect(page, server.url, 'USB modem (Web Serial)');
    await expect(page.getByTestId('iccid').innerText()).resolves.toBe(card.iccid);
    await expect(storedCards(page)).resolves.toEqual([]);

    await authenticate(page);
    await expect(page.getByTestId('key-cache').innerText()).resolves.toBe('New key agreed with the SIM.');
    const first = await apdusShown(page);
    await screenshot(page, 'p-1-first-run-detour');
    // What the worker learned is on disk, and it is only the path: no key, no IMSI, nothing else.
    const stored = await storedCards(page);
    expect(stored).toEqual([
      {
        key: `iccid:${card.iccid}`,
        // The full AID from EF_DIR; no file was read by SFI (the modem gives IMSI and ICCID by AT commands).
        path: { usimAid: expect.stringMatching(/^a0000000871002[0-9a-f]{18}$/i), selectWithoutData: true },
        usedAt: expect.any(Number),
      },
    ]);

    // A reload ends both workers: nothing of the first run is left in memory.
    await page.reload();
    await page.getByRole('radio', { name: 'USB modem (Web Serial)' }).check();
    await page.getByRole('radio', { name: 'Local lab (demo)' }).check();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Connected:' }).waitFor({ timeout: 30_000 });
    // The agreed key survived the reload too (IndexedDB): forget it, so this run must talk to the card again.
    await page.getByRole('button', { name: 'Forget cached key' }).click();
    await page.getByText('The cached key was forgotten').waitFor();
    await authenticate(page);
    await expect(page.getByTestId('key-cache').innerText()).resolves.toBe('New key agreed with the SIM.');
    const second = await apdusShown(page);
    await screenshot(page, 'p-2-after-reload-straight');

    console.log(`no-partial-aid card in the page (Web Serial modem): ${first} APDUs on the first run, ${second} after a reload`);
    // First: SELECT by partial AID (6A82), EF_DIR by path (SELECT, GET RESPONSE, READ RECORD), SELECT by the
    // full AID, AUTHENTICATE, GET RESPONSE. After the reload: the full AID, AUTHENTICATE, GET RESPONSE — what
    // a card that accepts the partial AID costs. (krypton-cli's 8 → 4 includes READ BINARY of EF_IMSI; a
    // modem gives the IMSI by AT+CIMI.)
    expect({ first, second }).toEqual({ first: 7, second: 3 });
  }, 180_000);
});
