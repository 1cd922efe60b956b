import type { PinRequest } from '@krypton-web/sim-check';

/** Asks a person for a secret (nothing echoed); undefined when they give none. */
export type SecretPrompt = (question: string) => Promise<string | undefined>;

const PIN_FORMAT = /^[0-9]{4,8}$/;

/**
 * The PIN of a batch: KRYPTON_SIM_PIN, or asked once on a terminal and used for every PIN-enabled
 * SIM of the batch. It lives in this process only. A PIN a SIM found wrong is dropped at once, so a
 * wrong PIN costs one SIM one try, not every SIM of the box one try each; on a terminal the next
 * PIN-enabled SIM asks again.
 */
export class BatchPin {
  #pin: string | undefined;
  #asking: Promise<string | undefined> | undefined;
  /** The person pressed Enter without a PIN: PIN-enabled SIMs fail with PIN_REQUIRED, unasked. */
  #declined = false;

  constructor(
    envPin: string | undefined,
    private readonly ask: SecretPrompt | undefined,
    private readonly notice: (text: string) => void,
  ) {
    if (envPin !== undefined && envPin !== '') {
      if (PIN_FORMAT.test(envPin)) this.#pin = envPin;
      else notice('KRYPTON_SIM_PIN is not 4 to 8 digits: it is not used (PIN-enabled SIMs will fail with PIN_REQUIRED)');
    }
  }

  /** For runCheck's `pin`: the batch PIN, asked for the first time it is needed (one question at a time, shared by every lane). */
  readonly get = async (request: PinRequest): Promise<string | undefined> => {
    if (this.#pin !== undefined) return this.#pin;
    if (!this.ask || this.#declined) return undefined;
    this.#asking ??= this.prompt(request).finally(() => {
      this.#asking = undefined;
    });
    return this.#asking;
  };

  /** A SIM refused `pin` (PIN_WRONG): no other SIM spends a try on it. */
  wrong(pin: string | undefined, iccid: string | undefined): void {
    if (pin === undefined || pin !== this.#pin) return;
    this.#pin = undefined;
    this.notice(
      `the PIN was wrong for SIM ${iccid ?? '(ICCID unknown)'}: it is not tried on further SIMs${this.ask ? ' (you will be asked again)' : ''}`,
    );
  }

  private async prompt(request: PinRequest): Promise<string | undefined> {
    const sim = request.iccid ? `SIM ${request.iccid}` : 'a SIM';
    const tries = request.triesLeft !== undefined ? `, ${request.triesLeft} tries left` : '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = (await this.ask!(`PIN1 for the PIN-enabled SIMs of this batch (${sim}${tries}; Enter alone skips them): `))?.trim();
      if (!answer) {
        this.#declined = true;
        return undefined;
      }
      if (PIN_FORMAT.test(answer)) {
        this.#pin = answer;
        return answer;
      }
      this.notice('a PIN has 4 to 8 digits');
    }
    this.#declined = true;
    return undefined;
  }
}

/**
 * Reads a line from a terminal without echoing it. Ctrl-C still interrupts (raw mode swallows the
 * signal, so it is raised again); Ctrl-D gives up.
 */
export function promptHidden(input: NodeJS.ReadStream, output: NodeJS.WritableStream, question: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    // Echo goes off before the question shows: whatever is typed after it is never echoed.
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    output.write(question);
    let value = '';
    const finish = (result: string | undefined) => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(value);
        if (ch === '\u0003') {
          finish(undefined);
          process.kill(process.pid, 'SIGINT');
          return;
        }
        if (ch === '\u0004') return finish(undefined);
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}
