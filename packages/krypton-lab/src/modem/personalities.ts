/**
 * Named firmware personalities of the emulated stick: the real variation an AT client meets across
 * Huawei sticks and their kin (krypton-protocol.md §9, issue #13 §3). Conformance suites iterate them,
 * so a client that only works on one firmware's habits fails by name.
 */
import type { HuaweiModemOptions } from './huawei-modem.ts';

/** The personalities, by name; `huawei` is the emulator's defaults (an MS2131/E3372 as first seen). */
export const MODEM_PERSONALITIES = {
  /** Echo on, numeric errors after AT+CMEE=1, ^ICCID, ^CPIN, AT+CRSM, no logical channels, T=0-like AT+CSIM. */
  huawei: {},
  /** Logical channels over AT (AT+CCHO/AT+CGLA/AT+CCHC): AUTHENTICATE need not share the basic channel. */
  'logical-channels': { logicalChannels: true },
  /** SELECT through AT+CSIM refused with +CME ERROR (the firmware keeps the basic channel); no logical channels. */
  'select-refused': { csimSelectRefused: true },
  /** SELECT through AT+CSIM refused, logical channels offered. */
  'select-refused-channels': { csimSelectRefused: true, logicalChannels: true },
  /** `+CSIM: 2,9000`-style answers: lengths in bytes, unquoted lowercase hex, a space after the comma. */
  'loose-csim': { csimLengthInBytes: true, unquotedHex: true, lowercaseHex: true, spaces: true },
  /** Firmware that answers every error with a plain ERROR whatever AT+CMEE says. */
  'plain-errors': { errorStyle: 'plain' },
  /** Firmware that answers errors in words (`+CME ERROR: SIM PIN required`) whatever AT+CMEE says. */
  'verbose-errors': { errorStyle: 'verbose' },
  /** Echo off at power-up. */
  'echo-off': { echo: false },
  /** No Huawei extensions: no ^ICCID, ^CPIN or ^CURC, unknown commands answer ERROR; ICCID by AT+CRSM, PIN by AT+CPIN?. */
  'no-huawei-extras': { noIccidCommand: true, noHuaweiCpin: true, curcUnsupported: true, unknownCommandReply: 'ERROR' },
  /** Neither ^ICCID nor AT+CRSM: the ICCID can only be read through APDUs. */
  'no-iccid-commands': { noIccidCommand: true, noCrsm: true },
  /** AUTHENTICATE passed on only with a trailing Le=00 (as SORACOM's Java client sends it first). */
  'authenticate-needs-le': { authenticateLeForm: 'with-le' },
  /** The firmware follows 61xx/6Cxx itself and answers data with 9000. */
  'direct-9000': { csimDirect9000: true },
  /** A storm of URCs that ^CURC cannot silence, inside answers and between them. */
  'urc-storm': { curcUnsupported: true, urcNoise: { seed: 7, intervalMs: 25, midResponseRate: 0.8 } },
  /** 120 ms before each answer. */
  slow: { slowMs: 120 },
} as const satisfies Record<string, HuaweiModemOptions>;

/** The name of one personality. */
export type ModemPersonality = keyof typeof MODEM_PERSONALITIES;

/** Every personality name, in a stable order. */
export const MODEM_PERSONALITY_NAMES = Object.keys(MODEM_PERSONALITIES) as ModemPersonality[];

/** The options of a personality, merged with test-specific ones (which win). */
export function personalityOptions(name: ModemPersonality, extra: HuaweiModemOptions = {}): HuaweiModemOptions {
  return { ...(MODEM_PERSONALITIES[name] as HuaweiModemOptions), ...extra };
}
