import type { ApduTransport } from './transport.ts';
import type { Bytes } from '../bytes/index.ts';
import { redactCommand, redactResponse, type Tracer } from '../trace/index.ts';
import type { ResponseApdu } from './response-apdu.ts';
import { runT0 } from './t0-procedure.ts';
import { transportFailure } from './transport-failure.ts';

/** Options of one logical command exchange. */
export interface ExchangeOptions {
  /** The answer carries secrets (AUTHENTICATE: RES, CK, IK, Kc): traces show only its status words. */
  secretResponse?: boolean;
  /** Receives one redacted `apdu` event per physical APDU, attributed to the tracer's current step. */
  tracer?: Tracer;
  /** Cancels waiting for the card. */
  signal?: AbortSignal;
  /** Bound on physical APDUs for this command (see `runT0`). */
  maxRounds?: number;
  /** No GET RESPONSE for data the caller will not read (see `runT0`). */
  skipResponseData?: boolean;
}

/**
 * Sends one command to the SIM and returns the complete answer after the T=0 procedure (`runT0`).
 * Each physical APDU is traced with its command redacted by `redactCommand` (PIN data) and its response
 * by `redactResponse` (secret answers and their GET RESPONSEs). Transport failures become KryptonErrors
 * (TRANSPORT_BUSY/CLOSED/FAILED, NO_CARD, ABORTED, TIMEOUT). Status words are not judged here.
 */
export async function exchange(transport: ApduTransport, apdu: Bytes, options: ExchangeOptions = {}): Promise<ResponseApdu> {
  const { tracer, signal } = options;
  const secret = options.secretResponse === true;
  const send = async (command: Bytes): Promise<Uint8Array> => {
    const start = tracer?.clock() ?? 0;
    let response: Uint8Array;
    try {
      response = await transport.transmit(command, signal ? { signal } : undefined);
    } catch (e) {
      throw transportFailure(e);
    }
    tracer?.emit({
      type: 'apdu',
      step: tracer.step,
      command: redactCommand(command),
      response: redactResponse(response, secret),
      durationMs: tracer.since(start),
    });
    return response;
  };
  return runT0(send, apdu, {
    secret,
    ...(options.maxRounds === undefined ? {} : { maxRounds: options.maxRounds }),
    ...(options.skipResponseData === true ? { skipResponseData: true } : {}),
  });
}
