import { afterEach, describe, expect, it } from 'vitest';
import { TransportError } from '@krypton-web/krypton-core';
import { NodeSerialChannel } from './node-serial-channel.ts';
import { startPtyPair, type PtyPair } from './socat.test-support.ts';

/** Collects what a channel delivers. */
function collector(channel: NodeSerialChannel) {
  const chunks: Uint8Array[] = [];
  const closes: (Error | undefined)[] = [];
  let notify: () => void = () => undefined;
  channel.start({
    onData: (c) => {
      chunks.push(c);
      notify();
    },
    onClose: (e) => {
      closes.push(e);
      notify();
    },
  });
  const bytes = () => Buffer.concat(chunks);
  const until = (pred: () => boolean, ms = 3000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; got ${bytes().length} bytes, closes ${closes.length}`)), ms);
      const check = () => {
        if (pred()) {
          clearTimeout(timer);
          resolve();
        }
      };
      notify = check;
      check();
    });
  return { chunks, closes, bytes, until };
}

describe('NodeSerialChannel over a real pty pair (socat)', () => {
  let pair: PtyPair | undefined;
  const open: NodeSerialChannel[] = [];

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await pair?.dispose();
    pair = undefined;
  });

  async function openBoth() {
    pair = await startPtyPair();
    const a = await NodeSerialChannel.open({ path: pair.a, baudRate: 57_600 });
    const b = await NodeSerialChannel.open({ path: pair.b, baudRate: 57_600, name: 'side B' });
    open.push(a, b);
    return { a, b };
  }

  it('carries every byte value both ways, raw, in order', async () => {
    const { a, b } = await openBoth();
    const atB = collector(b);
    const atA = collector(a);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    await a.write(all);
    await atB.until(() => atB.bytes().length >= 256);
    expect(new Uint8Array(atB.bytes())).toEqual(all);
    await b.write(new TextEncoder().encode('AT+CIMI\r\n'));
    await atA.until(() => atA.bytes().length >= 9);
    expect(atA.bytes().toString('latin1')).toBe('AT+CIMI\r\n');
    expect(b.name).toBe('side B');
    expect(a.name).toBe(pair!.a);
  });

  it('delivers a large write complete and in order, whatever the chunking', async () => {
    const { a, b } = await openBoth();
    const atB = collector(b);
    collector(a);
    const big = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
    await a.write(big);
    await atB.until(() => atB.bytes().length >= big.length, 10_000);
    expect(new Uint8Array(atB.bytes())).toEqual(big);
  });

  it('reports the other side going away (socat killed) through onClose with an error, within a second', async () => {
    const { a } = await openBoth();
    const atA = collector(a);
    const started = Date.now();
    await pair!.kill();
    await atA.until(() => atA.closes.length > 0, 2000);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(atA.closes).toHaveLength(1);
    expect(atA.closes[0]).toBeInstanceOf(TransportError);
    expect((atA.closes[0] as TransportError).code).toBe('NO_CARD');
    await expect(a.write(new Uint8Array([0x41]))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    // close() after the port went away is harmless and reports nothing more.
    await a.close();
    await a.close();
    expect(atA.closes).toHaveLength(1);
  });

  it('close() is idempotent, reports onClose() once without an error, and refuses later writes', async () => {
    const { a } = await openBoth();
    const atA = collector(a);
    await Promise.all([a.close(), a.close()]);
    await a.close();
    expect(atA.closes).toEqual([undefined]);
    await expect(a.write(new Uint8Array([1]))).rejects.toMatchObject({ name: 'TransportError', code: 'TRANSPORT_CLOSED' });
  });

  it('frees the port on close, so it can be opened again', async () => {
    const { a, b } = await openBoth();
    collector(a);
    const atB = collector(b);
    // Held: a second opener is refused (the lock is what close() must give back).
    await expect(NodeSerialChannel.open({ path: pair!.a })).rejects.toMatchObject({ code: 'TRANSPORT_FAILED' });
    await a.close();
    const again = await NodeSerialChannel.open({ path: pair!.a });
    open.push(again);
    collector(again);
    // The reopened port works: its bytes reach the other side.
    await again.write(new Uint8Array([0x30]));
    await atB.until(() => atB.bytes().length >= 1);
    expect(atB.bytes().toString('latin1')).toBe('0');
  });

  it('refuses a second opener while the port is locked, saying another program holds it', async () => {
    const { a } = await openBoth();
    collector(a);
    const error = await NodeSerialChannel.open({ path: pair!.a }).then(
      (c) => {
        open.push(c);
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('TRANSPORT_FAILED');
    expect((error as Error).message).toMatch(/in use by another program/);
  });

  it('reports an end that happened before start() once start() is called', async () => {
    pair = await startPtyPair();
    const a = await NodeSerialChannel.open({ path: pair.a });
    open.push(a);
    await pair.kill();
    // Give the poller time to see the hangup before anyone listens.
    await new Promise((r) => setTimeout(r, 300));
    const atA = collector(a);
    await atA.until(() => atA.closes.length > 0, 2000);
    expect((atA.closes[0] as TransportError | undefined)?.code).toBe('NO_CARD');
  });
});

describe('NodeSerialChannel before start() and when the device node vanishes', () => {
  let pair: PtyPair | undefined;
  afterEach(async () => {
    await pair?.dispose();
    pair = undefined;
  });

  it('keeps bytes that arrived before start() and delivers them first', async () => {
    pair = await startPtyPair();
    const a = await NodeSerialChannel.open({ path: pair.a });
    const b = await NodeSerialChannel.open({ path: pair.b });
    collector(b);
    try {
      await b.write(new TextEncoder().encode('^BOOT:1\r\n'));
      await new Promise((r) => setTimeout(r, 200));
      const atA = collector(a);
      // Bytes sent once A listens come after the kept ones, never before.
      await b.write(new TextEncoder().encode('OK\r\n'));
      await atA.until(() => atA.bytes().length >= 13);
      expect(atA.bytes().toString('latin1')).toBe('^BOOT:1\r\nOK\r\n');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reports NO_CARD when the device node it was opened by disappears (the unplug watchdog)', async () => {
    pair = await startPtyPair();
    const { symlinkSync, unlinkSync, realpathSync } = await import('node:fs');
    const link = `${pair.a}-alias`;
    symlinkSync(realpathSync(pair.a), link);
    const a = await NodeSerialChannel.open({ path: link });
    try {
      const atA = collector(a);
      unlinkSync(link);
      await atA.until(() => atA.closes.length > 0, 2000);
      expect((atA.closes[0] as TransportError).code).toBe('NO_CARD');
      expect((atA.closes[0] as Error).message).toContain('disappeared');
      await expect(a.write(new Uint8Array([1]))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
    } finally {
      await a.close();
    }
  });
});

describe('NodeSerialChannel.open failures', () => {
  it('names a missing device and says what to check', async () => {
    const e = await NodeSerialChannel.open({ path: '/dev/ttyUSB-definitely-absent' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransportError);
    expect((e as TransportError).code).toBe('TRANSPORT_FAILED');
    expect((e as Error).message).toContain('/dev/ttyUSB-definitely-absent does not exist');
  });

  it('says a file that is not a tty is not a serial port', async () => {
    const e = await NodeSerialChannel.open({ path: '/dev/null' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransportError);
    expect((e as Error).message).toMatch(/\/dev\/null (is not a serial port|cannot be opened)/);
  });

  it('refuses impossible line settings before touching the device', async () => {
    const e = await NodeSerialChannel.open({ path: '/dev/null', dataBits: 9 as 8 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransportError);
    expect((e as Error).message).toMatch(/cannot be opened with these settings/);
  });
});
