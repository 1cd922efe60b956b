import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLane, launchBrowser, waitFor } from '@krypton-web/web-driver';
import type { Page } from 'playwright-core';
import { screenshot } from './support/artifacts.test-support.ts';
import { fakeSerialScript } from './support/fake-serial.test-support.ts';
import { startStack, type Stack } from './support/stack.test-support.ts';

const MODEM = 'Huawei modem (12d1:1506)';

/** The fake navigator.serial's hooks, as the page holds them. */
type FakeSerialHooks = {
  ports: { swapSim(sim: string | undefined): Promise<void>; unplug(): void }[];
  plugInModem(sim: string): unknown;
};

type FakeWindow = { __fakeSerial: FakeSerialHooks };

/** Takes the SIM out of the first modem (`null`), or puts the named demo SIM in. */
async function swapSim(page: Page, sim: string | null): Promise<void> {
  await page.evaluate((s) => (window as unknown as FakeWindow).__fakeSerial.ports[0]!.swapSim(s ?? undefined), sim);
}

async function unplugFirstModem(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as FakeWindow).__fakeSerial.ports[0]!.unplug());
}

/** Plugs in a stick the site already allowed, with the named demo SIM. */
async function plugInModem(page: Page, sim: string): Promise<void> {
  await page.evaluate((s) => void (window as unknown as FakeWindow).__fakeSerial.plugInModem(s), sim);
}

async function summaryIs(page: Page, text: string): Promise<void> {
  const summary = page.getByTestId('report-summary');
  await waitFor(async () => (await summary.innerText()) === text, `the report to say "${text}"`, 20_000);
}

async function laneStatusIs(page: Page, status: string, text?: string): Promise<void> {
  const lane = checkLane(page, MODEM);
  await waitFor(
    async () => (await lane.getAttribute('data-status')) === status && (!text || (await lane.innerText()).includes(text)),
    `the modem lane to be ${status}${text ? ` saying "${text}"` : ''}`,
    20_000,
  );
}

describe('Check SIMs with a USB modem lane: Web Serial on the page (the fake navigator.serial over the lab’s Huawei emulator)', () => {
  let server: Stack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    server = await startStack();
    browser = await launchBrowser();
    await browser.context.addInitScript({
      content: await fakeSerialScript({ sim: 'demo', modem: { urcNoise: { seed: 5, intervalMs: 300 } } }),
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('adds the modem through the port picker, checks its SIM, follows SIM swaps and an unplug and re-plug', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#check-sims`);
    const lanes = page.getByRole('group', { name: 'Lanes (card readers and USB modems)' });
    await lanes.getByRole('button', { name: 'Add USB modem…' }).click();
    const modemBox = lanes.locator(`input[data-modem="${MODEM}"]`);
    await modemBox.waitFor();
    expect(await modemBox.isChecked()).toBe(true);
    // Only the modem: the bridge's demo readers are left out.
    for (const box of await lanes.locator('input[data-reader]').all()) await box.uncheck();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByTestId('check-status').filter({ hasText: 'Running (lanes: 1)' }).waitFor();

    await laneStatusIs(page, 'done');
    expect(await checkLane(page, MODEM).getAttribute('data-verdict')).toBe('PASS');
    expect(await checkLane(page, MODEM).innerText()).toContain('8981100000000000016');
    await summaryIs(page, 'SIMs: 1 — 1 PASS, 0 WARN, 0 FAIL');
    await screenshot(page, 'k-5-modem-lane-pass');

    // SIM out: the lane clears at once, never showing the SIM that left.
    await swapSim(page, null);
    await laneStatusIs(page, 'empty', 'Insert the next SIM');
    expect(await checkLane(page, MODEM).innerText()).not.toContain('8981100000000000016');

    // The next SIM in: checked without a click.
    await swapSim(page, 'demo-box-01');
    await summaryIs(page, 'SIMs: 2 — 2 PASS, 0 WARN, 0 FAIL');
    await laneStatusIs(page, 'done');
    expect(await checkLane(page, MODEM).innerText()).toContain('8981100000000000119');

    // Unplugged: the lane says so and waits; the stick plugged back in (a new port in Chrome) carries on.
    await unplugFirstModem(page);
    await laneStatusIs(page, 'gone', 'The modem was unplugged: plug it back in and this lane goes on');
    await screenshot(page, 'k-6-modem-lane-unplugged');
    await plugInModem(page, 'demo-box-02');
    await summaryIs(page, 'SIMs: 3 — 3 PASS, 0 WARN, 0 FAIL');
    expect(await checkLane(page, MODEM).innerText()).toContain('8981100000000000127');

    const rows = await page
      .getByTestId('report-body')
      .locator('.report-row')
      .evaluateAll((els) => els.map((e) => e.textContent ?? ''));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toContain(MODEM);

    // Stop closes the port; Start opens the allowed port again and goes on with the same batch.
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await laneStatusIs(page, 'already');
    expect(await checkLane(page, MODEM).innerText()).toContain('8981100000000000127');
  }, 180_000);
});
