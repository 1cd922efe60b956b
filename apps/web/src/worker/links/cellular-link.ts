import type { SimLink } from './sim-link.ts';
import { failure } from '../failure.ts';

/** No SIM access: the cellular endpoint recognises the SIM by the SORACOM Air line this machine is online through. */
export function cellularLink(): SimLink {
  const none = () =>
    Promise.reject(
      failure(
        'NO_SIM_ACCESS',
        'The cellular endpoint needs no SIM access, so the SIM is not read',
        'Choose a SIM link to read or unlock the SIM',
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
    onLost: () => undefined,
    close: async () => undefined,
  };
}
