import type { Bytes } from '../bytes/index.ts';

/** What AUTHENTICATE in 3G context returned (TS 31.102 §7.1.2.1). */
export type SimAuthResult = { kind: 'success'; res: Bytes; ck: Bytes; ik: Bytes; kc?: Bytes } | { kind: 'sync-failure'; auts: Bytes };

/** What key agreement needs from a SIM: its IMSI and AUTHENTICATE. The USIM commands provide it. */
export interface SimAuthenticator {
  readImsi(): Promise<string>;
  authenticate(rand: Uint8Array, autn: Uint8Array): Promise<SimAuthResult>;
}
