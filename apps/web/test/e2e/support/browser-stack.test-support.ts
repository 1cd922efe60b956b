import { startLab, type LabOptions } from '@krypton-web/krypton-lab';
import { launchBrowser } from '@krypton-web/web-driver';
import { buildRig } from './rig.test-support.ts';
import { startStack, type Stack, type StackOptions } from './stack.test-support.ts';

/** Debian's Chromium as playwright-core drives it here: a context on a fresh profile, and its first page. */
export type Chromium = Awaited<ReturnType<typeof launchBrowser>>;

/** What a rig starts and closes again: a browser, a stack. */
export interface Closable {
  close(): Promise<void>;
}

/** The stack (the bridge serving the app, with the lab) and a browser to drive it; close() closes the browser, then the stack. */
export interface BrowserStack<B extends Closable = Chromium> extends Stack {
  readonly browser: B;
}

/** How a suite's stack and browser start. */
export interface BrowserStackOptions<B extends Closable> {
  /** startStack's options (a lab of the suite's own: `lab`). */
  stack?: Omit<StackOptions, 'lab'>;
  /** Starts a lab of the suite's own with these options (its seeded objects, say) in place of the bridge's default one. */
  lab?: LabOptions;
  launch: () => Promise<B>;
  /** Readies the launched browser (init scripts); the browser is closed with the rest when this fails. */
  prepare?: (browser: B) => Promise<unknown>;
}

/** Starts the stack, then the browser; whatever started is closed again when a later step fails. */
export async function startBrowserStack<B extends Closable>(options: BrowserStackOptions<B>): Promise<BrowserStack<B>> {
  return buildRig(async (parts) => {
    const lab = options.lab ? await startLab(options.lab) : undefined;
    // The stack owns the lab from here on, also when its start fails.
    const stack = parts.add(await startStack({ ...options.stack, ...(lab ? { lab } : {}) }), (s) => s.close());
    const browser = parts.add(await options.launch(), (b) => b.close());
    await options.prepare?.(browser);
    return { ...stack, browser, close: () => parts.stopAll() };
  });
}

/** startBrowserStack with Chromium, every page of which runs `initScript` (a stand-in picker or device) before the app's scripts. */
export function startChromiumStack(
  options: Omit<BrowserStackOptions<Chromium>, 'launch' | 'prepare'> & { initScript?: string } = {},
): Promise<BrowserStack<Chromium>> {
  const { initScript, ...rest } = options;
  return startBrowserStack({
    ...rest,
    launch: () => launchBrowser(),
    ...(initScript === undefined ? {} : { prepare: (browser: Chromium) => browser.context.addInitScript({ content: initScript }) }),
  });
}
