import type { SerialChannel } from '../serial-channel.ts';

/** Receives each complete AT line written to or read from a modem (unmasked: the receiver masks). */
export type AtLineTap = (dir: 'send' | 'recv', line: string) => void;

/**
 * A serial channel that hands every complete line, in each direction, to `tap` (krypton-cli -record, the web app's trace) and
 * otherwise passes bytes through untouched. Lines end at CR or LF, as modems send them.
 */
export function tapChannel(inner: SerialChannel, tap: AtLineTap): SerialChannel {
  const decoder = { send: new TextDecoder(), recv: new TextDecoder() };
  const pending = { send: '', recv: '' };
  const feed = (dir: 'send' | 'recv', bytes: Uint8Array): void => {
    pending[dir] += decoder[dir].decode(bytes, { stream: true });
    const parts = pending[dir].split(/\r\n|\r|\n/);
    pending[dir] = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim() === '') continue;
      try {
        tap(dir, line);
      } catch {
        // A recorder's failure must not break the modem conversation.
      }
    }
  };
  return {
    name: inner.name,
    start: (handlers) =>
      inner.start({
        onData: (chunk) => {
          feed('recv', chunk);
          handlers.onData(chunk);
        },
        onClose: (error) => handlers.onClose(error),
      }),
    write: (bytes) => {
      feed('send', bytes);
      return inner.write(bytes);
    },
    close: () => inner.close(),
  };
}
