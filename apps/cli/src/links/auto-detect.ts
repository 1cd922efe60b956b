import { CliError } from '../errors.ts';
import type { SerialSettings } from '../options.ts';
import { openModem } from './modem-link.ts';
import type { LinkContext } from './open-link.ts';
import { closeWithin, type SimConnection } from './sim-connection.ts';
import { describeSerialPort, listSerialPorts } from './sim-transport-node.ts';

/** One way to the SIM worth trying. */
interface Candidate {
  name: string;
  open: () => Promise<SimConnection>;
}

/**
 * `-interface autoDetect`: tries, at the same time, every PC/SC reader holding a card and every USB
 * serial device (Huawei first) — never /dev/ttyS* (on VMs and boards the console, which SORACOM's
 * CLI sends AT commands to). A modem counts only when it answers AT, reads the IMSI and relays
 * AT+CSIM. The first that works is used; the others are closed.
 */
export async function autoDetectLink(serial: SerialSettings, ctx: LinkContext): Promise<SimConnection> {
  const { pcscCandidates } = await import('./pcsc-link.ts');
  const candidates: Candidate[] = [...(await pcscCandidates(ctx))];
  const ports = await listSerialPorts().catch(() => []);
  for (const port of ports) {
    candidates.push({
      name: describeSerialPort(port),
      open: async () => {
        const link = await openModem(port.path, serial, { quickProbe: true, ...(ctx.signal ? { signal: ctx.signal } : {}) });
        if (!link.modem.csimSupported || link.modem.imsiAtOpen === undefined) {
          await link.close();
          throw new Error(
            link.modem.csimSupported ? 'the modem reads no IMSI (no SIM, or PIN locked)' : 'the modem does not relay APDUs (no AT+CSIM)',
          );
        }
        return link;
      },
    });
  }
  ctx.debug?.log(
    candidates.length === 0
      ? 'autoDetect: no PC/SC reader with a card, no USB serial device'
      : `autoDetect: trying ${candidates.map((c) => c.name).join('; ')}`,
  );
  if (candidates.length === 0) throw noneFound([]);

  const failures: string[] = [];
  const attempts = candidates.map(async (c) => {
    try {
      return { candidate: c, link: await c.open() };
    } catch (e) {
      const reason = `${c.name}: ${(e as Error).message ?? String(e)}`;
      failures.push(reason);
      ctx.debug?.log(`autoDetect: ${reason}`);
      throw e;
    }
  });
  let winner: { candidate: Candidate; link: SimConnection };
  try {
    winner = await Promise.any(attempts);
  } catch {
    throw noneFound(failures);
  }
  ctx.debug?.log(`autoDetect: using ${winner.link.description}`);
  // Late successes are closed as they arrive; nobody waits for them.
  for (const attempt of attempts) {
    void attempt.then(
      ({ link }) => (link === winner.link ? undefined : closeWithin(() => link.close())),
      () => undefined,
    );
  }
  return winner.link;
}

function noneFound(failures: string[]): CliError {
  const tried = failures.length > 0 ? ` (tried ${failures.join('; ')})` : '';
  return new CliError(
    `no UICC interface is found${tried}`,
    'Plug in a USB modem with the SIM or a card reader with the SIM, or name the link: -interface comm -port-name PORT, or -interface iso7816',
    'NO_CARD',
  );
}
