import { startPcscd, type PcscdHandle } from '@krypton-web/krypton-lab/rigs';
import { connect, waitFor } from '@krypton-web/web-driver';
import type { Page } from 'playwright-core';
import { startBrowserStack, type BrowserStack, type Closable } from './browser-stack.test-support.ts';
import { buildRig } from './rig.test-support.ts';
import { insertVcard } from './vcard.test-support.ts';

/** How long a rig waits for another test file's pcscd to stop (one pcscd per machine, behind a lock). */
const PCSCD_LOCK_TIMEOUT_MS = 240_000;

/** A beforeAll starting a card-reader rig may take this long: the wait for the pcscd lock, then pcscd, the stack and the browser. */
export const CARD_READER_RIG_TIMEOUT_MS = 360_000;

/** The card-reader path: pcscd with vpcd readers, the lab's vcard in the first one, the bridge with PC/SC on, and a browser. */
export interface CardReaderRig<B extends Closable> extends BrowserStack<B> {
  /** The test's own pcscd; the card is in its first reader, `pcscd.readerName`. */
  readonly pcscd: PcscdHandle;
  /** Takes the card out of the reader (a SIM pulled mid-session); idempotent, and close() takes it out too. */
  removeCard(): Promise<void>;
}

/**
 * The card-reader path as a person meets it: a real pcscd of the test's own (vpcd driver), the lab's
 * `vcard` process holding `sim` (default "demo") in the first reader — started once vcard says vpcd
 * has the card — the real bridge with PC/SC on, and the browser `launch` starts. Needs root for pcscd
 * (as in CI). When a step fails, what had started is stopped before the error goes on; close() stops
 * the browser, the bridge, the card and pcscd, in that order, each even when one before it fails.
 */
export async function startCardReaderRig<B extends Closable>(options: {
  sim?: string;
  launch: () => Promise<B>;
}): Promise<CardReaderRig<B>> {
  return buildRig(async (parts) => {
    // libpcsclite (the bridge's, in this process) dials the default socket, which this pcscd serves.
    delete process.env.PCSCLITE_CSOCK_NAME;
    const pcscd = parts.add(await startPcscd({ lockTimeoutMs: PCSCD_LOCK_TIMEOUT_MS }), (p) => p.stop());
    const vcard = parts.add(await insertVcard(pcscd.vpcdPort, options.sim ?? 'demo'), (v) => v.remove());
    const stack = parts.add(await startBrowserStack({ stack: { pcsc: true }, launch: options.launch }), (s) => s.close());
    return { ...stack, pcscd, removeCard: () => vcard.remove(), close: () => parts.stopAll() };
  });
}

/**
 * Opens the app in Chromium and connects the rig's reader with the lab endpoint: waits until the bridge
 * lists the reader (pressing "Look for readers" until then), picks it, and waits until the page says it
 * is connected to that reader.
 */
export async function connectReader(page: Page, rig: CardReaderRig<Closable>): Promise<void> {
  const name = rig.pcscd.readerName;
  await connect(page, rig.url, 'Card reader (bridge)', async () => {
    const readers = page.getByLabel('Card reader', { exact: true });
    await waitFor(
      async () => {
        if ((await readers.locator('option').allInnerTexts()).includes(name)) return true;
        await page.getByRole('button', { name: 'Look for readers' }).click();
        return false;
      },
      `the bridge to list ${name}`,
      20_000,
    );
    await readers.selectOption(name);
  });
  await page
    .getByRole('status')
    .filter({ hasText: `Connected: ${name}` })
    .waitFor({ timeout: 30_000 });
}
