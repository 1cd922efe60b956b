/**
 * The pure parts of the PC/SC link: pcsclite's error messages (as its C++ formats them,
 * "<call> error: <pcsc_stringify_error>(0x<code>)") mapped to transport codes a person can act on,
 * and pcsclite's reader list format.
 */
import { describe, expect, it } from 'vitest';
import { TransportError } from '@krypton-web/krypton-core';
import { PcscError, pcscFailure, scardCodeOf } from './pcsc-error.ts';
import { parseReaderList } from './pcsclite-binding.ts';

const R = 'Virtual PCD 00 00';

describe('pcscFailure', () => {
  it.each([
    ['SCardEstablishContext error: Service not available.(0x8010001d)', 'TRANSPORT_FAILED', 'no-service', /sudo systemctl start pcscd/],
    ['SCardGetStatusChange error: RPC transport error.(0x80100013)', 'TRANSPORT_FAILED', 'no-service', /pcscd/],
    ['SCardTransmit error: Service was stopped.(0x8010001e)', 'TRANSPORT_FAILED', 'no-service', /pcscd/],
    ['SCardTransmit error: Invalid handle.(0x80100003)', 'TRANSPORT_FAILED', 'no-service', /reconnect/],
    ['SCardConnect error: Sharing violation.(0x8010000b)', 'TRANSPORT_FAILED', 'sharing-violation', /Another program is using the reader/],
    ['SCardConnect error: No smart card inserted.(0x8010000c)', 'NO_CARD', 'no-card', /No card in reader "Virtual PCD 00 00"/],
    ['SCardTransmit error: Card was removed.(0x80100069)', 'NO_CARD', 'card-removed', /removed.*reconnect/],
    ['SCardConnect error: Card is unresponsive.(0x80100066)', 'NO_CARD', 'card-mute', /does not answer/],
    ['SCardTransmit error: Card was reset.(0x80100068)', 'TRANSPORT_FAILED', 'card-reset', /reset by another program/],
    ['SCardConnect error: Unknown reader specified.(0x80100009)', 'TRANSPORT_FAILED', 'unknown-reader', /not available/],
    [
      'SCardConnect error: Cannot find a smart card reader.(0x8010002e)',
      'TRANSPORT_FAILED',
      'no-reader',
      /No card reader found: plug one in, or start pcscd/,
    ],
    ['SCardTransmit error: Command timeout.(0x8010000a)', 'TIMEOUT', 'timeout', /did not answer in time/],
    ['SCardTransmit error: Transaction failed.(0x80100016)', 'TRANSPORT_FAILED', 'failed', /Transaction failed/],
    ['Card Reader not connected', 'TRANSPORT_FAILED', 'failed', /Card Reader not connected/],
  ] as const)('%s → %s/%s', (message, code, problem, says) => {
    const error = pcscFailure('transmit', R, new Error(message));
    expect(error).toBeInstanceOf(PcscError);
    expect(error).toBeInstanceOf(TransportError);
    // krypton-core recognises transport errors by name and code.
    expect(error.name).toBe('TransportError');
    expect(error).toMatchObject({ code, problem });
    expect(error.message).toMatch(says);
    expect((error as Error & { cause?: unknown }).cause).toBeInstanceOf(Error);
  });

  it('reads the PC/SC code at the end of a message, and nothing else', () => {
    expect(scardCodeOf(new Error('SCardConnect error: Sharing violation.(0x8010000b)'))).toBe(0x8010000b);
    expect(scardCodeOf(new Error('(0x8010000b) then more'))).toBeUndefined();
    expect(scardCodeOf(new Error('no code'))).toBeUndefined();
    expect(scardCodeOf(undefined)).toBeUndefined();
    expect(scardCodeOf({ message: 42 })).toBeUndefined();
  });

  it('names "the reader" when no reader is known', () => {
    expect(pcscFailure('context', undefined, new Error('x (0x8010000c)')).message).toBe('No card in the reader: insert the SIM card');
  });
});

describe('parseReaderList', () => {
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
  it.each([
    ['Virtual PCD 00 00\0Virtual PCD 00 01\0\0', ['Virtual PCD 00 00', 'Virtual PCD 00 01']],
    ['Gemalto PC Twin Reader 00 00\0\0', ['Gemalto PC Twin Reader 00 00']],
    ['', []],
  ])('%j', (list, names) => {
    expect(parseReaderList(bytes(list))).toEqual(names);
  });

  it('treats a missing list as no readers', () => {
    expect(parseReaderList(undefined)).toEqual([]);
  });
});
