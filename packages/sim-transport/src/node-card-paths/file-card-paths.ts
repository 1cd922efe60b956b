import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cardPathsFromRecord, cardPathsRecord, InMemoryCardPaths, type CardPath, type CardPathMemory } from '@krypton-web/krypton-core';

/**
 * Card paths (decision 0014) kept in a JSON file, so the next run of krypton-cli or the next life of
 * the bridge on a card that refused a shortcut goes straight. It holds no secret: how each card make
 * wants its USIM selected and its files read. A damaged or foreign file is taken as empty; a write
 * re-reads the file and adds this process's cards to what another process (the CLI beside a running
 * bridge) wrote meanwhile, then goes to a temporary file renamed over the old one.
 */
export class FileCardPaths implements CardPathMemory {
  private memory: Promise<InMemoryCardPaths> | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Cards this process learned, written over whatever the file says on the next save. */
  private readonly learned = new Map<string, CardPath>();

  constructor(readonly file: string) {}

  /** The path remembered for a card, if any. */
  async recall(cardKey: string): Promise<CardPath | undefined> {
    return (await this.load()).recall(cardKey);
  }

  /** Replaces the path remembered for a card, and writes the file (a failed write is ignored: it is a cache). */
  async remember(cardKey: string, path: CardPath): Promise<void> {
    (await this.load()).remember(cardKey, path);
    this.learned.set(cardKey, { ...path });
    this.writing = this.writing.then(() => this.save()).catch(() => undefined);
    await this.writing;
  }

  private load(): Promise<InMemoryCardPaths> {
    this.memory ??= readCardPathsFile(this.file);
    return this.memory;
  }

  private async save(): Promise<void> {
    const onDisk = await readCardPathsFile(this.file);
    for (const [key, path] of this.learned) onDisk.remember(key, path);
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(cardPathsRecord(onDisk))}\n`, { mode: 0o600 });
    await rename(temp, this.file);
  }
}

/** Card paths in a file, read defensively; a missing, unreadable or damaged file reads as none. */
export async function readCardPathsFile(file: string): Promise<InMemoryCardPaths> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return new InMemoryCardPaths();
  }
  return parseCardPaths(text);
}

/** Card paths from a file's text: every entry checked, anything else dropped. */
export function parseCardPaths(text: string): InMemoryCardPaths {
  try {
    return cardPathsFromRecord(JSON.parse(text));
  } catch {
    return new InMemoryCardPaths();
  }
}

/**
 * Where the bridge and krypton-cli keep card paths when told nothing else:
 * `$XDG_CACHE_HOME/krypton-web/card-paths.json` (default `~/.cache/...`), beside krypton-cli's key cache.
 */
export function defaultCardPathsFile(env: Readonly<Record<string, string | undefined>>, home: string): string {
  // XDG says a relative path in the variable is invalid and must be ignored.
  const cache = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(home, '.cache');
  return join(cache, 'krypton-web', 'card-paths.json');
}
