/**
 * APDU trace lines (`=> command hex` / `<= response hex`, lowercase) for `vcard --trace`.
 * Secrets are masked even here, as everywhere in the project: PIN and PUK values in the commands
 * that carry them, and the AUTHENTICATE output (RES, CK, IK, Kc), including when it is fetched
 * with GET RESPONSE after a `61xx`.
 */
import { toHex } from '@krypton-web/krypton-core';

/** Where trace lines go: a Node writable such as `process.stderr`, or anything with `write(text)`. */
export interface VpcdTraceSink {
  write(text: string): unknown;
}

const INS_GET_RESPONSE = 0xc0;
const INS_AUTHENTICATE = [0x88, 0x89];
/** VERIFY, CHANGE, DISABLE, ENABLE and UNBLOCK (RESET RETRY COUNTER) carry PIN or PUK digits. */
const INS_WITH_PIN = [0x20, 0x24, 0x26, 0x28, 0x2c];

const redacted = (n: number): string => `[${n} byte${n === 1 ? '' : 's'} redacted]`;

/** Formats exchanges as trace lines, remembering just enough to mask a GET RESPONSE that fetches AUTHENTICATE output. */
export class ApduTraceFormatter {
  #authenticatePending = false;

  /** The two lines (without newline) for one command and its response. */
  format(command: Uint8Array, response: Uint8Array): [string, string] {
    const ins = command.length >= 2 ? command[1]! : -1;
    const secretResponse = INS_AUTHENTICATE.includes(ins) || (ins === INS_GET_RESPONSE && this.#authenticatePending);
    const sw1 = response.length >= 2 ? response[response.length - 2]! : -1;
    this.#authenticatePending = secretResponse && sw1 === 0x61;
    return [`=> ${this.#command(command, ins)}`, `<= ${secretResponse ? this.#maskedResponse(response) : toHex(response)}`];
  }

  #command(command: Uint8Array, ins: number): string {
    if (!INS_WITH_PIN.includes(ins) || command.length <= 5) return toHex(command);
    return `${toHex(command.subarray(0, 5))} ${redacted(command.length - 5)}`;
  }

  #maskedResponse(response: Uint8Array): string {
    if (response.length <= 2) return toHex(response);
    return `${redacted(response.length - 2)} ${toHex(response.subarray(response.length - 2))}`;
  }
}
