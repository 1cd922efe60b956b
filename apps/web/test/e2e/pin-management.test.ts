import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, launchBrowser, waitFor } from '@krypton-web/web-driver';
import { english as en } from '../../src/lib/i18n/english.test-support.ts';
import { enFailures } from '../../src/lib/i18n/en-failures.ts';
import { ja, jaFailures } from '../../src/lib/i18n/ja.ts';
import { expectAccessible } from './support/a11y.test-support.ts';
import { screenshot } from './support/artifacts.test-support.ts';
import { startChromiumStack, type BrowserStack, type Chromium } from './support/browser-stack.test-support.ts';
import {
  CARD_READER_RIG_TIMEOUT_MS,
  connectReader,
  startCardReaderRig,
  type CardReaderRig,
} from './support/card-reader-rig.test-support.ts';
import { fakeSerialScript } from './support/fake-serial.test-support.ts';
import { onPage, useLanguage, type Lang, type Texts } from './support/language.test-support.ts';

// Issue #15 §4: unblock PIN1 with the PUK, change it, disable and enable it, in the page, in English
// and in Japanese, on the virtual SIM; then once over the bridge's card reader (pcscd + vpcd + the
// lab's vcard) and once over the Web Serial modem, to show every kind of link carries them.
type FailureTexts = typeof enFailures;
const LANGS: readonly (readonly [Lang, Texts, FailureTexts])[] = [
  ['en', en, enFailures],
  ['ja', ja, jaFailures],
];

/** A text of the tables with its parameters, as the page formats it (`{n}`, and English `{n, plural, one {…} other {…}}`). */
function format(text: string, params: Record<string, number>): string {
  return text
    .replace(/\{(\w+), plural, one \{([^{}]*)\} other \{([^{}]*)\}\}/g, (_, k: string, one: string, other: string) =>
      (params[k] === 1 ? one : other).replace('#', String(params[k])),
    )
    .replace(/\{(\w+)\}/g, (_, k: string) => String(params[k]));
}

const text = async (l: Locator): Promise<string> => (await l.innerText()).trim();

/** Waits until the SIM panel's PIN line reads `expected`. */
async function pinStateIs(page: Page, expected: string): Promise<void> {
  await waitFor(async () => (await text(page.getByTestId('pin-state'))) === expected, `the PIN state "${expected}"`, 15_000);
}

/** The Operations panel, opened; its Run button and the reason it is gated (if any). */
async function operations(page: Page, texts: Texts): Promise<{ run: Locator; gate: Locator }> {
  const disclosure = page.getByRole('button', { name: texts['ops.heading'] });
  if ((await disclosure.getAttribute('aria-expanded')) !== 'true') await disclosure.click();
  const run = page.getByRole('button', { name: texts['ops.run'], exact: true });
  await run.waitFor();
  return { run, gate: page.getByTestId('ops-gate') };
}

/** Asserts Authenticate and Operations are both disabled and both say `reason`. */
async function gated(page: Page, texts: Texts, reason: keyof Texts): Promise<void> {
  const { run, gate } = await operations(page, texts);
  await waitFor(async () => (await gate.count()) === 1 && (await text(gate)) === texts[reason], `Operations gated: ${reason}`);
  expect(await run.isDisabled()).toBe(true);
  expect(await page.getByRole('button', { name: texts['auth.button'], exact: true }).isDisabled()).toBe(true);
  expect(await text(page.getByTestId('auth-gate'))).toBe(texts[reason]);
}

/** Asserts Authenticate and Operations are enabled, with no reason shown. */
async function open(page: Page, texts: Texts): Promise<void> {
  const { run, gate } = await operations(page, texts);
  await waitFor(async () => (await gate.count()) === 0 && !(await run.isDisabled()), 'Operations enabled');
  expect(await page.getByRole('button', { name: texts['auth.button'], exact: true }).isDisabled()).toBe(false);
  expect(await page.getByTestId('auth-gate').count()).toBe(0);
}

async function authenticates(page: Page, texts: Texts): Promise<void> {
  await page.getByRole('button', { name: texts['auth.button'], exact: true }).click();
  await page.getByText(texts['auth.success']).waitFor({ timeout: 30_000 });
}

/**
 * What a failure box should say: Japanese comes from the page's table; English is the worker's own
 * message (krypton-core's words), checked here for the facts it must carry.
 */
function says(
  lang: Lang,
  failures: FailureTexts,
  code: keyof FailureTexts,
  params: Record<string, number>,
  english: RegExp,
): { code: string; message: unknown } {
  return { code, message: lang === 'ja' ? format(failures[code].message, params) : expect.stringMatching(english) };
}

