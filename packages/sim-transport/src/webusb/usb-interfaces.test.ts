import { describe, expect, it } from 'vitest';
import { atInterfaceCandidates, isStorageMode, onlyProtectedClasses, usbDeviceName } from './usb-interfaces.ts';
import type { WebUsbConfiguration, WebUsbDevice, WebUsbEndpoint } from './web-usb-types.ts';

type Iface = [cls: number, sub: number, proto: number, endpoints: WebUsbEndpoint[]];

const bulk = (n: number, size = 512): WebUsbEndpoint[] => [
  { endpointNumber: n, direction: 'in', type: 'bulk', packetSize: size },
  { endpointNumber: n, direction: 'out', type: 'bulk', packetSize: size },
];
const notify = (n: number): WebUsbEndpoint => ({ endpointNumber: n, direction: 'in', type: 'interrupt', packetSize: 16 });

function configuration(interfaces: Iface[]): WebUsbConfiguration {
  return {
    configurationValue: 1,
    interfaces: interfaces.map(([cls, sub, proto, endpoints], n) => {
      const alternate = { alternateSetting: 0, interfaceClass: cls, interfaceSubclass: sub, interfaceProtocol: proto, endpoints };
      return { interfaceNumber: n, alternate, alternates: [alternate], claimed: false };
    }),
  };
}

function device(vendorId: number, productId: number, interfaces: Iface[]): WebUsbDevice {
  const c = configuration(interfaces);
  return { vendorId, productId, configuration: c, configurations: [c] } as unknown as WebUsbDevice;
}

describe('atInterfaceCandidates', () => {
  it.each<[string, Iface[], number[]]>([
    [
      'older Huawei firmware, all ff/ff/ff: interface order, storage left out',
      [
        [0xff, 0xff, 0xff, bulk(1)],
        [0xff, 0xff, 0xff, [notify(2), ...bulk(3)]],
        [0x08, 0x06, 0x50, bulk(4)],
      ],
      [0, 1],
    ],
    [
      'ff/02: PC UI (02) first, then the modem port (01), then the rest',
      [
        [0xff, 0x02, 0x01, [notify(1), ...bulk(2)]],
        [0xff, 0x02, 0x03, bulk(3)],
        [0xff, 0x02, 0x02, bulk(4)],
      ],
      [2, 0, 1],
    ],
    [
      'ff/01 as ff/02',
      [
        [0xff, 0x01, 0x01, bulk(1)],
        [0xff, 0x01, 0x02, bulk(2)],
      ],
      [1, 0],
    ],
    [
      'no bulk pair: an NCM control interface, an NCM data interface at setting 0',
      [
        [0xff, 0x02, 0x16, [notify(1)]],
        [0x0a, 0x00, 0x01, []],
        [0xff, 0x02, 0x02, bulk(2)],
      ],
      [2],
    ],
    [
      'CDC data with a bulk pair, after vendor-specific ones',
      [
        [0x0a, 0, 0, bulk(1)],
        [0xff, 0xff, 0xff, bulk(2)],
      ],
      [1, 0],
    ],
    [
      'a HiLink stick: CDC ECM and storage only',
      [
        [0x02, 0x06, 0, [notify(1)]],
        [0x0a, 0, 0, []],
        [0x08, 0x06, 0x50, bulk(2)],
      ],
      [],
    ],
    ['a smart card reader', [[0x0b, 0, 0, bulk(1)]], []],
  ])('%s', (_name, interfaces, expected) => {
    expect(atInterfaceCandidates(configuration(interfaces)).map((c) => c.interfaceNumber)).toEqual(expected);
  });

  it('takes the endpoints and packet sizes of the pair', () => {
    const [c] = atInterfaceCandidates(
      configuration([
        [
          0xff,
          0xff,
          0xff,
          [
            notify(2),
            { endpointNumber: 3, direction: 'in', type: 'bulk', packetSize: 64 },
            { endpointNumber: 2, direction: 'out', type: 'bulk', packetSize: 64 },
          ],
        ],
      ]),
    );
    expect(c).toMatchObject({ interfaceNumber: 0, inEndpoint: 3, outEndpoint: 2, inPacketSize: 64, outPacketSize: 64 });
  });
});

describe('what the device is', () => {
  it.each<[string, WebUsbDevice, boolean]>([
    ['Huawei 12d1:1f01', device(0x12d1, 0x1f01, [[0x08, 0x06, 0x50, bulk(1)]]), true],
    ['another maker’s CD-ROM mode: storage only', device(0x19d2, 0x2000, [[0x08, 0x06, 0x50, bulk(1)]]), true],
    [
      'a modem with a microSD reader',
      device(0x12d1, 0x1506, [
        [0xff, 0xff, 0xff, bulk(1)],
        [0x08, 0x06, 0x50, bulk(2)],
      ]),
      false,
    ],
    [
      'a HiLink stick with a microSD reader',
      device(0x12d1, 0x14dc, [
        [0x02, 0x06, 0, [notify(1)]],
        [0x0a, 0, 0, []],
        [0x08, 0x06, 0x50, bulk(2)],
      ]),
      false,
    ],
  ])('storage mode: %s', (_name, d, expected) => {
    expect(isStorageMode(d)).toBe(expected);
  });

  it('only protected classes: a card reader or a keyboard, not a modem', () => {
    expect(onlyProtectedClasses(configuration([[0x0b, 0, 0, bulk(1)]]))).toBe(true);
    expect(
      onlyProtectedClasses(
        configuration([
          [0x03, 0, 0, [notify(1)]],
          [0x01, 1, 0, []],
        ]),
      ),
    ).toBe(true);
    expect(
      onlyProtectedClasses(
        configuration([
          [0x0b, 0, 0, bulk(1)],
          [0xff, 0xff, 0xff, bulk(2)],
        ]),
      ),
    ).toBe(false);
    expect(onlyProtectedClasses(configuration([]))).toBe(false);
  });

  it('names', () => {
    expect(usbDeviceName({ vendorId: 0x12d1, productId: 0x1506, productName: 'HUAWEI Mobile' })).toBe('Huawei modem (12d1:1506)');
    expect(usbDeviceName({ vendorId: 0x2c7c, productId: 0x125, productName: ' EG25 ' })).toBe('EG25 (2c7c:0125)');
    expect(usbDeviceName({ vendorId: 0x2c7c, productId: 0x125, productName: null })).toBe('USB device (2c7c:0125)');
  });
});
