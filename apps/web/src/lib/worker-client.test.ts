import { expose, wrap, type Remote } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { WORKER_METHODS, type SessionApi } from '../worker/api.ts';
import { workerClient } from './worker-client.ts';

// The page's client over a real comlink channel (a MessageChannel standing in for the Worker): every
// method of WORKER_METHODS reaches the worker side, and the modem's MessagePort crosses it.

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

/** A worker side that records every call by name, with what it received; `openModem` keeps its pipe. */
function recordingWorker(): { remote: Remote<SessionApi>; calls: { name: string; args: unknown[] }[]; pipes: MessagePort[] } {
  const calls: { name: string; args: unknown[] }[] = [];
  const pipes: MessagePort[] = [];
  const side: Record<string, (...args: unknown[]) => unknown> = {};
  for (const name of WORKER_METHODS) {
    side[name] = (...args: unknown[]) => {
      calls.push({ name, args });
      if (name === 'openModem') pipes.push(args[0] as MessagePort);
      return `${name} done`;
    };
  }
  const channel = new MessageChannel();
  channels.push(channel);
  expose(side, channel.port2);
  return { remote: wrap<SessionApi>(channel.port1), calls, pipes };
}

describe('the worker client', () => {
  it('is a plain object with exactly the methods of WORKER_METHODS (no name answered by the Proxy behind it)', () => {
    const client = workerClient(recordingWorker().remote);
    expect(Object.keys(client).sort()).toEqual([...WORKER_METHODS].sort());
    expect(Object.values(client).every((m) => typeof m === 'function')).toBe(true);
    expect('then' in client).toBe(false);
  });

  it('forwards every method, with its arguments, and passes the answer back', async () => {
    const worker = recordingWorker();
    const client = workerClient(worker.remote);
    const pipe = new MessageChannel();
    channels.push(pipe);
    for (const name of WORKER_METHODS) {
      const args = name === 'openModem' ? [pipe.port1, 'modem', 'usb'] : [`${name}-arg`, 7];
      const answer = await (client[name] as (...a: unknown[]) => Promise<unknown>)(...args);
      expect(answer).toBe(`${name} done`);
    }
    expect(worker.calls.map((c) => c.name)).toEqual([...WORKER_METHODS]);
    for (const c of worker.calls) {
      if (c.name === 'openModem') expect(c.args.slice(1)).toEqual(['modem', 'usb']);
      else expect(c.args).toEqual([`${c.name}-arg`, 7]);
    }
  });

  it('transfers the modem pipe: the worker gets a MessagePort that carries what the page writes', async () => {
    const worker = recordingWorker();
    const client = workerClient(worker.remote);
    const pipe = new MessageChannel();
    channels.push(pipe);
    await client.openModem(pipe.port1, 'Huawei modem (12d1:1506)', 'modem');
    const received = worker.pipes[0]!;
    expect(received).toBeInstanceOf(MessagePort);
    // Bytes written on the page's end arrive through the port the worker received.
    const arrived = new Promise<unknown>((resolve) => received.addEventListener('message', (e) => resolve(e.data), { once: true }));
    received.start();
    pipe.port2.postMessage('AT\r');
    expect(await arrived).toBe('AT\r');
    received.close();
  });
});