/** The failure box the SIM panel shows, with its code and message. */
async function simFailure(page: Page): Promise<{ code: string; message: string }> {
  const failure = page.locator('section[aria-labelledby="sim-heading"] .failure').first();
  await failure.waitFor({ timeout: 15_000 });
  return { code: (await failure.getAttribute('data-code')) ?? '', message: await text(failure.locator('.failure-message')) };
}

/** Fills and sends the unblock form. */
async function sendUnblock(page: Page, texts: Texts, puk: string, newPin: string): Promise<Locator> {
  const form = page.getByTestId('unblock-form');
  await form.getByLabel(texts['puk.label'], { exact: true }).fill(puk);
  await form.getByLabel(texts['puk.newPin'], { exact: true }).fill(newPin);
  await form.getByLabel(texts['puk.repeat'], { exact: true }).fill(newPin);
  await form.getByRole('button', { name: texts['puk.submit'] }).click();
  return form;
}

async function pukTriesAre(page: Page, texts: Texts, tries: number): Promise<void> {
  const expected = format(texts['puk.tries'], { tries });
  await waitFor(async () => (await text(page.getByTestId('puk-tries'))) === expected, `"${expected}"`, 15_000);
}

/** Verifies the PIN with the SIM panel's PIN form. */
async function verifyPin(page: Page, texts: Texts, pin: string): Promise<void> {
  const field = page.getByLabel(texts['pin.label'], { exact: true });
  await field.fill(pin);
  await page.getByRole('button', { name: texts['pin.submit'] }).click();
  await pinStateIs(page, texts['sim.pin.verified']);
  expect(await page.getByLabel(texts['pin.label'], { exact: true }).count()).toBe(0);
}

/** Changes the PIN in "Manage the PIN". */
async function changePin(page: Page, texts: Texts, current: string, next: string): Promise<void> {
  const form = page.getByTestId('manage-pin').locator('form[aria-labelledby="pin-change-heading"]');
  await form.getByLabel(texts['pinMgmt.current'], { exact: true }).fill(current);
  await form.getByLabel(texts['pinMgmt.new'], { exact: true }).fill(next);
  await form.getByLabel(texts['pinMgmt.repeat'], { exact: true }).fill(next);
  await form.getByRole('button', { name: texts['pinMgmt.change'] }).click();
}

/** Disables or enables the PIN in "Manage the PIN" and waits for the SIM panel to say it was done. */
async function togglePin(page: Page, texts: Texts, pin: string, to: 'disable' | 'enable'): Promise<void> {
  const form = page.getByTestId('manage-pin').locator('form[aria-labelledby="pin-toggle-heading"]');
  await form.getByLabel(texts['pinMgmt.current'], { exact: true }).fill(pin);
  await form.getByRole('button', { name: texts[`pinMgmt.${to}`] }).click();
  const done = texts[to === 'disable' ? 'pinMgmt.done.disabled' : 'pinMgmt.done.enabled'];
  await waitFor(
    async () => (await page.getByTestId('pin-done').count()) === 1 && (await text(page.getByTestId('pin-done'))) === done,
    done,
  );
  expect(await form.getByLabel(texts['pinMgmt.current'], { exact: true }).inputValue()).toBe('');
}

/**
 * Types `current`, a new PIN and a different repeat into `form` (the unblock form, 'puk', or the
 * change form, 'pinMgmt'): the mismatch is told in an alert, the repeat is marked invalid and the form
 * cannot be sent; typing the same PIN again takes the notice away. Leaves the fields filled.
 */
async function mismatchIsTold(
  form: Locator,
  texts: Texts,
  prefix: 'puk' | 'pinMgmt',
  [current, next, other]: readonly [string, string, string],
): Promise<void> {
  const fields =
    prefix === 'puk'
      ? (['puk.label', 'puk.newPin', 'puk.repeat'] as const)
      : (['pinMgmt.current', 'pinMgmt.new', 'pinMgmt.repeat'] as const);
  const send = form.getByRole('button', { name: texts[prefix === 'puk' ? 'puk.submit' : 'pinMgmt.change'] });
  const repeat = form.getByLabel(texts[fields[2]], { exact: true });
  await form.getByLabel(texts[fields[0]], { exact: true }).fill(current);
  await form.getByLabel(texts[fields[1]], { exact: true }).fill(next);
  expect(await form.getByRole('alert').count()).toBe(0);
  await repeat.fill(other);
  await waitFor(async () => (await form.getByRole('alert').count()) === 1, 'the mismatch to be told');
  expect(await text(form.getByRole('alert'))).toBe(texts[`${prefix}.mismatch`]);
  expect(await repeat.getAttribute('aria-invalid')).toBe('true');
  expect(await send.isDisabled()).toBe(true);
  await expectAccessible(form.page(), `${prefix}: the new PINs differ`);
  await repeat.fill(next);
  await waitFor(async () => (await form.getByRole('alert').count()) === 0, 'the mismatch notice to go');
  expect(await repeat.getAttribute('aria-invalid')).toBe('false');
  expect(await send.isDisabled()).toBe(false);
}

