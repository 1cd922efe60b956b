import type { TranscriptIdentity, Usim } from '@krypton-web/krypton-core';
import { TransportError, type ApduTransport, type ImsiSource, type SimInfoSource, type TransmitOptions } from '@krypton-web/krypton-core';

/**
 * An opened way to the SIM as the CLI holds it: APDUs, maybe an IMSI without APDUs (a modem's
 * AT+CIMI), and how to let go. (The web worker's `SimLink` is another thing: SIM commands.)
 */
export interface SimConnection {
  transport: ApduTransport;
  imsiSource?: ImsiSource;
  /** ICCID and PIN state without APDUs (a modem's AT^ICCID?, AT^CPIN?). */
  simInfoSource?: SimInfoSource;
  /** For -debug and messages: "PC/SC reader Virtual PCD 00 00", "modem on /dev/ttyUSB2". */
  description: string;
  /** What a transcript (-record) says about the link: reader name, ATR, modem. */
  identity?: Partial<TranscriptIdentity>;
  /** More identity that costs commands to learn (a modem's maker, model, firmware, IMEI); asked only for -record. */
  describe?: () => Promise<Partial<TranscriptIdentity>>;
  /** A USIM session already used on this link (autoDetect's probe), to go on with. */
  usim?: Usim;
  /** Releases the link (port, reader); safe to call twice. */
  close(): Promise<void>;
}

/** How long one APDU may take before the run gives up (a slow modem relays AUTHENTICATE in about a second). */
export const APDU_DEADLINE_MS = 15_000;

/**
 * Gives every APDU a deadline, so no link — whatever its own timeouts — can hang a run: the link is
 * asked to abort (signal), and the run fails with TIMEOUT either way.
 */
export function withDeadline(inner: ApduTransport, deadlineMs = APDU_DEADLINE_MS): ApduTransport {
  return {
    kind: inner.kind,
    name: inner.name,
    close: () => inner.close(),
    transmit(apdu: Uint8Array, options: TransmitOptions = {}): Promise<Uint8Array> {
      const timeout = AbortSignal.timeout(deadlineMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      return new Promise((resolve, reject) => {
        const onTimeout = () =>
          reject(new TransportError('TIMEOUT', `${inner.name} did not answer within ${Math.round(deadlineMs / 1000)} s`));
        timeout.addEventListener('abort', onTimeout, { once: true });
        inner
          .transmit(apdu, { ...options, signal })
          .then(resolve, (e: unknown) => {
            reject(
              timeout.aborted && !options.signal?.aborted
                ? new TransportError('TIMEOUT', `${inner.name} did not answer within ${Math.round(deadlineMs / 1000)} s`, { cause: e })
                : e,
            );
          })
          .finally(() => timeout.removeEventListener('abort', onTimeout));
      });
    },
  };
}

/** Runs `close` but waits at most `ms` for it: a link stuck in the kernel must not keep the CLI alive. */
export async function closeWithin(close: () => Promise<void>, ms = 1500): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([close().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
