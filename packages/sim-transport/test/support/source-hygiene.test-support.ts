import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** A runtime source file of a folder (tests and test support excluded). */
export interface SourceFile {
  name: string;
  text: string;
}

/** The folder's runtime sources. */
export async function runtimeSources(dir: string): Promise<SourceFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.ts') && !n.includes('.test'));
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })));
}

/** Source text without comments (comments may mention what code may not use). */
export function codeOf(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
}

/** Files breaking the house rules: relative imports without `.ts`, `any`, `console`; Node built-ins too unless allowed. */
export function ruleBreakers(files: SourceFile[], options: { allowNode?: boolean } = {}): string[] {
  const offenders: string[] = [];
  for (const { name, text } of files) {
    const code = codeOf(text);
    if (!options.allowNode && /from ['"]node:|require\(|\bprocess\.|\bBuffer\b|__dirname/.test(code)) offenders.push(`${name}: Node`);
    for (const m of code.matchAll(/from '(\.[^']*)'/g)) if (!m[1]!.endsWith('.ts')) offenders.push(`${name}: ${m[1]}`);
    if (/\bany\b(?![-\w])/.test(code.replace(/'[^']*'|`[^`]*`/g, ''))) offenders.push(`${name}: any`);
    if (/console\./.test(code)) offenders.push(`${name}: console`);
  }
  return offenders;
}

/** Exported declarations without a doc comment right above them. */
export function undocumentedExports(files: SourceFile[]): string[] {
  const missing: string[] = [];
  for (const { name, text } of files) {
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (!/^export (async )?(function|class|const|let|interface|type|abstract class) /.test(line) || / from '/.test(line)) return;
      let j = i - 1;
      while (j >= 0 && lines[j]!.trim() === '') j--;
      if (!lines[j]?.trim().endsWith('*/')) missing.push(`${name}:${i + 1} ${line.slice(0, 60)}`);
    });
  }
  return missing;
}
