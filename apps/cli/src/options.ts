import {
  canonicalOperationName,
  KryptonError,
  KRYPTON_BASE_URLS,
  OPERATION_NAMES,
  OPERATIONS,
  provisioningPath,
  type OperationName,
  type OperationParams,
} from '@krypton-web/krypton-core';
import { CliError } from './errors.ts';
import { goUsage, parseGoFlags, type FlagDef } from './flags/go-flags.ts';

/** How the SIM is reached: SORACOM's three, plus the lab's virtual SIM. */
export type InterfaceType = 'iso7816' | 'comm' | 'autoDetect' | 'virtual';

/** What one run of krypton-cli does. */
export type RunMode = 'help' | 'version' | 'list-com-ports' | 'device-info' | 'operation' | 'clear-key-cache';

/** Line settings of a serial port, as the flags give them. */
export interface SerialSettings {
  portName: string | undefined;
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  stopBits: 1 | 2;
  parity: 'none' | 'odd' | 'even';
  /** Accepted for compatibility; serialport reads without termios VTIME, so it is not used. */
  interCharacterTimeoutMs: number;
}

/** Everything a run needs, validated. */
export interface CliOptions {
  mode: RunMode;
  operation: OperationName | undefined;
  /** -operation-path: a provisioning path called instead of a named operation (below /v1/provisioning/). */
  operationPath?: string;
  params: OperationParams;
  interfaceType: InterfaceType;
  /** Whether -interface was given (autoDetect with -port-name means that port). */
  interfaceGiven: boolean;
  /** The virtual SIM: a demo SIM name or IMSI, or a profile file. */
  sim: string;
  /** The PC/SC reader to use (iso7816); the first one holding a card by default. */
  readerName: string | undefined;
  serial: SerialSettings;
  keysApiUrl: string;
  provisioningApiUrl: string;
  /** Use the cellular endpoint: no SIM access, no signature. */
  cellular: boolean;
  disableKeyCache: boolean;
  clearKeyCache: boolean;
  debug: boolean;
  /** -record FILE: write a transcript of the run there (secrets masked), for a field report or `pnpm lab replay`. */
  record: string | undefined;
  /** Arguments after the flags (ignored, as by SORACOM's CLI). */
  ignored: string[];
}

/** The version printed by -version: the SORACOM CLI release whose behaviour we match, and ours. */
export const VERSION = '0.4.1+krypton-web.0.1.0';

/** The defaults of SORACOM's Go client. */
export const DEFAULT_BAUD_RATE = 57_600;
export const DEFAULT_KEYS_API_URL = `${KRYPTON_BASE_URLS.global}/v1/keys`;
export const DEFAULT_PROVISIONING_API_URL = `${KRYPTON_BASE_URLS.global}/`;
const COVERAGE_BASE: Record<string, string> = { g: KRYPTON_BASE_URLS.global, jp: KRYPTON_BASE_URLS.japan };

function operationHelp(): string {
  const width = Math.max(...OPERATION_NAMES.map((n) => n.length)) + 3;
  const lines = OPERATION_NAMES.map((n) => `\t${n.padEnd(width)}${OPERATIONS[n].description}`);
  return `Choose which type of provisioning API will be performed. (required)\nPossible values:\n${lines.join('\n')}`;
}

