import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { WEB_ROOT } from './build.test-support.ts';

/** Where the browser tests leave screenshots for a person to look at. */
export const ARTIFACTS = join(WEB_ROOT, 'test-results');

/** Saves a screenshot under apps/web/test-results/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
