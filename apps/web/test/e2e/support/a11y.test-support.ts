import { createRequire } from 'node:module';
import type { Locator, Page } from 'playwright-core';

const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** One rule axe-core found broken, with the elements that break it. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** Runs axe-core (every rule it enables by default: WCAG 2.x A/AA and best practices) on the whole page; returns what it finds. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (window as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.addScriptTag({ path: AXE_SCRIPT });
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            context: Document,
            options: object,
          ): Promise<{
            violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
          }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.map(String).join(' ')),
    }));
  });
}

/** Fails, listing each violation and its elements, when axe-core finds any on the page in the state named. */
export async function expectAccessible(page: Page, stateName: string): Promise<void> {
  const violations = await axeViolations(page);
  if (violations.length === 0) return;
  const lines = violations.map((v) => `  ${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n    ${v.targets.slice(0, 8).join('\n    ')}`);
  throw new Error(`axe-core found ${violations.length} violation(s) in state "${stateName}":\n${lines.join('\n')}`);
}

/**
 * The real keyboard, counted: every `press` is one key press, and typing a value counts one press per
 * character (a prefilled field costs nothing). `tabTo` presses Tab until the element has focus.
 */
export class CountingKeyboard {
  presses = 0;
  readonly log: string[] = [];

  constructor(private readonly page: Page) {}

  /** Presses one key (Tab, Enter, Space, an arrow…). */
  async press(key: string, why = ''): Promise<void> {
    this.presses++;
    this.log.push(why ? `${key} (${why})` : key);
    await this.page.keyboard.press(key);
  }

  /** Types text into the focused field: one press per character. */
  async type(text: string): Promise<void> {
    this.presses += [...text].length;
    this.log.push(`type "${text}"`);
    await this.page.keyboard.type(text);
  }

  /** Presses Tab (Shift+Tab when `back`) until `target` has focus; fails after `max` presses. */
  async tabTo(target: Locator, what: string, max = 60, back = false): Promise<void> {
    for (let i = 0; i < max; i++) {
      if (await isFocused(target)) return;
      await this.press(back ? 'Shift+Tab' : 'Tab', `to ${what}`);
    }
    if (await isFocused(target)) return;
    throw new Error(`${max} Tab presses never reached ${what}; focus is on ${await describeFocus(this.page)}`);
  }
}

/** Whether the element has keyboard focus. */
export async function isFocused(target: Locator): Promise<boolean> {
  return target
    .first()
    .evaluate((el) => el === document.activeElement)
    .catch(() => false);
}

/** What has focus, for messages: tag, id and text. */
export async function describeFocus(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'the page itself';
    const text = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 60);
    return `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}> "${text}"`;
  });
}
