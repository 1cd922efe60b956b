import type { ResultFile } from './api.ts';

/** Field names whose values are secrets: keys, tokens, passwords. */
const SECRET_NAME = /(secret|token|password|privatekey|private_key|applicationkey|symmetrickey|primarykey|secondarykey|psk$)/i;
const BULLETS = '••••••••••••••••';

/** A secret as the page may show it: its length at most, never a character of it. */
export function maskSecret(value: string): string {
  return value.length === 0 ? '' : BULLETS;
}

/**
 * An operation's answer with secret values replaced, the paths that were, and the PEM documents in
 * it (certificates and keys from IoT bootstrap) as files to save.
 */
export function maskJson(body: unknown): { value: unknown; secretPaths: string[]; files: ResultFile[] } {
  const secretPaths: string[] = [];
  const files: ResultFile[] = [];
  const walk = (v: unknown, path: string, name: string): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, join(path, String(i)), name));
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x, join(path, k), k);
      return out;
    }
    if (typeof v !== 'string') return v;
    const secret = SECRET_NAME.test(name) || /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v);
    if (/^-----BEGIN [A-Z0-9 ]+-----/.test(v.trimStart())) files.push({ name: pemName(name), path, secret });
    if (!secret) return v;
    secretPaths.push(path);
    return BULLETS;
  };
  const value = walk(body, '', '');
  return { value, secretPaths, files };
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** certificate → certificate.pem, privateKey → private-key.pem, rootCaCertificate → root-ca-certificate.pem */
export function pemName(field: string): string {
  const kebab = field
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .toLowerCase()
    .replace(/^-+|-+$/g, '');
  return `${kebab || 'document'}.pem`;
}
