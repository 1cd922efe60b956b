/**
 * An engine-neutral way to drive the page, for the engines playwright-core does not drive here
 * (Firefox over WebDriver BiDi, WebKitGTK over classic WebDriver). Elements are found inside the page
 * by role and accessible name, label, text or test id, with one finder script that every engine runs,
 * so a flow reads the same whichever engine runs it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** A browser engine that did not start or gave no session: which step failed, and what to do. */
export class EngineLaunchError extends Error {
  constructor(
    readonly code: 'ENGINE_NOT_STARTED' | 'SESSION_NOT_CREATED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineLaunchError';
  }
}

/** An accessible name or text to match: a substring (case-insensitive) unless `exact`, or a pattern. */
export type TextMatch = string | RegExp;

/** What to act on, found as assistive technology finds it. `within` narrows the search to another target's first match. */
export type Target = (
  | { role: string; name?: TextMatch; exact?: boolean; hasText?: TextMatch }
  | { label: string; exact?: boolean }
  | { text: TextMatch; exact?: boolean }
  | { testId: string }
  | { css: string }
) & { within?: Target };

/** The engine this page runs in. */
export type EngineName = 'chromium' | 'firefox' | 'webkit';

/** One page of a browser, driven through whatever protocol its engine speaks. */
export interface EnginePage {
  readonly engine: EngineName;
  goto(url: string): Promise<void>;
  /** A real click (the engine's input events), on the first match. */
  click(target: Target): Promise<void>;
  /** Ticks a radio button or checkbox (clicks it unless it is checked already). */
  check(target: Target): Promise<void>;
  /** Replaces the value of a text field, as typing would (input and change events). */
  fill(target: Target, value: string): Promise<void>;
  /** Chooses the option with this text (or value) in a select. */
  select(target: Target, option: string): Promise<void>;
  /** The first match's rendered text. */
  text(target: Target): Promise<string>;
  /** A form field's current value. */
  value(target: Target): Promise<string>;
  attribute(target: Target, name: string): Promise<string | null>;
  count(target: Target): Promise<number>;
  /** Waits until the target is on the page and visible (default 30 s). */
  waitFor(target: Target, timeoutMs?: number): Promise<void>;
  /** Runs an async function's source in the page with JSON arguments; returns its JSON result. */
  evaluate<T>(fn: string, ...args: unknown[]): Promise<T>;
  /** The page's HTML (for checks that no secret reached it). */
  content(): Promise<string>;
  screenshot(path: string): Promise<void>;
}

/** A launched browser: one page, a folder its downloads land in, and a close that removes everything it made. */
export interface EngineBrowser {
  readonly engine: EngineName;
  readonly page: EnginePage;
  readonly downloadDir: string;
  /** How long the launch took (process start to a page ready to navigate), in ms. */
  readonly launchMs: number;
  close(): Promise<void>;
}

/** A target, as JSON the finder script reads (patterns as source and flags). */
export function encodeTarget(t: Target): unknown {
  const enc = (m: TextMatch | undefined) => (m instanceof RegExp ? { re: m.source, flags: m.flags } : m);
  const out: Record<string, unknown> = { ...t };
  for (const k of ['name', 'hasText', 'text'] as const)
    if (k in t) out[k] = enc((t as unknown as Record<string, TextMatch | undefined>)[k]);
  if (t.within) out.within = encodeTarget(t.within);
  return out;
}

/** How a target reads in an error message. */
export function describeTarget(t: Target): string {
  const s = (m: TextMatch | undefined) => (m instanceof RegExp ? String(m) : JSON.stringify(m));
  const self =
    'role' in t
      ? `${t.role}${t.name !== undefined ? ` named ${s(t.name)}` : ''}${t.hasText !== undefined ? ` with text ${s(t.hasText)}` : ''}`
      : 'label' in t
        ? `field labelled ${JSON.stringify(t.label)}`
        : 'text' in t
          ? `text ${s(t.text)}`
          : 'testId' in t
            ? `test id ${JSON.stringify(t.testId)}`
            : `css ${JSON.stringify(t.css)}`;
  return t.within ? `${self} in ${describeTarget(t.within)}` : self;
}

/**
 * The in-page finder: `(target) => Element[]`, visible elements matching the target, in document
 * order. Plain JavaScript in a string: it runs unchanged in every engine.
 */
