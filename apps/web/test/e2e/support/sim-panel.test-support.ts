import type { Lab } from '@krypton-web/krypton-lab';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Checks what the page shows of the lab's demo SIM behind its Huawei modem emulator: the SIM, then the modem. */
export async function expectDemoSimInModem(page: Page): Promise<void> {
  await expect(page.getByTestId('imsi').innerText()).resolves.toBe('001010000000001');
  await expect(page.getByTestId('iccid').innerText()).resolves.toBe('8981100000000000016');
  await expect(page.getByTestId('modem-manufacturer').innerText()).resolves.toBe('huawei');
  await expect(page.getByTestId('modem-model').innerText()).resolves.toBe('MS2131');
  await expect(page.getByTestId('modem-imei').innerText()).resolves.toBe('866913021234569');
  await expect(page.getByTestId('modem-signal').innerText()).resolves.toMatch(/-?\d+ dBm/);
  await expect(page.getByTestId('modem-registration').innerText()).resolves.toMatch(/registered/);
}

/** The steps of an Authenticate run from key agreement to Cognito, each done, as timelineSteps reads them. */
export const RUN_STEPS_DONE: readonly string[] = ['key-agreement:ok', 'authenticate:ok', 'verify:ok', 'provisioning:ok', 'cognito:ok'];

/** The Authenticate timeline's steps, in order, each as "step:status". */
export function timelineSteps(page: Page): Promise<string[]> {
  return page
    .locator('.timeline li')
    .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-step')}:${e.getAttribute('data-status')}`));
}

/** After Authenticate: the access key id shown (`akid`) is one the lab vended, and the timeline has every step done. */
export async function expectCredentialsFromLab(page: Page, lab: Lab, akid: string): Promise<void> {
  expect(lab.credentials.lookup(akid)).toBeDefined();
  expect(await timelineSteps(page)).toEqual(expect.arrayContaining([...RUN_STEPS_DONE]));
}
