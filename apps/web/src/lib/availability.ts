import type { LinkKind } from '../worker/api.ts';
import type { Serving } from './config.ts';

/** Why a link cannot be chosen, as a message key (with the command to run, where one helps). */
export type Unavailable =
  | { key: 'link.unavailable.noWebSerial' | 'link.unavailable.insecure' | 'link.unavailable.noWebUsb' | 'link.unavailable.insecureUsb' }
  | { key: 'link.unavailable.bridge' | 'link.unavailable.lab' | 'link.unavailable.pcsc'; command: string; reason?: string };

/**
 * The choices in the order shown, which is also the order of preference for the one preselected:
 * a USB modem goes through Web Serial where the browser has it (the OS driver makes the modem a
 * serial port there), through WebUSB where it has only that (Chrome on Android).
 */
export const LINK_KINDS: readonly LinkKind[] = ['virtual', 'modem', 'usb', 'bridge', 'bridge-modem', 'cellular'];

/** The facts the choices depend on. */
export interface Environment {
  serving: Serving;
  webSerial: boolean;
  /** `navigator.usb` exists (Chrome/Edge on desktop, Chrome on Android). */
  webUsb: boolean;
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
    usb: !env.secureContext ? { key: 'link.unavailable.insecureUsb' } : env.webUsb ? undefined : { key: 'link.unavailable.noWebUsb' },
    bridge: !bridge
      ? { key: 'link.unavailable.bridge', command: 'pnpm bridge' }
      : // The demo's virtual reader works without pcscd; real readers need it.
        serving.config.pcsc?.available === false && !lab
        ? {
            key: 'link.unavailable.pcsc',
            command: 'sudo systemctl start pcscd',
            ...(serving.config.pcsc.reason ? { reason: serving.config.pcsc.reason } : {}),
          }
        : undefined,
    // The bridge speaks AT to the modem itself: no Web Serial nor pcscd needed, so every browser gets it (Firefox, Safari).
    'bridge-modem': bridge ? undefined : { key: 'link.unavailable.bridge', command: 'pnpm bridge' },
    cellular: undefined,
  };
}
