import type { LinkKind } from '../worker/api.ts';
import type { Serving } from './config.ts';

/** Why a link cannot be chosen, as a message key (with the command to run, where one helps). */
export type Unavailable =
  | { key: 'link.unavailable.noWebSerial' | 'link.unavailable.insecure' }
  | { key: 'link.unavailable.bridge' | 'link.unavailable.lab' | 'link.unavailable.pcsc'; command: string; reason?: string };

export const LINK_KINDS: readonly LinkKind[] = ['virtual', 'modem', 'bridge', 'cellular'];

/** The facts the choices depend on. */
export interface Environment {
  serving: Serving;
  webSerial: boolean;
  secureContext: boolean;
}

/** Whether each way to the SIM can be used here, and if not, why. */
export function linkAvailability(env: Environment): Record<LinkKind, Unavailable | undefined> {
  const serving = env.serving;
  const bridge = serving.kind === 'bridge';
  const lab = serving.kind === 'bridge' && serving.config.lab !== undefined && serving.config.endpoints.lab !== undefined;
  return {
    virtual: lab ? undefined : { key: 'link.unavailable.lab', command: 'pnpm start' },
    modem: !env.secureContext ? { key: 'link.unavailable.insecure' } : env.webSerial ? undefined : { key: 'link.unavailable.noWebSerial' },
    bridge: !bridge
      ? { key: 'link.unavailable.bridge', command: 'pnpm bridge' }
      : // The demo's virtual reader works without pcscd; real readers need it.
        serving.config.pcsc?.available === false && !lab
        ? { key: 'link.unavailable.pcsc', command: 'sudo systemctl start pcscd', ...(serving.config.pcsc.reason ? { reason: serving.config.pcsc.reason } : {}) }
        : undefined,
    cellular: undefined,
  };
}