export const FINDER = String.raw`(function finder(t) {
  const norm = (s) => String(s == null ? '' : s).replace(/\s+/g, ' ').trim();
  const textOf = (el) => norm(el.innerText !== undefined ? el.innerText : el.textContent);
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const matches = (value, want, exact) => {
    if (want && typeof want === 'object') return new RegExp(want.re, want.flags).test(value);
    return exact ? value === norm(want) : value.toLowerCase().includes(norm(want).toLowerCase());
  };
  const ROLES = {
    button: 'button,[role=button],input[type=button],input[type=submit],summary',
    radio: 'input[type=radio],[role=radio]',
    checkbox: 'input[type=checkbox],[role=checkbox]',
    link: 'a[href],[role=link]',
    region: 'section[aria-label],section[aria-labelledby],[role=region]',
    table: 'table,[role=table]',
    row: 'tr,[role=row]',
    cell: 'td,[role=cell]',
    status: '[role=status],output',
    alert: '[role=alert]',
    textbox: 'input:not([type]),input[type=text],input[type=password],input[type=search],input[type=email],input[type=url],textarea,[role=textbox]',
    combobox: 'select,[role=combobox]',
    navigation: 'nav,[role=navigation]',
    group: 'fieldset,[role=group]',
    heading: 'h1,h2,h3,h4,h5,h6,[role=heading]',
    dialog: 'dialog,[role=dialog]',
    tab: '[role=tab]',
    option: 'option,[role=option]',
    list: 'ul,ol,[role=list]',
    listitem: 'li,[role=listitem]',
  };
  const FROM_CONTENT = ['button', 'link', 'row', 'cell', 'heading', 'tab', 'option', 'listitem', 'radio', 'checkbox'];
  const labelText = (el) => {
    const by = el.getAttribute('aria-labelledby');
    if (by) return norm(by.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean).map(textOf).join(' '));
    const aria = el.getAttribute('aria-label');
    if (aria) return norm(aria);
    if (el.labels && el.labels.length) return norm(Array.from(el.labels).map(textOf).join(' '));
    return '';
  };
  const accName = (el, role) => {
    const l = labelText(el);
    if (l) return l;
    if (el.tagName === 'FIELDSET') {
      const lg = el.querySelector(':scope > legend');
      if (lg) return textOf(lg);
    }
    if (el.tagName === 'TABLE') {
      const c = el.querySelector('caption');
      if (c) return textOf(c);
    }
    if (el.tagName === 'INPUT' && (el.type === 'button' || el.type === 'submit')) return norm(el.value);
    if (FROM_CONTENT.includes(role)) return textOf(el) || norm(el.getAttribute('title'));
    return norm(el.getAttribute('title'));
  };
  const all = (root, sel) => Array.from(root.querySelectorAll(sel));
  const find = (t) => {
    let root = document;
    if (t.within) {
      const r = find(t.within)[0];
      if (!r) return [];
      root = r;
    }
    let found;
    if (t.role !== undefined) {
      const sel = ROLES[t.role] || '[role=' + t.role + ']';
      found = all(root, sel).filter((el) => {
        if (t.name !== undefined && !matches(accName(el, t.role), t.name, t.exact)) return false;
        if (t.hasText !== undefined && !matches(textOf(el), t.hasText, false)) return false;
        return true;
      });
    } else if (t.label !== undefined) {
      found = all(root, 'input,select,textarea,[aria-label],[aria-labelledby]').filter((el) => matches(labelText(el), t.label, t.exact));
    } else if (t.text !== undefined) {
      const hits = all(root, 'body *').filter((el) => !['SCRIPT', 'STYLE'].includes(el.tagName) && matches(textOf(el), t.text, t.exact));
      found = hits.filter((el) => !hits.some((o) => o !== el && el.contains(o)));
    } else if (t.testId !== undefined) {
      found = all(root, '[data-testid="' + String(t.testId).replace(/["\\]/g, '\\$&') + '"]');
    } else {
      found = all(root, t.css);
    }
    return found.filter(visible);
  };
  return find(t);
})`;

/**
 * The page operations, built on two primitives each engine supplies: running a script in the page,
 * and a real click on an element the finder returns.
 */
export abstract class ScriptedPage implements EnginePage {
  abstract readonly engine: EngineName;
  abstract goto(url: string): Promise<void>;
  abstract screenshot(path: string): Promise<void>;
  /** Runs `body` (an expression over `__find` and `__args`) in the page; may return a promise. */
  protected abstract run<T>(body: string, args: unknown[]): Promise<T>;
  /** A real click on the first element `target` finds; false when there is none. */
  protected abstract clickFirst(target: Target): Promise<boolean>;

