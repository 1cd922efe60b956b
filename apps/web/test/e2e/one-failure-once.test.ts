import { DEMO_STACK_READER_NAME } from '@krypton-web/bridge-server';
import { VirtualReaderBackend } from '@krypton-web/bridge-server/virtual-reader';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, connect, waitFor } from '@krypton-web/web-driver';
import { screenshot } from './support/artifacts.test-support.ts';
import { startChromiumStack, type BrowserStack } from './support/browser-stack.test-support.ts';
import { LANGS, onPage, useLanguage, type Texts } from './support/language.test-support.ts';

// Issue #15 §1: one failure, one true message, in the right place, in English and in Japanese.

/** The failure boxes on the page: each with its heading (the step) and code. */
async function failureBoxes(page: Page): Promise<{ title: string; code: string; region: string }[]> {
  return page.locator('.failure').evaluateAll((boxes) =>
    boxes.map((b) => ({
      title: b.querySelector('.failure-title')?.textContent?.trim() ?? '',
      code: b.getAttribute('data-code') ?? '',
      region: b.closest('section')?.getAttribute('aria-labelledby') ?? '',
    })),
  );
}

/** The heading the Authenticate panel gives the failure of the innermost failed step of the timeline. */
async function failedStepTitle(page: Page, texts: Texts): Promise<{ step: string; title: string }> {
  const step = (await page.locator('.timeline li[data-status="failed"]').last().getAttribute('data-step'))!;
  const name = texts[`auth.step.${step}` as keyof Texts];
  return { step, title: texts['auth.failedAt'].replace('{step}', name) };
}

/** Nothing speaks of a trace the page does not offer: each visible mention names "Download trace", and that button is there. */
async function expectTraceMentionsOffered(page: Page, texts: Texts): Promise<void> {
  const mentions = (await page.locator('p:visible, li:visible').allInnerTexts()).filter((p) => /trace|トレース/i.test(p));
  expect(mentions.length, 'the failure says how to report it with the trace').toBeGreaterThan(0);
  for (const text of mentions) expect(text).toContain(texts['trace.download']);
  expect(await page.getByRole('button', { name: texts['trace.download'] }).isVisible()).toBe(true);
}