/** The flags: SORACOM's, with its defaults, plus ours (marked in their usage). */
export const FLAGS: readonly FlagDef[] = [
  { name: 'operation', kind: 'string', default: '', usage: operationHelp() },
  {
    name: 'provisioning-api-endpoint-url',
    kind: 'string',
    default: '',
    usage: `Use the specified URL as a Provisioning API endpoint. (default: ${DEFAULT_PROVISIONING_API_URL})`,
  },
  {
    name: 'operation-path',
    kind: 'string',
    default: '',
    usage:
      'Call this provisioning path (below /v1/provisioning/, e.g. aws/iot/ca_certificate) instead of a named -operation, with -params as its requestParameters (krypton-web addition)',
  },
  { name: 'params', kind: 'string', default: '', usage: 'Pass additional JSON parameters to the service request' },
  { name: 'p', kind: 'string', default: '', usage: 'Pass additional JSON parameters to the service request', aliasOf: 'params' },
  {
    name: 'keys-api-endpoint-url',
    kind: 'string',
    default: '',
    usage: `Use the specified URL as a Keys API endpoint (default: ${DEFAULT_KEYS_API_URL})`,
  },
  { name: 'signature-algorithm', kind: 'string', default: 'SHA-256', usage: 'Algorithm for generating signature. Only SHA-256 exists.' },
  {
    name: 'interface',
    kind: 'string',
    default: 'autoDetect',
    usage:
      "UICC Interface to use. Valid values are iso7816 (PC/SC card reader), comm (USB modem, AT+CSIM), autoDetect, or virtual (the lab's virtual SIM, see -sim)",
  },
  {
    name: 'sim',
    kind: 'string',
    default: 'demo',
    usage: 'With -interface virtual: the lab SIM to emulate, by name or IMSI, or a SIM profile JSON file (krypton-web addition)',
  },
  {
    name: 'reader-name',
    kind: 'string',
    default: '',
    usage: 'With -interface iso7816: the PC/SC reader to use (default: the first one holding a card) (krypton-web addition)',
  },
  {
    name: 'port-name',
    kind: 'string',
    default: '',
    usage: 'Port name of communication device (e.g. -port-name COM1 or -port-name /dev/ttyUSB2)',
  },
  { name: 'baud-rate', kind: 'uint', default: DEFAULT_BAUD_RATE, usage: 'Baud rate for communication device (e.g. -baud-rate 57600)' },
  { name: 'data-bits', kind: 'uint', default: 8, usage: 'Data bits for communication device (e.g. -data-bits 8)' },
  { name: 'stop-bits', kind: 'uint', default: 1, usage: 'Stop bits for communication device (e.g. -stop-bits 1)' },
  { name: 'parity-mode', kind: 'uint', default: 0, usage: 'Parity mode for communication device. 0: None, 1: Odd, 2: Even' },
  {
    name: 'inter-character-timeout',
    kind: 'uint',
    default: 100,
    usage: 'Timeout in milliseconds between each incoming character (accepted for compatibility; not needed here)',
  },
  {
    name: 'cellular',
    kind: 'bool',
    default: false,
    usage:
      'Use the cellular endpoint (https://krypton.soracom.io:8036): no SIM access, the SORACOM Air line identifies the SIM (krypton-web addition)',
  },
  {
    name: 'coverage-type',
    kind: 'string',
    default: 'g',
    usage: 'Coverage whose endpoints are the defaults: g (global) or jp (Japan) (krypton-web addition)',
  },
  { name: 'list-com-ports', kind: 'bool', default: false, usage: 'List all available communication devices and exit' },
  { name: 'device-info', kind: 'bool', default: false, usage: 'Query the communication device and print the information' },
  { name: 'disable-key-cache', kind: 'bool', default: false, usage: 'Neither read nor store authentication results in the key cache' },
  { name: 'clear-key-cache', kind: 'bool', default: false, usage: 'Remove all items in the key cache (alone: clear and exit)' },
  { name: 'help', kind: 'bool', default: false, usage: 'Display this help message and exit' },
  { name: 'h', kind: 'bool', default: false, usage: 'Display this help message and exit', aliasOf: 'help' },
  { name: 'version', kind: 'bool', default: false, usage: 'Show version number' },
  { name: 'debug', kind: 'bool', default: false, usage: 'Show verbose debug messages (steps, APDUs and HTTP calls, never keys) on stderr' },
  {
    name: 'record',
    kind: 'string',
    default: '',
    usage:
      'Write a transcript of the run to this file (JSON Lines: APDUs, HTTP methods, paths, statuses and header names, timings, reader identity; PINs, RES, CK, IK, Kc, bodies and tokens masked), for a bug report or pnpm lab replay (krypton-web addition)',
  },
];

/** The help text (-h), in the layout of Go's flag package. */
export function usageText(program = 'krypton-cli'): string {
  return `${goUsage(program, FLAGS)}${HELP_FOOTER}`;
}

