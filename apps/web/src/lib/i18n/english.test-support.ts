import { en, type MessageKey } from './en.ts';
import { enSession } from './en-session.ts';

/**
 * Every English message, of both parts (en.ts and en-session.ts): what tests compare ja.ts with and
 * read texts from. The page never imports it: that would put every English text on the first screen.
 */
export const english: Readonly<Record<MessageKey, string>> = { ...en, ...enSession };
