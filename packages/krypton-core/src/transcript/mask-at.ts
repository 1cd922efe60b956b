import { fromHex } from '../bytes/index.ts';
import { REDACTED, redactCommand, redactResponse } from '../trace/redact.ts';

const INS_AUTHENTICATE = 0x88;
const INS_GET_RESPONSE = 0xc0;

// Commands whose arguments are PINs or PUKs: every argument after the command goes.
const PIN_COMMAND = /^(AT[+^](?:CPIN|CPWD|CPIN2)\s*=)(.*)$/i;
// AT+CLCK="SC",<mode>,"<pin>": the facility and mode are harmless, the password is not.
const CLCK_WITH_PASSWORD = /^(AT\+CLCK\s*=\s*"?[A-Z0-9]+"?\s*,\s*\d+\s*,)(.*)$/i;
const CSIM_COMMAND = /^(AT\+CSIM\s*=\s*\d+\s*,\s*")([0-9A-Fa-f]*)(".*)$/i;
const CGLA_COMMAND = /^(AT\+CGLA\s*=\s*\d+\s*,\s*\d+\s*,\s*")([0-9A-Fa-f]*)(".*)$/i;
const CSIM_ANSWER = /^(\+C(?:SIM|GLA)\s*:\s*\d+\s*,\s*")([0-9A-Fa-f]*)(".*)$/i;

/**
 * Masks AT lines for a transcript, one modem conversation at a time: PINs in `AT+CPIN=`, `AT+CPWD=`,
 * `AT+CLCK=…,"pin"`, PIN data in APDUs sent with `AT+CSIM`/`AT+CGLA`, and the data of the `+CSIM:`/
 * `+CGLA:` answers to AUTHENTICATE and to the GET RESPONSEs that fetch its result (RES, CK, IK, Kc).
 * It keeps state because an answer line alone does not say which command it answers.
 */
export class AtMasker {
  private secretAnswerExpected = false;
  private inAuthenticate = false;

  /** The line as a transcript may hold it; `dir` says whether it was sent to the modem or received. */
  mask(line: string, dir: 'send' | 'recv'): string {
    return dir === 'send' ? this.maskSent(line) : this.maskReceived(line);
  }

  private maskSent(line: string): string {
    const trimmed = line.trim();
    const pin = PIN_COMMAND.exec(trimmed);
    if (pin) {
      this.secretAnswerExpected = false;
      return `${pin[1]}${REDACTED}`;
    }
    const clck = CLCK_WITH_PASSWORD.exec(trimmed);
    if (clck) return `${clck[1]}${REDACTED}`;
    const apdu = CSIM_COMMAND.exec(trimmed) ?? CGLA_COMMAND.exec(trimmed);
    if (apdu) {
      const bytes = hexOrUndefined(apdu[2]!);
      // Odd or broken hex is not an APDU the card will take; nothing in it is kept.
      if (!bytes) return `${apdu[1]}${REDACTED}${apdu[3]}`;
      const ins = bytes[1];
      // The result of AUTHENTICATE comes back either at once (T=1 style) or through GET RESPONSE.
      if (ins === INS_AUTHENTICATE) this.inAuthenticate = true;
      else if (ins !== INS_GET_RESPONSE) this.inAuthenticate = false;
      this.secretAnswerExpected = this.inAuthenticate;
      return `${apdu[1]}${upperHex(redactCommand(bytes))}${apdu[3]}`;
    }
    return line;
  }

  private maskReceived(line: string): string {
    // The modem's echo of a command carries what the command did (a PIN, a VERIFY APDU).
    if (/^\s*AT/i.test(line)) return this.maskSent(line);
    const answer = CSIM_ANSWER.exec(line.trim());
    if (!answer || !this.secretAnswerExpected) return line;
    const bytes = hexOrUndefined(answer[2]!);
    if (!bytes) return `${answer[1]}${REDACTED}${answer[3]}`;
    return `${answer[1]}${upperHex(redactResponse(bytes, true))}${answer[3]}`;
  }
}

/** Hex in capitals, as APDUs are written, with the redaction marker left as it is. */
export function upperHex(text: string): string {
  return text
    .split(REDACTED)
    .map((part) => part.toUpperCase())
    .join(REDACTED);
}

function hexOrUndefined(hex: string): Uint8Array | undefined {
  try {
    return fromHex(hex);
  } catch {
    return undefined;
  }
}
