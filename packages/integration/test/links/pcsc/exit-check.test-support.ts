/**
 * Run as a child process by pcsc-service.test.ts: opens PC/SC, sends one APDU, closes (or not, with
 * `leave-open`), and then does nothing. With everything closed the process must exit on its own;
 * left open, pcsclite's threads must keep it alive (which shows that the check can fail).
 *
 * Usage: node --import tsx exit-check.test-support.ts <reader> closed|leave-open|first-reader
 */
import { openFirstReaderWithCard } from '@krypton-web/sim-transport/node';
import { PcscService } from '@krypton-web/sim-transport/node';
import { PcscTransport } from '@krypton-web/sim-transport/node';

const [reader, mode] = process.argv.slice(2);
const select = Uint8Array.from([0x00, 0xa4, 0x04, 0x0c, 0x07, 0xa0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02]);

if (mode === 'first-reader') {
  // The transport owns the service it opened: closing the transport must release both.
  const transport = await openFirstReaderWithCard();
  console.log(`sw ${Buffer.from(await transport.transmit(select)).toString('hex')}`);
  await transport.close();
} else {
  const service = await PcscService.open();
  const transport = await PcscTransport.open(reader!, { service });
  console.log(`sw ${Buffer.from(await transport.transmit(select)).toString('hex')}`);
  if (mode === 'closed') {
    await transport.close();
    await service.close();
  }
}
console.log('done');
