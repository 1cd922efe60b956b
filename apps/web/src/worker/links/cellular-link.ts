import type { SimLink } from './sim-link.ts';
import { failure } from '../failure.ts';

/** No SIM access: the cellular endpoint recognises the SIM by the SORACOM Air line this machine is online through. */
export function cellularLink(): SimLink {
  const none = () =>
    Promise.reject(
      failure(
        'NO_SIM_ACCESS',
        'The cellular endpoint needs no SIM access, so the SIM is not read and its PIN cannot be managed here',
        'To unblock, change, enable or disable the PIN, connect the SIM through a card reader, a USB modem or the virtual SIM',
      ),
    );
  return {
    kind: 'cellular',
    name: 'SORACOM Air',
    authenticator: undefined,
    readImsi: none,
    readIccid: async () => undefined,
    pinState: async () => undefined,
    verifyPin: none,
    unblockPin: none,
    changePin: none,
    setPinEnabled: none,
    onLost: () => undefined,
    close: async () => undefined,
  };
}
