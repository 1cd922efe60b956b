/** Usim's `simInfoSource` option: ICCID and PIN state from the link (a modem's AT commands), the card only when it does not know. */
import { describe, expect, it } from 'vitest';
import { KryptonError, type PinState, type SimInfoSource } from '@krypton-web/krypton-core';
import { labRig } from './lab-kit.test-support.ts';

const READY: PinState = { enabled: true, verified: true, triesLeft: undefined };

describe('Usim simInfoSource', () => {
  it('answers readIccid and pinState from the source without an APDU', async () => {
    const source: SimInfoSource = { readIccid: async () => '8981100000000000016', pinState: async () => READY };
    const rig = await labRig('demo', { usim: { simInfoSource: source } });
    expect(await rig.usim.readIccid()).toBe('8981100000000000016');
    expect(await rig.usim.pinState()).toEqual(READY);
    expect(rig.count()).toBe(0);
  });

  it('asks the card when the source does not know (undefined) or lacks the method', async () => {
    const rig = await labRig('demo', { usim: { simInfoSource: { readIccid: async () => undefined } } });
    expect(await rig.usim.readIccid()).toBe('8981100000000000016');
    expect((await rig.usim.pinState()).enabled).toBe(false);
    expect(rig.count()).toBeGreaterThan(0);
  });

  it('turns a failing source into a link failure', async () => {
    const source: SimInfoSource = {
      readIccid: async () => {
        throw new Error('the port went away');
      },
    };
    const rig = await labRig('demo', { usim: { simInfoSource: source } });
    const error = await rig.usim.readIccid().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KryptonError);
    expect(rig.count()).toBe(0);
  });
});