describe('#15 §1: each failure once, on the step that failed; nothing claims what is not so', () => {
  let stack: BrowserStack;
  // The demo stack deals one "demo" card at a time: in for a while, then out (a card pulled from the reader).
  const readers = new VirtualReaderBackend({ stack: { sims: ['demo'], insertedMs: 10_000, removedMs: 1500 } });

  beforeAll(async () => {
    stack = await startChromiumStack({ stack: { readers: [readers] } });
  }, 300_000);

  afterAll(() => stack?.close());

  for (const [lang, texts] of LANGS) {
    it(`[${lang}] the foreign SIM's MAC failure: one box, on AUTHENTICATE; the Credentials panel speaks of no renewal`, async () => {
      await onPage(stack.browser.context, async (page) => {
        await connect(page, stack.url, 'Virtual SIM (demo)', async () => {
          await page.getByLabel('Demo SIM').selectOption('demo-foreign');
        });
        await useLanguage(page, lang);
        await page.getByRole('button', { name: texts['auth.forget'] }).click();
        await page.getByText(texts['auth.forgotten']).waitFor();
        await page.getByRole('button', { name: texts['auth.button'], exact: true }).click();
        await page.locator('.failure').first().waitFor({ timeout: 30_000 });
        await waitFor(
          async () => !(await page.getByRole('button', { name: texts['auth.button'], exact: true }).isDisabled()),
          'the run to end',
        );
        const { step, title } = await failedStepTitle(page, texts);
        expect(step).toBe('authenticate');
        expect(await failureBoxes(page)).toEqual([{ title, code: 'MAC_FAILURE', region: 'auth-heading' }]);
        const credentials = await page.getByRole('region', { name: texts['cred.heading'] }).innerText();
        expect(credentials).not.toContain(texts['cred.renewFailed']);
        expect(credentials).toContain(texts['cred.none']);
        await expectTraceMentionsOffered(page, texts);
        await screenshot(page, `15-1-foreign-sim-mac-failure-${lang}-after`);
      });
    }, 120_000);

    it(`[${lang}] a card pulled mid-authentication: one box, on the step that met it, saying the card went`, async () => {
      await onPage(stack.browser.context, async (page) => {
        // A fresh card: wait for the stack to take the last one out and put the next in, so the whole stay is ours.
        const inReader = async () => (await readers.readers()).find((r) => r.name === DEMO_STACK_READER_NAME)?.card === true;
        await waitFor(async () => !(await inReader()), 'the demo stack to be between cards', 15_000);
        await waitFor(inReader, 'the demo stack to deal a card', 15_000);
        await connect(page, stack.url, 'Card reader (bridge)', async () => {
          const reader = page.getByLabel('Card reader', { exact: true });
          await waitFor(
            async () => {
              const names = await reader.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
              if (names.includes(DEMO_STACK_READER_NAME)) return true;
              await page.getByRole('button', { name: 'Look for readers' }).click();
              return false;
            },
            'the bridge to list the demo stack',
            5000,
          );
          await reader.selectOption(DEMO_STACK_READER_NAME);
        });
        await useLanguage(page, lang);
        // No cached key, so the run goes to the SIM's AUTHENTICATE; Krypton slowed down so the card leaves meanwhile.
        await page.getByRole('button', { name: texts['auth.forget'] }).click();
        await page.getByText(texts['auth.forgotten']).waitFor();
        // Krypton answers after 12 s (under the client's 15 s timeout): the card leaves (10 s after it went in)
        // while the Keys API call is out, so the SIM's AUTHENTICATE that follows meets the empty reader.
        stack.lab.faults.update({ latencyMs: 12_000 });
        try {
          await page.getByRole('button', { name: texts['auth.button'], exact: true }).click();
          await page.getByRole('status').filter({ hasText: texts['link.state.lost'] }).waitFor({ timeout: 30_000 });
          await page.locator('.failure').first().waitFor({ timeout: 60_000 });
          await page.locator('.timeline li[data-status="failed"]').first().waitFor({ timeout: 60_000 });
        } finally {
          stack.lab.faults.update({ latencyMs: 0 });
        }
        const { step, title } = await failedStepTitle(page, texts);
        const boxes = await failureBoxes(page);
        expect(boxes).toHaveLength(1);
        expect(boxes[0]).toMatchObject({ title, region: 'auth-heading' });
        // The step's notice gives the link's own account: the card was removed (not a closed session, not a server error).
        expect(boxes[0]!.code).toBe('NO_CARD');
        expect(step).toBe('authenticate');
        const credentials = await page.getByRole('region', { name: texts['cred.heading'] }).innerText();
        expect(credentials).not.toContain(texts['cred.renewFailed']);
        expect(await page.locator('body').innerText()).not.toMatch(/open_id_tokens/i);
        await expectTraceMentionsOffered(page, texts);
        await screenshot(page, `15-1-card-pulled-mid-auth-${lang}-after`);
      });
    }, 180_000);

    it(`[${lang}] after Disconnect nothing claims to renew; another operation clears the last answer; Forget cached key confirms`, async () => {
      await onPage(stack.browser.context, async (page) => {
        await connect(page, stack.url, 'Virtual SIM (demo)');
        await authenticate(page);
        await useLanguage(page, lang);
        const auth = page.getByRole('region', { name: texts['auth.heading'] });
        // Forget cached key: the status line says what it did, in place of the last run's answer.
        await auth.getByRole('button', { name: texts['auth.forget'] }).click();
        await auth.getByRole('status').filter({ hasText: texts['auth.forgotten'] }).waitFor();
        expect(await auth.getByRole('status').innerText()).toBe(texts['auth.forgotten']);
        await expect(auth.getByTestId('key-cache').count()).resolves.toBe(0);
        await screenshot(page, `15-1-forget-key-${lang}-after`);

        // Another operation: the previous answer goes.
        await page.getByRole('button', { name: texts['ops.heading'] }).click();
        await page.getByLabel(texts['ops.operation'], { exact: true }).selectOption('getSubscriberMetadata');
        await page.getByRole('button', { name: texts['ops.run'], exact: true }).click();
        const result = page.getByRole('heading', { name: texts['ops.result'].replace('{operation}', 'getSubscriberMetadata') });
        await result.waitFor({ timeout: 30_000 });
        await page.getByLabel(texts['ops.operation'], { exact: true }).selectOption('getUserData');
        await waitFor(async () => (await result.count()) === 0, 'the previous answer to go');
        await expect(page.locator('pre.result').count()).resolves.toBe(0);
        await screenshot(page, `15-1-operation-switched-${lang}-after`);

        // Disconnect: the credentials stay on view, but nothing says they renew by themselves.
        await page.getByRole('button', { name: texts['link.disconnect'], exact: true }).click();
        const renewal = page.getByRole('region', { name: texts['cred.heading'] }).getByTestId('renewal');
        await waitFor(
          async () => (await renewal.innerText()).trim() === texts['cred.notRenewed'],
          'the credentials to say they are not renewed',
        );
        const prefix = texts['cred.autoRefresh'].split('{time}');
        const body = await page.locator('body').innerText();
        for (const part of prefix.filter((p) => p.trim().length > 2)) expect(body).not.toContain(part.trim());
        await screenshot(page, `15-1-after-disconnect-${lang}-after`);
      });
    }, 120_000);
  }
});
