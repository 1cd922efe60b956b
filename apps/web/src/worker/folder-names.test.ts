import { describe, expect, it } from 'vitest';
import { placeObjects, safeRelativePath, safeSegment } from './folder-names.ts';

describe('folder names: where each object of a folder is saved', () => {
  it('keeps ordinary keys as they are, one directory per slash, below the prefix', () => {
    expect(safeRelativePath('firmware/v1/firmware.bin', 'firmware/')).toEqual(['v1', 'firmware.bin']);
    expect(safeRelativePath('docs/naïve file (1).txt', '')).toEqual(['docs', 'naïve file (1).txt']);
    expect(safeRelativePath('ログ/2026年.log', '')).toEqual(['ログ', '2026年.log']);
  });

  it('never leaves the chosen directory: no .., no ., no absolute path, no empty segment', () => {
    expect(safeRelativePath('a/../../etc/passwd', 'a/')).toEqual(['__', '__', 'etc', 'passwd']);
    expect(safeRelativePath('/abs/./x', '')).toEqual(['abs', '_', 'x']);
    expect(safeRelativePath('p//q', '')).toEqual(['p', 'q']);
    for (const key of ['../x', '..', 'a/..', '/x', 'C:\\Windows\\x', 'a\\..\\b'])
      for (const segment of safeRelativePath(key, '') ?? []) {
        expect(segment, key).not.toMatch(/^\.\.?$/);
        expect(segment, key).not.toMatch(/[\\/:]/);
      }
  });

  it('replaces what Windows, macOS or Linux refuse, and cuts names past 255 bytes', () => {
    expect(safeSegment('a<b>c:d"e|f?g*h\\i')).toBe('a_b_c_d_e_f_g_h_i');
    expect(safeSegment('tab\there\u0000')).toBe('tab_here_');
    expect(safeSegment('ends with dot.')).toBe('ends with dot_');
    expect(safeSegment('trailing  ')).toBe('trailing__');
    expect(safeSegment('CON')).toBe('_CON');
    expect(safeSegment('nul.txt')).toBe('_nul.txt');
    expect(safeSegment('console.log')).toBe('console.log');
    const long = 'あ'.repeat(200); // 600 bytes in UTF-8
    expect(new TextEncoder().encode(safeSegment(long)).length).toBeLessThanOrEqual(255);
    expect(safeSegment(long)).toBe('あ'.repeat(85));
  });

  it('gives folder markers and slash-only keys no name', () => {
    expect(safeRelativePath('logs/', 'logs/')).toBeUndefined();
    expect(safeRelativePath('logs/2026/', 'logs/')).toBeUndefined();
    expect(safeRelativePath('///', '')).toBeUndefined();
  });

  it('reports collisions (case only, a file where a folder is, sanitised to the same name), earlier keys winning', () => {
    const placed = placeObjects(
      [
        { key: 'f/A.txt' },
        { key: 'f/a.txt' },
        { key: 'f/x' },
        { key: 'f/x/y' },
        { key: 'f/q?' },
        { key: 'f/q*' },
        { key: 'f/d/e' },
        { key: 'f/D' },
        { key: 'f/' },
      ],
      'f/',
    );
    expect(
      placed.map((p) =>
        'problem' in p ? `${p.object.key}: ${p.problem}${'with' in p ? ` with ${p.with}` : ''}` : `${p.object.key} -> ${p.path.join('/')}`,
      ),
    ).toEqual([
      'f/A.txt -> A.txt',
      'f/a.txt: collision with f/A.txt',
      'f/x -> x',
      'f/x/y: collision with f/x',
      'f/q? -> q_',
      'f/q*: collision with f/q?',
      'f/d/e -> d/e',
      'f/D: collision with f/d/e',
      'f/: no-name',
    ]);
  });
});