const HELP_FOOTER = `
The answer is printed on stdout as SORACOM's krypton-cli prints it. A refused call too: status up
to 400 prints the body on stdout (exit 0); above 400 prints "unsuccessful response: <status>" and the
body on stderr (exit 1); either way a line saying what to do follows on stderr. Other errors are one
line on stderr (exit 1; 2 for a command line that cannot be parsed).
Environment:
  KRYPTON_SIM_PIN          PIN1, verified when the SIM asks for it (not needed when the PIN is off)
  XDG_CACHE_HOME           the key cache is $XDG_CACHE_HOME/krypton-web/keys.bin (default ~/.cache/...),
  XDG_CONFIG_HOME          encrypted with the key in $XDG_CONFIG_HOME/krypton-web/cache.key (~/.config/...)
  KRYPTON_CLI_CACHE_DIR    overrides the cache's directory; KRYPTON_CLI_CONFIG_DIR the key's
`;

/** Reads the command line into validated options; throws FlagError (exit 2) or CliError (exit 1). */
export function parseOptions(argv: readonly string[]): CliOptions {
  const { values, given, rest } = parseGoFlags(FLAGS, argv);
  const str = (n: string) => values.get(n) as string;
  const num = (n: string) => values.get(n) as number;
  const bool = (n: string) => values.get(n) as boolean;

  const base = {
    params: {},
    ignored: rest,
    debug: bool('debug'),
    record: str('record') || undefined,
    disableKeyCache: bool('disable-key-cache'),
    clearKeyCache: bool('clear-key-cache'),
    cellular: bool('cellular'),
    interfaceGiven: given.has('interface'),
    sim: str('sim'),
    readerName: str('reader-name') || undefined,
  };
  // SORACOM's order: -help, then -version, before anything is checked.
  if (bool('help')) return { ...base, ...placeholders(), mode: 'help' };
  if (bool('version')) return { ...base, ...placeholders(), mode: 'version' };

  const interfaceType = parseInterface(str('interface'));
  const serial = parseSerial(
    str('port-name'),
    num('baud-rate'),
    num('data-bits'),
    num('stop-bits'),
    num('parity-mode'),
    num('inter-character-timeout'),
  );
  const signature = str('signature-algorithm');
  if (signature.toLowerCase() !== 'sha-256') {
    throw new CliError(
      `unknown signature algorithm: ${signature}`,
      'Krypton signs with SHA-256 only: drop -signature-algorithm or give SHA-256',
    );
  }
  const coverage = str('coverage-type');
  const coverageBase = COVERAGE_BASE[coverage];
  if (!coverageBase) throw new CliError(`unknown coverage type: ${coverage}`, 'Give -coverage-type g (global) or jp (Japan)');
  const keysApiUrl = str('keys-api-endpoint-url') || `${coverageBase}/v1/keys`;
  const provisioningApiUrl = str('provisioning-api-endpoint-url') || (base.cellular ? KRYPTON_BASE_URLS.cellular : `${coverageBase}/`);
  const common = { ...base, interfaceType, serial, keysApiUrl, provisioningApiUrl };

  if (bool('list-com-ports')) return { ...common, mode: 'list-com-ports', operation: undefined };
  if (bool('device-info')) {
    if (!serial.portName)
      throw new CliError(
        '-port-name must be specified with -device-info',
        "Give the modem's AT port, e.g. -port-name /dev/ttyUSB2 (krypton-cli -list-com-ports lists ports)",
      );
    return { ...common, mode: 'device-info', operation: undefined };
  }
  const operation = str('operation');
  const pathGiven = str('operation-path');
  if (pathGiven !== '') {
    if (operation !== '')
      throw new CliError('-operation and -operation-path cannot be used together', 'Give one of them: a named operation, or a path');
    let operationPath: string;
    try {
      operationPath = provisioningPath(pathGiven);
    } catch (e) {
      if (e instanceof KryptonError) throw new CliError(e.message, e.action);
      throw e;
    }
    return { ...common, mode: 'operation', operation: undefined, operationPath, params: parseParams(str('params')) };
  }
  if (operation === '') {
    if (base.clearKeyCache) return { ...common, mode: 'clear-key-cache', operation: undefined };
    const hint =
      rest.length > 0
        ? ` (nothing after "${rest[0]}" was read: flags must come before other arguments, and booleans take -flag=false)`
        : '';
    throw new CliError(
      `operation must be specified${hint}`,
      `Add -operation NAME (NAME is one of ${OPERATION_NAMES.join(', ')}) or -operation-path PATH`,
    );
  }
  // Names in any case, as the Java client takes them (`getUserdata`).
  const canonical = canonicalOperationName(operation);
  if (!canonical) {
    throw new CliError(
      `unknown operation name: ${operation}`,
      `Use one of ${OPERATION_NAMES.join(', ')}, or -operation-path PATH for another provisioning path`,
    );
  }
  const params = parseParams(str('params'));
  for (const key of OPERATIONS[canonical].required as readonly string[]) {
    const v = params[key];
    if (typeof v !== 'string' || v.length === 0) {
      throw new CliError(`parameter '${key}' must be specified in -params option`, `Add it as a string, e.g. -params '{"${key}":"..."}'`);
    }
  }
  return { ...common, mode: 'operation', operation: canonical, params };
}

