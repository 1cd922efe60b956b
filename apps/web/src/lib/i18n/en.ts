import type { enSession } from './en-session.ts';

/**
 * English messages of the first screen. `{name}` is replaced by a parameter; `{name, plural, one {…}
 * other {…}}` follows Intl.PluralRules. Keys are shared with ja.ts (checked by its type).
 *
 * Only the texts the first screen may show live here (the link choice, the endpoint, the screens'
 * navigation, a failure while connecting): this table is part of the first screen's JavaScript. The
 * texts of the views past the link choice are in en-session.ts, loaded together with those views
 * (I18n.withSessionTexts). A key any first-screen code names must be here (first-screen-texts.test.ts
 * checks); a new key is always safe here, and belongs in en-session.ts when only later views show it.
 */
export const en = {
  'app.title': 'Krypton Web',
  'app.tagline': 'Authenticate a SORACOM IoT SIM with Krypton, then reach AWS with the credentials it earns.',
  'app.loading': 'Loading…',
  'app.skip': 'Skip to the SIM link',
  'lang.label': 'Language',

  'link.heading': 'SIM link',
  'link.legend': 'How is the SIM reached?',
  'link.virtual': 'Virtual SIM (demo)',
  'link.virtual.hint': 'A SIM emulated in this browser; it authenticates against the local lab.',
  'link.modem': 'USB modem (Web Serial)',
  'link.modem.hint':
    'A Huawei USB modem (MS2131, E3372…) holding the SIM, as a serial port. The usual way on a computer: Windows with Huawei’s driver, Linux.',
  'link.usb': 'USB modem (WebUSB)',
  'link.usb.hint':
    'The same modem reached directly over USB: for an Android tablet, and for computers where no driver makes it a serial port (macOS). Where Web Serial works, use that.',
  'link.bridge': 'Card reader (bridge)',
  'link.bridge.hint': 'A PC/SC card reader, reached through the local bridge.',
  'link.bridge-modem': 'USB modem (bridge)',
  'link.bridge-modem.hint':
    'A USB modem holding the SIM, reached through the local bridge, which talks to it for the page: works in every browser (Firefox, Safari too).',
  'link.bridgeModem': 'Modem',
  'link.modems.refresh': 'Look for modems',
  'link.modems.none': 'No modem found. Plug the modem in (the bridge lists USB serial ports), then look again.',
  'link.modem.interface': 'interface {n}',
  'link.cellular': 'Cellular (SORACOM Air)',
  'link.cellular.hint': 'No SIM access: this computer is online through the SIM’s SORACOM Air line.',
  'link.unavailable.noWebSerial': 'Not available: this browser has no Web Serial. Use Chrome or Edge on a desktop computer.',
  'link.unavailable.insecure': 'Not available: Web Serial needs a secure page (https, or http://localhost).',
  'link.unavailable.noWebUsb': 'Not available: this browser has no WebUSB. Use Chrome or Edge (Chrome on Android too).',
  'link.unavailable.insecureUsb': 'Not available: WebUSB needs a secure page (https, or http://localhost).',
  'link.unavailable.bridge': 'Not available: the card reader bridge is not running. Start it in the project folder with',
  'link.unavailable.pcsc': 'Not available: the bridge cannot reach the smart card service (pcscd). Start it with',
  'link.unavailable.lab': 'Not available: the demo lab is not running. Start the demo in the project folder with',
  'link.virtualSim': 'Demo SIM',
  'link.anyPort': 'List every serial port (not only Huawei modems)',
  'link.anyUsbDevice': 'List every USB modem (not only Huawei)',
  'link.reader': 'Card reader',
  'link.readers.refresh': 'Look for readers',
  'link.readers.none': 'No reader found. Plug the reader in, then look again.',
  'link.readers.noPcscd':
    'The smart-card service (pcscd) is not running, so no reader can be seen. Start the smart-card service, then look again:',
  'link.reader.noCard': 'no card',
  'link.reader.inUse': 'in use',
  'link.approval.needed':
    'This page ({origin}) is not the bridge’s own page: the bridge must approve it before it can use the card readers.',
  'link.approval.ask': 'Ask the bridge for approval',
  'link.approval.code': 'Code',
  'link.approval.compare':
    'Open the bridge’s approvals page, check that it shows {origin} with the same code, and approve it there. This page waits.',
  'link.approval.open': 'Open the bridge’s approvals page',
  'link.approval.cancel': 'Stop asking',
  'link.approval.done': 'The bridge approved this page.',
  'link.connect': 'Connect',
  'link.reconnect': 'Connect again',
  'link.disconnect': 'Disconnect',
  'link.state.idle': 'Not connected.',
  'link.state.connecting': 'Connecting…',
  'link.state.connected': 'Connected: {name}',
  'link.state.closing': 'Disconnecting…',
  'link.state.lost': 'The connection to the SIM was lost.',
  'link.state.failed': 'Could not connect.',

  'endpoint.heading': 'Krypton endpoint',
  'endpoint.legend': 'Where are Krypton requests sent?',
  'endpoint.global': 'SORACOM global (g.api.soracom.io)',
  'endpoint.japan': 'SORACOM Japan (api.soracom.io)',
  'endpoint.lab': 'Local lab (demo)',
  'endpoint.custom': 'Custom URL',
  'endpoint.customUrl': 'Endpoint URL',
  'endpoint.viaBridge': 'Requests go through the bridge’s proxy ({path}).',
  'endpoint.direct': 'Requests go straight to {url}. This works only if that server allows this page (CORS).',
  'endpoint.labMissing': 'The lab is not running in this bridge: start the demo with pnpm start.',
  'endpoint.badUrl': 'Enter a full http(s) URL, for example https://g.api.soracom.io',

  'failure.title': 'What happened',
  'failure.action': 'What to do',
  'failure.server': 'SORACOM’s answer: {code} {message}',
  'failure.sw': 'Card status word: {sw}',
  'failure.http': 'HTTP status: {status}',
  'failure.corsTitle': 'CORS configuration for bucket {bucket} (JSON)',
  'failure.corsCopy': 'Copy the CORS configuration',
  'failure.iam': 'The IAM role must allow {action} on {resource}.',
  'failure.clock': 'This computer’s clock is {seconds} s off the server’s.',
  'failure.code': 'Code: {code}',
  'failure.dismiss': 'Dismiss',

  'cred.copied': 'Copied.',

  'screen.nav': 'Screens',
  'screen.single': 'One SIM',
  'screen.check': 'Check SIMs',
  'screen.skipCheck': 'Skip to the lanes',

  // Keyboard and layout (#15 §3)
  'a11y.skipConnect': 'Skip to Connect',
  'a11y.skipAuthenticate': 'Skip to Authenticate',
  'link.summary': '{link} · {endpoint}',
  'link.change': 'Change',
  'link.lockedWhileConnected': 'The link and endpoint are fixed while connected: disconnect to choose others.',
  // PIN management (#15 §4)
  'gate.notConnected': 'Connect a SIM first.',
  'gate.pinNeeded': 'Enter the SIM’s PIN in the SIM panel first: until it is verified, the SIM does nothing.',
  'gate.pinBlocked': 'The SIM’s PIN is blocked: unblock it with its PUK in the SIM panel first.',
  'gate.pukBlocked': 'This SIM is locked for good (its PUK is blocked) and cannot be used: ask its provider for a replacement.',
  // Remembered and copyable (#15 §6)
  'link.reader.rememberedMissing': 'The reader remembered from your last visit, “{name}”, is not there now: another one is chosen.',
  'link.modem.rememberedMissing': 'The modem remembered from your last visit, {name}, is not there now: another one is chosen.',
  'sim.name.virtual': 'Virtual SIM "{name}"',
  'sim.name.huawei': 'Huawei modem ({ids})',
  'sim.name.usbSerial': 'USB serial device ({ids})',
  'sim.name.usbDevice': 'USB device ({ids})',
  'sim.name.serialPort': 'serial port',
  'sim.name.interface': '{name}, USB interface {n}',
  'app.demo': 'demo',
  // The space after an English colon is the label's: a Japanese full-width colon takes none.
  'punct.label': '{label}: ',
  'punct.paren': '({text})',
  'failure.host.s3': 'S3 (bucket {bucket})',
  'failure.host.unknown': 'the server',
  // Folders and uploads (#16)
  'failure.iamAsk':
    'Ask your AWS administrator to add this permission to the IAM role for authenticated identities of the Cognito identity pool.',
} as const;

/** A key of a text the first screen may show: always loaded. */
export type FirstScreenKey = keyof typeof en;
/** A key of a text only the views past the link choice show: loaded with them (en-session.ts). */
export type SessionKey = keyof typeof enSession;
/** Every message key, of both parts; ja.ts has them all. */
export type MessageKey = FirstScreenKey | SessionKey;
