import { toHex, Usim } from '@krypton-web/krypton-core';
import { CliError } from '../errors.ts';
import type { LinkContext } from './open-link.ts';
import { withDeadline, type SimConnection } from './sim-connection.ts';
import { openFirstReaderWithCard, PcscService, PcscTransport } from './sim-transport-pcsc.ts';

/** How long one APDU may take on a reader (an AUTHENTICATE takes well under a second). */
const PCSC_TIMEOUT_MS = 5000;

/**
 * `-interface iso7816`: the card in the named reader (`-reader-name`), else the first reader holding
 * a card (SORACOM's CLI takes the first reader, card or not). Exclusive access: no other program's
 * APDUs between ours; the card is reset on close, so no verified PIN is left behind.
 */
export async function openPcscLink(ctx: LinkContext, readerName?: string): Promise<SimConnection> {
  let transport: PcscTransport;
  try {
    transport = readerName
      ? await PcscTransport.open(readerName, { timeoutMs: PCSC_TIMEOUT_MS })
      : await openFirstReaderWithCard({ timeoutMs: PCSC_TIMEOUT_MS, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  } catch (e) {
    throw pcscError(e);
  }
  return {
    transport: withDeadline(transport),
    description: `PC/SC reader "${transport.name}"`,
    identity: { reader: transport.name, ...(transport.atr.length > 0 ? { atr: toHex(transport.atr).toUpperCase() } : {}) },
    close: () => transport.close(),
  };
}

/** One candidate per reader holding a card, for autoDetect: opened, and kept only if it reads an IMSI. */
export async function pcscCandidates(ctx: LinkContext): Promise<{ name: string; open: () => Promise<SimConnection> }[]> {
  let service: PcscService;
  try {
    service = await PcscService.open({ timeoutMs: 1500 });
  } catch (e) {
    ctx.debug?.log(`autoDetect: no PC/SC (${(e as Error).message})`);
    return [];
  }
  let names: string[];
  try {
    names = (await service.listReaders()).filter((r) => r.card === 'present').map((r) => r.name);
  } finally {
    await service.close();
  }
  return names.map((name) => ({
    name: `PC/SC reader "${name}"`,
    open: async () => {
      const link = await openPcscLink(ctx, name);
      try {
        // A bank card or a blank one answers too: only a USIM with an IMSI counts.
        const usim = new Usim(link.transport, ctx.tracer ? { tracer: ctx.tracer } : {});
        await usim.readImsi();
        return { ...link, usim };
      } catch (e) {
        await link.close();
        throw e;
      }
    },
  }));
}

function pcscError(e: unknown): CliError {
  const err = e as { code?: unknown; problem?: unknown; message?: unknown };
  const message = typeof err.message === 'string' ? err.message : String(e);
  const code = typeof err.code === 'string' ? err.code : 'TRANSPORT_FAILED';
  const action =
    err.problem === 'no-service'
      ? 'Start pcscd (systemctl start pcscd, or pcscd as root) and run again'
      : err.problem === 'no-reader' || err.problem === 'unknown-reader'
        ? 'Plug in the card reader (pcsc_scan lists readers), then run again'
        : err.problem === 'sharing-violation'
          ? 'Another program holds the card: close it, then run again'
          : code === 'NO_CARD'
            ? 'Insert the SIM into the reader (contacts down, fully in), then run again'
            : 'Reconnect the card reader and run again; with -debug for details if it repeats';
  // The link's messages often say what to do already ("…: insert the SIM card"): then it is enough.
  const advised = /start pcscd|insert|plug|close (it|that)|contacts down/i.test(message);
  return new CliError(message.replace(/:\s*$/, ''), advised ? '' : action, code, { cause: e });
}