  async evaluate<T>(fn: string, ...args: unknown[]): Promise<T> {
    return this.run<T>(`(${fn})(...__args)`, args);
  }

  async content(): Promise<string> {
    return this.run<string>('document.documentElement.outerHTML', []);
  }

  private async one<T>(target: Target, body: string, extra: unknown[] = []): Promise<T> {
    const got = await this.run<{ ok: boolean; value: T }>(
      `(() => { const el = __find(__args[0])[0]; if (!el) return { ok: false, value: null }; return Promise.resolve((${body})(el, ...__args.slice(1))).then((value) => ({ ok: true, value })); })()`,
      [encodeTarget(target), ...extra],
    );
    if (!got.ok) throw new Error(`no ${describeTarget(target)} on the page`);
    return got.value;
  }

  /** Retries `op` until the target is there (an element found later, as the page renders). */
  private async eventually<T>(target: Target, op: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await op();
      } catch (e) {
        if (Date.now() > deadline) throw e instanceof Error ? e : new Error(`${describeTarget(target)}: ${String(e)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async click(target: Target): Promise<void> {
    await this.eventually(target, async () => {
      if (!(await this.clickFirst(target))) throw new Error(`no ${describeTarget(target)} to click`);
    });
  }

  async check(target: Target): Promise<void> {
    await this.eventually(target, async () => {
      if (await this.one<boolean>(target, '(el) => el.checked === true || el.getAttribute("aria-checked") === "true"')) return;
      if (!(await this.clickFirst(target))) throw new Error(`no ${describeTarget(target)} to check`);
      if (!(await this.one<boolean>(target, '(el) => el.checked === true || el.getAttribute("aria-checked") === "true"')))
        throw new Error(`${describeTarget(target)} did not become checked`);
    });
  }

  async fill(target: Target, value: string): Promise<void> {
    await this.eventually(target, () =>
      this.one<void>(
        target,
        `(el, v) => { el.focus(); el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); }`,
        [value],
      ),
    );
  }

  async select(target: Target, option: string): Promise<void> {
    await this.eventually(target, () =>
      this.one<void>(
        target,
        `(el, o) => { const opt = Array.from(el.options).find((x) => x.value === o || x.text.trim() === o); if (!opt) throw new Error('no option ' + o); el.value = opt.value; el.dispatchEvent(new Event('input', { bubbles: true })); el.dispatchEvent(new Event('change', { bubbles: true })); }`,
        [option],
      ),
    );
  }

  async text(target: Target): Promise<string> {
    return this.eventually(target, () => this.one<string>(target, '(el) => el.innerText'));
  }

  async value(target: Target): Promise<string> {
    return this.eventually(target, () => this.one<string>(target, '(el) => el.value'));
  }

  async attribute(target: Target, name: string): Promise<string | null> {
    return this.eventually(target, () => this.one<string | null>(target, '(el, n) => el.getAttribute(n)', [name]));
  }

  async count(target: Target): Promise<number> {
    return this.run<number>('__find(__args[0]).length', [encodeTarget(target)]);
  }

  async waitFor(target: Target, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.count(target).catch(() => 0)) === 0) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${describeTarget(target)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The script a `run` sends: the finder bound as `__find`, the arguments as `__args`, then `body`. */
export function pageScript(body: string, args: unknown[]): string {
  return `(() => { const __find = ${FINDER}; const __args = ${JSON.stringify(args)}; return (${body}); })()`;
}

/**
 * Waits for a finished download named `name` in `dir`: the file is there, no partial file of the
 * engine (`.part`, `.crdownload`, `.download`) is, and its size has stopped changing. Returns its path.
 */
export async function waitForDownloadFile(dir: string, name: string, timeoutMs = 60_000): Promise<string> {
  const path = join(dir, name);
  const deadline = Date.now() + timeoutMs;
  let lastSize = -1;
  let stableSince = 0;
  for (;;) {
    const partial = existsSync(dir) && readdirSync(dir).some((f) => f.startsWith(name) && /\.(part|crdownload|download)$/.test(f));
    if (existsSync(path) && !partial) {
      const size = statSync(path).size;
      if (size === lastSize) {
        if (Date.now() - stableSince >= 300) return path;
      } else {
        lastSize = size;
        stableSince = Date.now();
      }
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for the download ${name} in ${dir} (there: ${existsSync(dir) ? readdirSync(dir).join(', ') || 'nothing' : 'no folder'})`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
