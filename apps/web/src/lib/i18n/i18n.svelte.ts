import type { Failure } from '../../worker/api.ts';
import { en, type FirstScreenKey, type MessageKey, type SessionKey } from './en.ts';
import type { FailureCode } from '../../worker/failure-codes.ts';
import type { FailureText } from './en-failures.ts';

export type Locale = 'en' | 'ja';
export const LOCALES: readonly Locale[] = ['en', 'ja'];
const STORAGE_KEY = 'krypton-web.locale';

/** The Japanese catalog is loaded when first needed: English readers never download it. */
type JaModule = typeof import('./ja.ts');
let jaLoading: Promise<JaModule> | undefined;
const loadJa = (): Promise<JaModule> => (jaLoading ??= import('./ja.ts'));

/** The English failure table is loaded when a failure first needs it: it stays off the first screen. */
type EnFailuresModule = typeof import('./en-failures.ts');
let enFailuresLoading: Promise<EnFailuresModule> | undefined;
const loadEnFailures = (): Promise<EnFailuresModule> => (enFailuresLoading ??= import('./en-failures.ts'));

/** The English texts of the views past the link choice are loaded with those views: they stay off the first screen. */
type EnSessionModule = typeof import('./en-session.ts');
let enSessionLoading: Promise<EnSessionModule> | undefined;
const loadEnSession = (): Promise<EnSessionModule> => (enSessionLoading ??= import('./en-session.ts'));

/** The browser's preferred language among ours: Japanese when it comes first, else English. */
export function preferredLocale(languages: readonly string[]): Locale {
  for (const l of languages) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'ja') return 'ja';
    if (base === 'en') return 'en';
  }
  return 'en';
}

/** `{name, plural, one {# try left} other {# tries left}}`: a branch holds text and `{param}`s. */
const PLURAL = /\{(\w+), plural,((?:\s*=?\w+\s*\{(?:[^{}]|\{\w+\})*\})+)\s*\}/g;
const BRANCH = /(=?\w+)\s*\{((?:[^{}]|\{\w+\})*)\}/g;
const pluralRules: Record<string, Intl.PluralRules> = {};

/**
 * Replaces `{name}` with params.name (left as is when absent), and chooses the branch of
 * `{name, plural, =0 {…} one {…} other {…}}` that Intl.PluralRules picks for params.name in the
 * locale (`#` in the branch is the number, written in the locale's digits and grouping).
 */
export function interpolate(text: string, params: Record<string, string | number | undefined> = {}, locale = 'en'): string {
  const withPlurals = text.replace(PLURAL, (whole, name: string, body: string) => {
    const v = params[name];
    if (typeof v !== 'number') return whole;
    const branches: Record<string, string> = {};
    for (const [, key = '', branch = ''] of body.matchAll(BRANCH)) branches[key] = branch;
    const rules = (pluralRules[locale] ??= new Intl.PluralRules(locale));
    const chosen = branches[`=${v}`] ?? branches[rules.select(v)] ?? branches.other ?? whole;
    return chosen.replace(/#/g, new Intl.NumberFormat(locale).format(v));
  });
  return withPlurals.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return v === undefined ? whole : String(v);
  });
}

interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * The language of the page: the person's choice when they made one (kept in localStorage, which
 * holds nothing else and nothing secret), otherwise the browser's.
 */
