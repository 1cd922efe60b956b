/** What `GET /api/config` of the bridge says (docs/decisions/0004-bridge-contract.md). */
export interface BridgeConfig {
  mode: 'demo' | 'live';
  rawApdu: boolean;
  /** Base URLs on the bridge (paths such as `/krypton/global`), for the proxy to Krypton. */
  endpoints: { global: string; japan: string; cellular: string; lab?: string; labCellular?: string };
  /** The lab's own services (demo mode): called directly, they answer CORS. */
  lab?: { cognito: string; s3: string; region: string; bucket: string };
  /** Whether the bridge reaches pcscd (card readers), and why not. */
  pcsc?: { available: boolean; reason?: string };
  /** The bridge's own origins: a page on any other (a dev server, the app hosted elsewhere) must be approved. */
  origins?: string[];
}

/** How the page was served: by the bridge (with its config), or by something else (a dev server, a file). */
export type Serving = { kind: 'bridge'; config: BridgeConfig } | { kind: 'standalone'; reason: string };

/** Reads the bridge's config; any failure means the page was not served by a bridge. */
export async function loadServing(fetchImpl: typeof fetch = fetch, origin = location.origin): Promise<Serving> {
  try {
    const response = await fetchImpl(new URL('api/config', `${origin}/`), { headers: { accept: 'application/json' }, cache: 'no-store' });
    if (!response.ok) return { kind: 'standalone', reason: `HTTP ${response.status}` };
    const config = parseConfig(await response.json());
    return config ? { kind: 'bridge', config } : { kind: 'standalone', reason: 'malformed config' };
  } catch (e) {
    return { kind: 'standalone', reason: (e as Error).message };
  }
}

/** Validates the config (a bridge of another version must not break the page). */
export function parseConfig(value: unknown): BridgeConfig | undefined {
  const o = value as Partial<BridgeConfig> | null;
  if (typeof o !== 'object' || o === null) return undefined;
  const e = o.endpoints as Record<string, unknown> | undefined;
  if (typeof e !== 'object' || e === null) return undefined;
  for (const k of ['global', 'japan', 'cellular'] as const) if (typeof e[k] !== 'string') return undefined;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const endpoints: BridgeConfig['endpoints'] = { global: e.global as string, japan: e.japan as string, cellular: e.cellular as string };
  const lab = str(e.lab);
  // The contract names it labCellular; the bridge lists its proxy targets by path name (lab-cellular).
  const labCellular = str(e.labCellular) ?? str(e['lab-cellular']);
  if (lab) endpoints.lab = lab;
  if (labCellular) endpoints.labCellular = labCellular;
  const out: BridgeConfig = { mode: o.mode === 'demo' ? 'demo' : 'live', rawApdu: o.rawApdu === true, endpoints };
  const p = o.pcsc as { available?: unknown; reason?: unknown } | undefined;
  if (typeof p === 'object' && p !== null && typeof p.available === 'boolean')
    out.pcsc = { available: p.available, ...(typeof p.reason === 'string' ? { reason: p.reason } : {}) };
  if (Array.isArray(o.origins) && o.origins.every((x) => typeof x === 'string')) out.origins = o.origins;
  const l = o.lab as Record<string, unknown> | undefined;
  if (typeof l === 'object' && l !== null && str(l.cognito) && str(l.s3)) {
    out.lab = { cognito: l.cognito as string, s3: l.s3 as string, region: str(l.region) ?? 'ap-northeast-1', bucket: str(l.bucket) ?? '' };
  }
  return out;
}
