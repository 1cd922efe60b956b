import type { SerialChannel } from '@krypton-web/sim-transport';
import type { PipeToPage, PipeToWorker } from './serial-pipe-protocol.ts';

/**
 * Connects a serial channel the page opened (Web Serial needs a click on the page, and the fake
 * `navigator.serial` of the tests lives there) to the worker's PipeSerialChannel. The page forwards
 * bytes both ways and never parses them; it returns the port to hand to the worker.
 */
export function pipeSerialChannel(channel: SerialChannel): MessagePort {
  const { port1, port2 } = new MessageChannel();
  let closed = false;
  const send = (m: PipeToWorker, transfer: Transferable[] = []) => {
    if (!closed) port1.postMessage(m, transfer);
  };
  channel.start({
    onData: (chunk) => {
      const copy = chunk.slice();
      send({ type: 'data', bytes: copy }, [copy.buffer]);
    },
    onClose: (error) => {
      send({ type: 'closed', ...(error ? { error: error.message } : {}) });
      closed = true;
      port1.close();
    },
  });
  port1.onmessage = (e: MessageEvent<PipeToPage>) => {
    const m = e.data;
    if (m.type === 'write') {
      channel.write(m.bytes).then(
        () => send({ type: 'written', id: m.id }),
        (err: unknown) =>
          send({ type: 'write-failed', id: m.id, message: (err as Error).message, lost: (err as { code?: string }).code === 'NO_CARD' }),
      );
    } else if (m.type === 'close') {
      void channel.close();
    }
  };
  port1.start();
  return port2;
}
