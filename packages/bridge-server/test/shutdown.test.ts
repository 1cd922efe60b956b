import net from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BridgeClient, type BridgeRemoteError } from '@krypton-web/sim-transport';
import { eventually, startTestBridge, UPGRADE_HEADERS, VIRTUAL_READER_NAME, wsFrom } from './support/harness.test-support.ts';

// close() must end everything it holds, whatever the peers do: sessions, pairing requests still
// waiting for the person, and a peer that never answers the WebSocket close handshake.

describe('close()', () => {
  it('ends sessions, a waiting pairing request and a peer that never answers the close handshake, within 2 s, and stops listening', async () => {
    // The card takes longer to let go than peers get to answer the close handshake: close() must still wait for it.
    const t = await startTestBridge({ limits: { closeGraceMs: 500 } });
    const open = t.backend.open.bind(t.backend);
    t.backend.open = async (reader) => {
      const card = await open(reader);
      const release = card.transport.close.bind(card.transport);
      card.transport.close = async () => {
        await new Promise((r) => setTimeout(r, 800));
        await release();
      };
      return card;
    };
    let ended: BridgeRemoteError | undefined;
    const client = await BridgeClient.connect(`ws://127.0.0.1:${t.port}/ws`, { WebSocket: wsFrom(t.url), onClose: (e) => (ended = e) });
    const session = await client.open(VIRTUAL_READER_NAME);
    expect(await session.readImsi()).toBe('001010000000001');

    const pairing = new WebSocket(`ws://127.0.0.1:${t.port}/pair`, { origin: 'http://localhost:5173' });
    await new Promise((resolve) => pairing.once('message', resolve));
    const pairingClosed = new Promise<number>((resolve) => pairing.once('close', (code) => resolve(code)));

    // A peer that upgrades and then never reads again: it will not answer the close frame.
    const mute = net.connect(t.port, '127.0.0.1', () =>
      mute.write(`GET /ws HTTP/1.1\r\nHost: ${t.host}\r\nOrigin: ${t.url}\r\n${UPGRADE_HEADERS}\r\n`),
    );
    await new Promise<void>((resolve) => mute.once('data', () => resolve()));
    mute.pause();
    const muteClosed = new Promise<void>((resolve) => mute.once('close', () => resolve()));
    mute.on('error', () => undefined);

    const startedAt = performance.now();
    await t.close();
    const logAtClose = [...t.lines];
    expect(performance.now() - startedAt).toBeLessThan(2000);
    expect(await pairingClosed).toBe(1001);
    mute.resume();
    await muteClosed;
    await eventually(() => ended !== undefined, 'the page was told');
    // The session ended on the bridge's side too: its card was let go before close() resolved.
    expect(logAtClose.filter((l) => /session closed/.test(l))).toHaveLength(1);
    expect(t.bridge.approvals.listPending()).toEqual([]);
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(t.port, '127.0.0.1', () => {
        s.destroy();
        resolve(false);
      });
      s.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
