import type { KryptonClient, KryptonCredentialProviderOptions, PinState } from '@krypton-web/krypton-core';
import type { CheckCredentials, CheckKrypton, CheckPinState, CheckSimAccess } from './run-check.ts';

/** What a USIM (krypton-core's Usim, or a link that speaks for one) offers the check. */
export interface UsimLike {
  readIccid(): Promise<string>;
  readImsi(): Promise<string>;
  pinState(): Promise<PinState>;
  verifyPin(pin: string, options?: { allowLastTry?: boolean }): Promise<void>;
}

/** The SIM access of a check over krypton-core's Usim: PIN verification never spends the last try. */
export function simForCheck(usim: UsimLike): CheckSimAccess {
  return {
    readIccid: () => usim.readIccid(),
    readImsi: () => usim.readImsi(),
    pinState: async () => pinOf(await usim.pinState()),
    verifyPin: (pin) => usim.verifyPin(pin, { allowLastTry: false }),
  };
}

/** PIN state as the check reports it: blocked means no try left. */
export function pinOf(state: PinState): CheckPinState {
  return {
    enabled: state.enabled,
    verified: state.verified,
    ...(state.triesLeft !== undefined ? { triesLeft: state.triesLeft } : {}),
    blocked: state.enabled && !state.verified && state.triesLeft === 0,
  };
}

/**
 * Krypton for a check, over a KryptonClient whose SIM is the checked one: key agreement always
 * fresh (the check proves the SIM, not a cache), credentials from that key through a credential
 * provider made for this SIM and destroyed after.
 */
export function kryptonForCheck(
  client: KryptonClient,
  providerOptions: Omit<KryptonCredentialProviderOptions, 'source' | 'mode'> = {},
): CheckKrypton {
  return {
    agreeKey: async () => {
      const key = await client.authenticate({ fresh: true });
      return { resynchronised: key.resynchronised };
    },
    credentials: async (mode): Promise<CheckCredentials> => {
      const provider = client.credentialProvider({ ...providerOptions, mode });
      try {
        const c = await provider({ forceRefresh: true });
        return {
          accessKeyId: c.accessKeyId,
          secretAccessKey: c.secretAccessKey,
          sessionToken: c.sessionToken,
          expiration: c.expiration,
          ...(c.identityId ? { identityId: c.identityId } : {}),
        };
      } finally {
        provider.destroy();
      }
    },
    userData: () => client.getUserData(),
    subscriberMetadata: () => client.getSubscriberMetadata(),
  };
}
