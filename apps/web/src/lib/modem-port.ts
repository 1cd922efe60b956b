// Loaded when the person picks the USB modem: Web Serial on the page, bytes piped to the worker.
import { requestModemPort, WebSerialChannel } from '@krypton-web/sim-transport';
import { pipeSerialChannel } from './serial-pipe.ts';

/** Asks for the modem's port (the browser's picker), opens it, and returns the pipe for the worker. */
export async function openModemPipe(anyPort: boolean): Promise<{ pipe: MessagePort; name: string }> {
  const port = await requestModemPort({ anyPort });
  const channel = await WebSerialChannel.open(port);
  return { pipe: pipeSerialChannel(channel), name: channel.name };
}