/** No PIN or PUK typed in this test is anywhere in the page's text. */
async function noCodesShown(page: Page): Promise<void> {
  const body = await page.locator('body').innerText();
  for (const code of ['12345678', '87654321', '7593', '3917']) expect(body).not.toContain(code);
}

describe('#15 §4: PIN and PUK in the page (virtual SIM, English and Japanese)', () => {
  let stack: BrowserStack;

  beforeAll(async () => {
    stack = await startChromiumStack();
  }, 300_000);

  afterAll(() => stack?.close());

  for (const [lang, texts, failures] of LANGS) {
    it(`[${lang}] demo-blocked: wrong PUKs count down, the last PUK try asks first, the right PUK unblocks and Authenticate works`, async () => {
      await onPage(stack.browser.context, async (page) => {
        await connect(page, stack.url, 'Virtual SIM (demo)', async () => {
          await page.getByLabel('Demo SIM').selectOption('demo-blocked');
        });
        await useLanguage(page, lang);
        await pinStateIs(page, texts['sim.pin.blocked']);
        await gated(page, texts, 'gate.pinBlocked');
        await pukTriesAre(page, texts, 10);

        // The new PIN typed differently twice: told at once, the second field marked, nothing to send.
        await mismatchIsTold(page.getByTestId('unblock-form'), texts, 'puk', ['87654321', '7593', '7594']);

        // A wrong PUK: the tries left go down and are told, the fields are emptied.
        const form = await sendUnblock(page, texts, '87654321', '7593');
        const wrong = await simFailure(page);
        expect(wrong).toEqual(says(lang, failures, 'PUK_WRONG', { triesLeft: 9 }, /^The PUK is wrong: 9 tries left\.$/));
        await pukTriesAre(page, texts, 9);
        for (const label of ['puk.label', 'puk.newPin', 'puk.repeat'] as const)
          expect(await form.getByLabel(texts[label], { exact: true }).inputValue()).toBe('');
        await screenshot(page, `15-4-wrong-puk-${lang}`);
        for (let left = 8; left >= 1; left--) {
          await sendUnblock(page, texts, '87654321', '7593');
          await pukTriesAre(page, texts, left);
        }

        // One PUK try left: the page asks before sending; cancelling sends nothing.
        await sendUnblock(page, texts, '12345678', '7593');
        const dialog = page.getByRole('dialog', { name: texts['puk.lastTry.title'] });
        await dialog.waitFor();
        expect(await text(dialog.locator('p'))).toBe(texts['puk.lastTry.text']);
        // Modal: the keyboard is in the dialog, and Escape closes it without sending.
        expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
        await expectAccessible(page, `${lang}: the last PUK try asked`);
        await screenshot(page, `15-4-last-puk-try-${lang}`);
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'hidden' });
        await pukTriesAre(page, texts, 1);
        await sendUnblock(page, texts, '12345678', '7593');
        await dialog.waitFor();
        await dialog.getByRole('button', { name: texts['pin.cancel'] }).click();
        await dialog.waitFor({ state: 'hidden' });
        await pukTriesAre(page, texts, 1);
        await pinStateIs(page, texts['sim.pin.blocked']);

        await sendUnblock(page, texts, '12345678', '7593');
        await dialog.getByRole('button', { name: texts['puk.lastTry.confirm'] }).click();
        await pinStateIs(page, texts['sim.pin.verified']);
        expect(await text(page.getByTestId('pin-done'))).toBe(texts['puk.done']);
        expect(await page.getByTestId('unblock-form').count()).toBe(0);
        await open(page, texts);
        await noCodesShown(page);
        await authenticates(page, texts);
        await screenshot(page, `15-4-unblocked-${lang}`);
      });
    }, 180_000);

    it(`[${lang}] demo-blocked: the last PUK try spent on a wrong PUK locks the SIM for good, and the page says what to do`, async () => {
      await onPage(stack.browser.context, async (page) => {
        await connect(page, stack.url, 'Virtual SIM (demo)', async () => {
          await page.getByLabel('Demo SIM').selectOption('demo-blocked');
        });
        await useLanguage(page, lang);
        for (let left = 9; left >= 1; left--) {
          await sendUnblock(page, texts, '87654321', '7593');
          await pukTriesAre(page, texts, left);
        }
        await sendUnblock(page, texts, '87654321', '7593');
        await page
          .getByRole('dialog', { name: texts['puk.lastTry.title'] })
          .getByRole('button', { name: texts['puk.lastTry.confirm'] })
          .click();
        await page.getByTestId('puk-locked').waitFor({ timeout: 15_000 });
        expect(await text(page.getByTestId('puk-locked'))).toBe(texts['puk.locked']);
        expect(await page.getByTestId('unblock-form').count()).toBe(0);
        await pinStateIs(page, texts['sim.pin.locked']);
        await gated(page, texts, 'gate.pukBlocked');
        await screenshot(page, `15-4-puk-blocked-${lang}`);
      });
    }, 180_000);

    it(`[${lang}] demo (PIN disabled): wrong PINs to enable it count down; the last try asks first even though the SIM does not say its count`, async () => {
      await onPage(stack.browser.context, async (page) => {
        await connect(page, stack.url, 'Virtual SIM (demo)');
        await useLanguage(page, lang);
        await pinStateIs(page, texts['sim.pin.disabled']);
        await open(page, texts);
        const form = page.getByTestId('manage-pin').locator('form[aria-labelledby="pin-toggle-heading"]');
        for (const left of [2, 1]) {
          await form.getByLabel(texts['pinMgmt.current'], { exact: true }).fill('3917');
          await form.getByRole('button', { name: texts['pinMgmt.enable'] }).click();
          // The notice of the try before says the same words but another count: wait for this one's.
          const message = page.locator('section[aria-labelledby="sim-heading"] .failure-message');
          await waitFor(
            async () => (await message.count()) === 1 && (await text(message)).includes(String(left)),
            `${left} tries left told`,
          );
          expect(await simFailure(page)).toEqual(
            says(lang, failures, 'PIN_WRONG', { triesLeft: left }, new RegExp(`^The PIN is wrong: ${left} tr(y|ies) left\\.$`)),
          );
          await pinStateIs(page, texts['sim.pin.disabled']);
        }
        await form.getByLabel(texts['pinMgmt.current'], { exact: true }).fill('0000');
        await form.getByRole('button', { name: texts['pinMgmt.enable'] }).click();
        const dialog = page.getByRole('dialog', { name: texts['pinMgmt.lastTry.title'] });
        await dialog.waitFor();
        expect(await text(dialog.locator('p'))).toBe(texts['pinMgmt.lastTry.text']);
        await screenshot(page, `15-4-manage-last-try-${lang}`);
        await dialog.getByRole('button', { name: texts['pinMgmt.lastTry.confirm'] }).click();
        await waitFor(async () => (await page.getByTestId('pin-done').count()) === 1, 'the PIN to be enabled');
        expect(await text(page.getByTestId('pin-done'))).toBe(texts['pinMgmt.done.enabled']);
        await pinStateIs(page, texts['sim.pin.verified']);
        await open(page, texts);
      });
    }, 180_000);

    it(`[${lang}] demo-pin: gated until the PIN is verified; change, disable, enable; the old PIN is refused, the new one verifies`, async () => {
      await onPage(stack.browser.context, async (page) => {
        await connect(page, stack.url, 'Virtual SIM (demo)', async () => {
          await page.getByLabel('Demo SIM').selectOption('demo-pin');
        });
        await useLanguage(page, lang);
        await pinStateIs(page, format(texts['sim.pin.required'], { tries: 3 }));
        await gated(page, texts, 'gate.pinNeeded');
        expect(await page.getByTestId('manage-pin').count()).toBe(0);
        await expectAccessible(page, `${lang}: the PIN needed`);
        await verifyPin(page, texts, '1234');
        await open(page, texts);

        const changeForm = page.getByTestId('manage-pin').locator('form[aria-labelledby="pin-change-heading"]');
        await mismatchIsTold(changeForm, texts, 'pinMgmt', ['1234', '7593', '7539']);
        await changePin(page, texts, '1234', '7593');
        await waitFor(async () => (await page.getByTestId('pin-done').count()) === 1, 'the change to be done');
        expect(await text(page.getByTestId('pin-done'))).toBe(texts['pinMgmt.done.changed']);
        await pinStateIs(page, texts['sim.pin.verified']);

        await togglePin(page, texts, '7593', 'disable');
        await pinStateIs(page, texts['sim.pin.disabled']);
        // A disabled PIN cannot be changed: the page offers only to enable it.
        expect(await page.getByTestId('manage-pin').locator('form[aria-labelledby="pin-change-heading"]').count()).toBe(0);
        await open(page, texts);
        await screenshot(page, `15-4-pin-disabled-${lang}`);

        await togglePin(page, texts, '7593', 'enable');
        await pinStateIs(page, texts['sim.pin.verified']);

        // The old PIN no longer works: a wrong try, told with the tries left, and the SIM wants its PIN again.
        await changePin(page, texts, '1234', '3917');
        expect(await simFailure(page)).toEqual(says(lang, failures, 'PIN_WRONG', { triesLeft: 2 }, /^The PIN is wrong: 2 tries left\.$/));
        await pinStateIs(page, format(texts['sim.pin.required'], { tries: 2 }));
        await gated(page, texts, 'gate.pinNeeded');
        await verifyPin(page, texts, '7593');
        await open(page, texts);
        await noCodesShown(page);
        await authenticates(page, texts);
        await screenshot(page, `15-4-new-pin-${lang}`);
      });
    }, 180_000);
  }

  it('Web Serial modem (lab Huawei emulator, demo-blocked): unblocked over AT+CSIM, then Authenticate works', async () => {
    const modemBrowser = await launchBrowser();
    try {
      await modemBrowser.context.addInitScript({ content: await fakeSerialScript({ sim: 'demo-blocked' }) });
      await onPage(modemBrowser.context, async (page) => {
        await connect(page, stack.url, 'USB modem (Web Serial)');
        await pinStateIs(page, en['sim.pin.blocked']);
        await gated(page, en, 'gate.pinBlocked');
        await sendUnblock(page, en, '87654321', '7593');
        expect(await simFailure(page)).toEqual(says('en', enFailures, 'PUK_WRONG', { triesLeft: 9 }, /^The PUK is wrong: 9 tries left\.$/));
        await pukTriesAre(page, en, 9);
        await sendUnblock(page, en, '12345678', '7593');
        await pinStateIs(page, en['sim.pin.verified']);
        await open(page, en);
        await authenticates(page, en);
        await screenshot(page, '15-4-modem-unblocked');
      });
    } finally {
      await modemBrowser.close();
    }
  }, 180_000);
});

