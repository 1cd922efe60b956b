import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkedCardPath, InMemoryCardPaths, isCardKey, type CardPath, type CardPathMemory } from '@krypton-web/krypton-core';

/** Version of the file's layout; another version is ignored (and replaced on the next write). */
const VERSION = 1;

/**
 * Card paths (decision 0014) kept in a JSON file beside the key cache, so the next run of krypton-cli
 * on a card that refused a shortcut goes straight, as a page or the bridge does within their life. It
 * holds no secret: how each card make wants its USIM selected and its files read. A damaged or foreign
 * file is taken as empty; a write goes to a temporary file renamed over the old one.
 */
export class FileCardPaths implements CardPathMemory {
  private memory: Promise<InMemoryCardPaths> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  /** The path remembered for a card, if any. */
  async recall(cardKey: string): Promise<CardPath | undefined> {
    return (await this.load()).recall(cardKey);
  }

  /** Replaces the path remembered for a card, and writes the file. */
  async remember(cardKey: string, path: CardPath): Promise<void> {
    const memory = await this.load();
    memory.remember(cardKey, path);
    this.writing = this.writing.then(() => this.save(memory)).catch(() => undefined);
    await this.writing;
  }

  private load(): Promise<InMemoryCardPaths> {
    this.memory ??= readFile(this.file, 'utf8').then(parseCardPaths, () => new InMemoryCardPaths());
    return this.memory;
  }

  private async save(memory: InMemoryCardPaths): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify({ version: VERSION, cards: memory.entries() })}\n`, { mode: 0o600 });
    await rename(temp, this.file);
  }
}

/** Reads the file's text defensively: every entry checked, anything else dropped. */
export function parseCardPaths(text: string): InMemoryCardPaths {
  const memory = new InMemoryCardPaths();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return memory;
  }
  if (typeof data !== 'object' || data === null || (data as { version?: unknown }).version !== VERSION) return memory;
  const cards = (data as { cards?: unknown }).cards;
  if (!Array.isArray(cards)) return memory;
  for (const entry of cards.slice(-1024)) {
    if (!Array.isArray(entry) || entry.length !== 2) continue;
    const [key, path] = entry as [unknown, unknown];
    if (!isCardKey(key)) continue;
    const checked = checkedCardPath(path);
    if (checked) memory.remember(key, checked);
  }
  return memory;
}
