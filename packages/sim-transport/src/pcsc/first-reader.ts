/**
 * The first-reader habit of SORACOM's Go client (`-interface iso7816` always takes the first PC/SC
 * reader), made a little kinder: only readers holding a card that answered reset are tried, in
 * pcscd's order, and a card another program holds (sharing violation) moves on to the next reader.
 * (pcscd's "in use" state bits are only refreshed on card events, so trying is the only sure test.)
 */
import { PcscError, START_PCSCD } from './pcsc-error.ts';
import { PcscService, type PcscReaderInfo } from './pcsc-service.ts';
import { openOn, type PcscOpenOptions, type PcscTransport } from './pcsc-transport.ts';

/** Options of openFirstReaderWithCard. */
export interface FirstReaderOptions extends PcscOpenOptions {
  /** When no reader holds a card, how long to wait for one to be inserted (default 0: fail at once). */
  waitForCardMs?: number;
  signal?: AbortSignal;
}

/**
 * Opens the first reader that holds a card (pcscd's order). Without `service` it opens its own, which
 * the transport closes with itself. Rejects TRANSPORT_FAILED when there is no reader or pcscd is not
 * running, NO_CARD when no reader holds a card that answers.
 */
export async function openFirstReaderWithCard(options: FirstReaderOptions = {}): Promise<PcscTransport> {
  const { waitForCardMs = 0, signal, service: given, ...open } = options;
  const service = given ?? (await PcscService.open());
  try {
    let readers = await service.listReaders();
    if (!readers.some(usable) && waitForCardMs > 0) {
      await service.waitForCard({ timeoutMs: waitForCardMs, ...(signal ? { signal } : {}) });
      readers = await service.listReaders();
    }
    const candidates = readers.filter(usable);
    if (candidates.length === 0) throw noCard(readers);
    let first: unknown;
    for (const reader of candidates) {
      try {
        return await openOn(service, reader.name, open, given === undefined);
      } catch (e) {
        // Another program holds this card: the next reader may do.
        if (!(e instanceof PcscError && e.problem === 'sharing-violation')) throw e;
        first ??= e;
      }
    }
    throw first;
  } catch (e) {
    if (given === undefined) await service.close();
    throw e;
  }
}

function usable(reader: PcscReaderInfo): boolean {
  return reader.card === 'present';
}

function noCard(readers: PcscReaderInfo[]): PcscError {
  if (readers.length === 0) return new PcscError('TRANSPORT_FAILED', 'no-reader', `No card reader found: plug one in, or ${START_PCSCD}`);
  const mute = readers.find((r) => r.card === 'mute');
  if (mute) {
    return new PcscError(
      'NO_CARD',
      'card-mute',
      `The card in reader "${mute.name}" does not answer: check that it is inserted the right way round, contacts down`,
    );
  }
  return new PcscError('NO_CARD', 'no-card', `No card in any reader (${readers.map((r) => r.name).join(', ')}): insert the SIM card`);
}
