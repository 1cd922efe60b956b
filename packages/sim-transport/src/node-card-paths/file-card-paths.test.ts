import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultCardPathsFile, FileCardPaths, parseCardPaths, readCardPathsFile } from './file-card-paths.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function file(): string {
  const dir = mkdtempSync(join(tmpdir(), 'card-paths-'));
  dirs.push(dir);
  return join(dir, 'sub', 'card-paths.json');
}

describe('card paths on disk', () => {
  it('remembers a path across instances (a new process), in a file of its own folder, owner-only', async () => {
    const f = file();
    await new FileCardPaths(f).remember('atr:3B9F', { usimAid: 'A0000000871002FF44FF1289000000FF', selectWithoutData: false });
    expect(await new FileCardPaths(f).recall('atr:3B9F')).toEqual({
      usimAid: 'A0000000871002FF44FF1289000000FF',
      selectWithoutData: false,
    });
    expect(await new FileCardPaths(f).recall('atr:00')).toBeUndefined();
    expect(JSON.parse(readFileSync(f, 'utf8'))).toMatchObject({ version: 1, cards: [['atr:3B9F', expect.any(Object)]] });
  });

  it('takes a missing, damaged or foreign file as empty, and drops every entry that is not a card path', async () => {
    const f = file();
    expect(await new FileCardPaths(f).recall('atr:3B')).toBeUndefined();
    for (const text of ['', '{', 'null', '[]', '{"version":2,"cards":[]}', '{"version":1,"cards":{}}'])
      expect(parseCardPaths(text).size).toBe(0);
    const parsed = parseCardPaths(
      JSON.stringify({
        version: 1,
        cards: [
          ['atr:3B', { readBySfi: false }],
          ['iccid:8981', { usimAid: 'A0000000871002' }],
          ['bad key', { readBySfi: true }],
          ['atr:3C', { readBySfi: 'yes' }],
          ['atr:3D', { usimAid: 'not hex' }],
          ['atr:3E', { usimAid: 'A0'.repeat(20) }],
          ['atr:3F'],
          'atr:40',
        ],
      }),
    );
    expect(parsed.entries()).toEqual([
      ['atr:3B', { readBySfi: false }],
      ['iccid:8981', { usimAid: 'A0000000871002' }],
    ]);
  });
});

describe('card paths shared by two processes', () => {
  it('keeps what each of two stores learned (krypton-cli writing beside a running bridge)', async () => {
    const f = file();
    const bridge = new FileCardPaths(f);
    const cli = new FileCardPaths(f);
    expect(await bridge.recall('atr:3B01')).toBeUndefined();
    expect(await cli.recall('atr:3B02')).toBeUndefined();
    await cli.remember('atr:3B02', { selectWithoutData: false });
    await bridge.remember('atr:3B01', { readBySfi: false });
    expect((await readCardPathsFile(f)).entries()).toEqual([
      ['atr:3B02', { selectWithoutData: false }],
      ['atr:3B01', { readBySfi: false }],
    ]);
  });

  it('lives in the XDG cache folder, ignoring a relative XDG_CACHE_HOME', () => {
    expect(defaultCardPathsFile({ XDG_CACHE_HOME: '/x/cache' }, '/home/a')).toBe('/x/cache/krypton-web/card-paths.json');
    expect(defaultCardPathsFile({ XDG_CACHE_HOME: 'rel' }, '/home/a')).toBe('/home/a/.cache/krypton-web/card-paths.json');
    expect(defaultCardPathsFile({}, '/home/a')).toBe('/home/a/.cache/krypton-web/card-paths.json');
  });
});