function placeholders() {
  return {
    operation: undefined,
    interfaceType: 'autoDetect' as const,
    serial: {
      portName: undefined,
      baudRate: DEFAULT_BAUD_RATE,
      dataBits: 8 as const,
      stopBits: 1 as const,
      parity: 'none' as const,
      interCharacterTimeoutMs: 100,
    },
    keysApiUrl: DEFAULT_KEYS_API_URL,
    provisioningApiUrl: DEFAULT_PROVISIONING_API_URL,
  };
}

function parseInterface(value: string): InterfaceType {
  const v = value.toLowerCase();
  if (v === 'iso7816') return 'iso7816';
  if (v === 'comm') return 'comm';
  if (v === 'autodetect') return 'autoDetect';
  if (v === 'virtual') return 'virtual';
  if (v === 'mmcli')
    throw new CliError(
      'unknown UICC interface type: mmcli',
      "SORACOM's CLI lists mmcli but never implemented it: use -interface comm -port-name <the modem's AT port> (stop ModemManager first)",
    );
  throw new CliError(`unknown UICC interface type: ${v}`, 'Use -interface iso7816, comm, autoDetect or virtual');
}

function parseSerial(
  portName: string,
  baudRate: number,
  dataBits: number,
  stopBits: number,
  parityMode: number,
  interChar: number,
): SerialSettings {
  if (baudRate < 1 || baudRate > 4_000_000)
    throw new CliError(`unsupported baud rate: ${baudRate}`, 'Give a baud rate such as 9600, 57600 or 115200 (USB modems ignore it)');
  if (dataBits < 5 || dataBits > 8) throw new CliError(`unsupported data bits: ${dataBits}`, 'Give -data-bits 5, 6, 7 or 8 (8 for modems)');
  if (stopBits !== 1 && stopBits !== 2) throw new CliError(`unsupported stop bits: ${stopBits}`, 'Give -stop-bits 1 or 2 (1 for modems)');
  const parity = (['none', 'odd', 'even'] as const)[parityMode];
  if (!parity) throw new CliError(`unsupported parity mode: ${parityMode}`, 'Give -parity-mode 0 (none), 1 (odd) or 2 (even)');
  return {
    portName: portName || undefined,
    baudRate,
    dataBits: dataBits as 5 | 6 | 7 | 8,
    stopBits,
    parity,
    interCharacterTimeoutMs: interChar,
  };
}

/** -params: a JSON object (or null, or nothing). */
export function parseParams(text: string): OperationParams {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CliError(
      `unable to parse -params / -p option: ${(e as Error).message}`,
      `Give a JSON object, e.g. -params '{"endpoint":"coaps://..."}' (mind the shell's quoting)`,
    );
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError(
      'unable to parse -params / -p option: a JSON object is expected',
      `Give a JSON object, e.g. -params '{"key":"value"}'`,
    );
  }
  return value as OperationParams;
}