export class I18n {
  locale = $state<Locale>('en');
  /** Whether the person chose, rather than the browser. */
  chosen = $state(false);
  /** The Japanese catalog once loaded (English is always there). */
  private ja = $state.raw<JaModule | undefined>(undefined);
  /** The English failure table once loaded. */
  private enFailures = $state.raw<EnFailuresModule | undefined>(undefined);
  /** The English texts of the views past the link choice once loaded. */
  private enSession = $state.raw<EnSessionModule | undefined>(undefined);
  /** Settles once the catalog of the current language is loaded. */
  ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: Storage | undefined = safeStorage(),
    languages: readonly string[] = typeof navigator !== 'undefined' ? (navigator.languages ?? [navigator.language]) : [],
  ) {
    const saved = this.storage?.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'ja') {
      this.locale = saved;
      this.chosen = true;
    } else {
      this.locale = preferredLocale(languages);
    }
    this.ready = this.load(this.locale);
  }

  /** Switches language (loading its catalog first) and remembers the choice. */
  async set(locale: Locale): Promise<void> {
    this.chosen = true;
    try {
      this.storage?.setItem(STORAGE_KEY, locale);
    } catch {
      // Storage refused (private mode): the choice lasts for this page.
    }
    this.ready = this.load(locale);
    await this.ready;
    this.locale = locale;
  }

  private async load(locale: Locale): Promise<void> {
    if (locale === 'ja' && !this.ja) this.ja = await loadJa();
  }

  /**
   * A message in the current language (English until the Japanese catalog has arrived). A key of
   * en-session.ts asked for before that table has arrived gives '' and starts loading it: an empty
   * text, filled in when it arrives, rather than the raw key. Views load it first (withSessionTexts),
   * so a person never sees that.
   */
  t(key: MessageKey, params?: Record<string, string | number | undefined>): string {
    const text = this.locale === 'ja' ? this.ja?.ja[key] : undefined;
    if (text !== undefined) return interpolate(text, params, 'ja');
    const english = this.english(key);
    return english === undefined ? '' : interpolate(english, params, 'en');
  }

  /** Whether a message exists for a key built from data (an operation's name); en-session.ts's keys count once loaded. */
  has(key: string): key is MessageKey {
    return Object.hasOwn(en, key) || (this.enSession !== undefined && Object.hasOwn(this.enSession.enSession, key));
  }

  /** Loads the English texts of the views past the link choice (withSessionTexts does it with the view). */
  async loadSessionTexts(): Promise<void> {
    this.enSession ??= await loadEnSession();
  }

  /**
   * A view past the link choice, settled only once en-session.ts has arrived too: the view never
   * renders before its English texts, and both load at once.
   */
  async withSessionTexts<T>(view: Promise<T>): Promise<T> {
    const [loaded] = await Promise.all([view, this.loadSessionTexts()]);
    return loaded;
  }

  /** A key's English text; undefined for a key of en-session.ts until that has arrived (asking starts loading it). */
  private english(key: MessageKey): string | undefined {
    if (Object.hasOwn(en, key)) return en[key as FirstScreenKey];
    if (!this.enSession) {
      void this.loadSessionTexts();
      return undefined;
    }
    return this.enSession.enSession[key as SessionKey];
  }

  /**
   * A failure's text in the current language. Japanese: ours by code. English: the worker's own text
   * (written at the source, with the facts it knows), else ours by code. A code from a newer bridge
   * that no table knows shows the worker's English in both languages.
   */
  failure(f: Failure): FailureText {
    const params = {
      ...f.details,
      message: f.message,
      sw: f.details.sw !== undefined ? f.details.sw.toString(16).toUpperCase().padStart(4, '0') : undefined,
      // Texts that name the host name something even when the failure did not say which (S3's, by its bucket).
      host: f.details.host ?? (f.details.bucket ? this.t('failure.host.s3', { bucket: f.details.bucket }) : this.t('failure.host.unknown')),
    } as Record<string, string | number | undefined>;
    const fill = (entry: FailureText, locale: Locale): FailureText => ({
      message: interpolate(entry.message, params, locale),
      action: interpolate(entry.action, params, locale),
    });
    const tables = this.enFailures;
    if (!tables) void this.loadFailureTexts();
    if (this.locale === 'ja' && this.ja && Object.hasOwn(this.ja.jaFailures, f.code)) {
      const ja = fill(this.ja.jaFailures[f.code as FailureCode], 'ja');
      // A text whose {param} this failure does not supply would show the braces, and say less than
      // the failure does: the call site's own English is then the true text.
      if (!UNFILLED.test(ja.message) && !UNFILLED.test(ja.action)) return ja;
    }
    const known = tables?.isFailureCode(f.code) ? f.code : undefined;
    const ours = known !== undefined && tables ? fill(tables.enFailures[known], 'en') : undefined;
    return {
      message: sentence(f.message.trim() || ours?.message || f.code),
      action: sentence(f.action.trim() || ours?.action || ''),
    };
  }

  /** Loads the English failure table (failure() starts it on first use; tests await it). */
  async loadFailureTexts(): Promise<void> {
    this.enFailures ??= await loadEnFailures();
  }
}

/** A `{param}` left in a text after interpolation. */
const UNFILLED = /\{\w+\}/;

/** English text as a sentence: ends with a full stop unless it already ends a sentence. */
export function sentence(text: string): string {
  return text === '' || /[.!?…:]$/.test(text) ? text : `${text}.`;
}

function safeStorage(): Storage | undefined {
  try {
    return typeof localStorage !== 'undefined' ? localStorage : undefined;
  } catch {
    return undefined;
  }
}

export const i18n = new I18n();
/** Shorthand for components. */
export const t = (key: MessageKey, params?: Record<string, string | number | undefined>): string => i18n.t(key, params);
