import { describe, expect, it } from 'vitest';
import { parseBridgeArgs } from '../src/cli.ts';

// The command line offers only what the bridge's security controls allow (bridge-server's tests
// check the controls themselves).

const PAGE = 'http://localhost:5173';

describe('the bridge command line', () => {
  it('offers no option to listen elsewhere: the command line refuses --host and --listen', () => {
    expect(() => parseBridgeArgs(['--host', '0.0.0.0'])).toThrow(/host/);
    expect(() => parseBridgeArgs(['--listen', '0.0.0.0:8787'])).toThrow(/listen/);
    expect(parseBridgeArgs(['--ipv6'])).toMatchObject({ ipv6: true });
  });

  it('takes --expect-origin, repeatable', () => {
    expect(parseBridgeArgs(['--expect-origin', PAGE, '--expect-origin', 'http://127.0.0.1:4173'])).toMatchObject({
      expectOrigins: [PAGE, 'http://127.0.0.1:4173'],
    });
  });

  it('takes --allow-origin, repeatable', () => {
    expect(parseBridgeArgs(['--allow-origin', PAGE, '--allow-origin', 'http://127.0.0.1:4173'])).toMatchObject({
      allowOrigins: [PAGE, 'http://127.0.0.1:4173'],
    });
  });

  it('takes a port from 1 to 65535 and refuses anything else', () => {
    expect(parseBridgeArgs(['--port', '9000'])).toMatchObject({ port: 9000 });
    for (const bad of ['0', '65536', '-1', '80a', '']) expect(() => parseBridgeArgs(['--port', bad])).toThrow(/--port/);
  });

  it('takes --record DIR for session transcripts, and refuses an empty one', () => {
    expect(parseBridgeArgs(['--record', '/tmp/transcripts'])).toMatchObject({ recordDir: '/tmp/transcripts' });
    expect(parseBridgeArgs([])).not.toHaveProperty('recordDir');
    expect(() => parseBridgeArgs(['--record', ''])).toThrow(/--record needs a directory/);
  });

  it('takes --modem PATH, repeatable, absolute only; --no-usb-modems turns discovery off', () => {
    expect(parseBridgeArgs([])).toMatchObject({ modems: { paths: [], discover: true } });
    expect(parseBridgeArgs(['--modem', '/tmp/m/ttyUSB2', '--modem', '/dev/ttyS1', '--no-usb-modems'])).toMatchObject({
      modems: { paths: ['/tmp/m/ttyUSB2', '/dev/ttyS1'], discover: false },
    });
    expect(() => parseBridgeArgs(['--modem', 'ttyUSB2'])).toThrow(/--modem needs an absolute device path/);
  });
});