// The bridge resets the card when a session that presented the PIN ends: the changed PIN must then be verified again.
describe('#15 §4 over the bridge card reader: pcscd, vpcd and the lab’s vcard with demo-pin', () => {
  let rig: CardReaderRig<Chromium>;

  beforeAll(async () => {
    rig = await startCardReaderRig({ sim: 'demo-pin', launch: () => launchBrowser() });
  }, CARD_READER_RIG_TIMEOUT_MS);

  afterAll(() => rig?.close());

  it('[ja] verify, change the PIN; after reconnecting the card wants the new PIN; disable it; Authenticate works', async () => {
    await onPage(rig.browser.context, async (page) => {
      await connectReader(page, rig);
      await useLanguage(page, 'ja');
      await pinStateIs(page, format(ja['sim.pin.required'], { tries: 3 }));
      await gated(page, ja, 'gate.pinNeeded');
      await verifyPin(page, ja, '1234');
      await changePin(page, ja, '1234', '7593');
      await waitFor(async () => (await page.getByTestId('pin-done').count()) === 1, 'the change to be done');
      expect(await text(page.getByTestId('pin-done'))).toBe(ja['pinMgmt.done.changed']);

      // Disconnect: the bridge resets the card, so the next session starts with the PIN needed, and it is the new one.
      await page.getByRole('button', { name: ja['link.disconnect'] }).click();
      await page.getByRole('button', { name: ja['link.connect'], exact: true }).click();
      await pinStateIs(page, format(ja['sim.pin.required'], { tries: 3 }));
      await page.getByLabel(ja['pin.label'], { exact: true }).fill('1234');
      await page.getByRole('button', { name: ja['pin.submit'] }).click();
      expect(await simFailure(page)).toEqual({ code: 'PIN_WRONG', message: format(jaFailures.PIN_WRONG.message, { triesLeft: 2 }) });
      await verifyPin(page, ja, '7593');
      await togglePin(page, ja, '7593', 'disable');
      await pinStateIs(page, ja['sim.pin.disabled']);
      await open(page, ja);
      await authenticates(page, ja);
      await noCodesShown(page);
      await screenshot(page, '15-4-reader-pin-changed-ja');
    });
  }, 240_000);
});
