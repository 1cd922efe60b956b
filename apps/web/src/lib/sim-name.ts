import type { MessageKey } from './i18n/en.ts';

type Translate = (key: MessageKey, params?: Record<string, string | number | undefined>) => string;

const DEVICE_KEYS: Record<string, MessageKey> = {
  'Huawei modem': 'sim.name.huawei',
  'USB serial device': 'sim.name.usbSerial',
  'USB device': 'sim.name.usbDevice',
  'serial port': 'sim.name.serialPort',
};

/**
 * A link's name in the page's language. The transports name their links in English ("Virtual SIM
 * "demo"", "Huawei modem (12d1:1506), USB interface 2"): those are read back into facts and said again
 * with `t`. Other names (a card reader's, a product name a USB device gives, SORACOM Air) are names,
 * shown as they are.
 */
export function simName(name: string, t: Translate): string {
  const virtual = /^Virtual SIM "(.+)"$/.exec(name);
  if (virtual) return t('sim.name.virtual', { name: virtual[1] });
  const device =
    /^(Huawei modem|USB serial device|USB device|serial port)(?: \(([0-9a-f?]{4}:[0-9a-f?]{4})\))?(?:, USB interface (\d+))?$/.exec(name);
  if (!device) return name;
  const [, kind = '', ids, iface] = device;
  if (!ids && kind !== 'serial port') return name;
  const base = ids ? t(DEVICE_KEYS[kind]!, { ids }) : t('sim.name.serialPort');
  return iface !== undefined ? t('sim.name.interface', { name: base, n: iface }) : base;
}
