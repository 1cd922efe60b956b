import { describe, expect, it } from 'vitest';
import { FlagError, goUsage, parseGoFlags, parseGoUint, type FlagDef } from '../src/flags/go-flags.ts';
import { DEFAULT_KEYS_API_URL, DEFAULT_PROVISIONING_API_URL, FLAGS, parseOptions, usageText, VERSION } from '../src/options.ts';
import { CliError } from '../src/errors.ts';
import { runCli } from '../src/run.ts';
import { runBin } from './support/processes.test-support.ts';

const DEFS: FlagDef[] = [
  { name: 'operation', kind: 'string', default: '', usage: 'op' },
  { name: 'params', kind: 'string', default: '', usage: 'params' },
  { name: 'p', kind: 'string', default: '', usage: 'params', aliasOf: 'params' },
  { name: 'baud-rate', kind: 'uint', default: 57600, usage: 'baud' },
  { name: 'debug', kind: 'bool', default: false, usage: 'debug' },
  { name: 'h', kind: 'bool', default: false, usage: 'help' },
];

describe('Go flag syntax', () => {
  it.each([
    [['-operation', 'getUserData'], 'operation', 'getUserData'],
    [['-operation=getUserData'], 'operation', 'getUserData'],
    [['--operation', 'getUserData'], 'operation', 'getUserData'],
    [['--operation=getUserData'], 'operation', 'getUserData'],
    [['-operation='], 'operation', ''],
    [['-operation', 'a', '-operation', 'b'], 'operation', 'b'],
    [['-operation', '-debug'], 'operation', '-debug'],
    [['-p', '{"a":1}'], 'params', '{"a":1}'],
    [['-p={"a":"b=c"}'], 'params', '{"a":"b=c"}'],
    [['-baud-rate', '115200'], 'baud-rate', 115200],
    [['-baud-rate=0x1c200'], 'baud-rate', 115200],
    [['-baud-rate', '0o7'], 'baud-rate', 7],
    [['-baud-rate', '017'], 'baud-rate', 15],
    [['-debug'], 'debug', true],
    [['-debug=false'], 'debug', false],
    [['-debug=1'], 'debug', true],
    [['-debug=F'], 'debug', false],
    [[], 'baud-rate', 57600],
  ] as const)('%j sets %s to %j', (argv, name, value) => {
    expect(parseGoFlags(DEFS, argv).values.get(name)).toEqual(value);
  });

  it('stops at the first argument that is not a flag, and after --', () => {
    expect(parseGoFlags(DEFS, ['-debug', 'false', '-operation', 'x'])).toMatchObject({ rest: ['false', '-operation', 'x'] });
    expect(parseGoFlags(DEFS, ['-debug', 'false']).values.get('debug')).toBe(true);
    expect(parseGoFlags(DEFS, ['--', '-debug']).rest).toEqual(['-debug']);
    expect(parseGoFlags(DEFS, ['-', '-debug']).rest).toEqual(['-', '-debug']);
  });

  it('records which flags were given, aliases folded into their target', () => {
    expect([...parseGoFlags(DEFS, ['-p', '{}', '-debug']).given].sort()).toEqual(['debug', 'params']);
  });

  it.each([
    [['-nope'], 'flag provided but not defined: -nope'],
    [['--nope=1'], 'flag provided but not defined: -nope'],
    [['-operation'], 'flag needs an argument: -operation'],
    [['---operation'], 'bad flag syntax: ---operation'],
    [['-=x'], 'bad flag syntax: -=x'],
    [['-baud-rate', 'fast'], 'invalid value "fast" for flag -baud-rate: parse error'],
    [['-baud-rate=-1'], 'invalid value "-1" for flag -baud-rate: parse error'],
    [['-baud-rate', '08'], 'invalid value "08" for flag -baud-rate: parse error'],
    [['-baud-rate', '99999999999999999999'], 'invalid value "99999999999999999999" for flag -baud-rate: value out of range'],
    [['-debug=yes'], 'invalid boolean value "yes" for -debug: parse error'],
  ])("%j is refused with Go's message %j", (argv, message) => {
    expect(() => parseGoFlags(DEFS, argv)).toThrow(FlagError);
    expect(() => parseGoFlags(DEFS, argv)).toThrow(message);
  });

  it('parses unsigned integers as strconv.ParseUint(s, 0, 64) does', () => {
    expect(parseGoUint('0')).toBe(0);
    expect(parseGoUint('0b101')).toBe(5);
    expect(parseGoUint('0x_1F')).toBe(31);
    expect(parseGoUint('1_000')).toBe('parse error');
    expect(parseGoUint('')).toBe('parse error');
    expect(parseGoUint('+5')).toBe('parse error');
  });

  it("lays out the help text as Go's flag.PrintDefaults does", () => {
    expect(goUsage('krypton-cli', DEFS)).toBe(
      [
        'Usage of krypton-cli:',
        '  -baud-rate uint',
        '    \tbaud (default 57600)',
        '  -debug',
        '    \tdebug',
        '  -h\thelp',
        '  -operation string',
        '    \top',
        '  -p string',
        '    \tparams',
        '  -params string',
        '    \tparams',
        '',
      ].join('\n'),
    );
  });
});

describe('krypton-cli options', () => {
  it("has SORACOM's flags with SORACOM's defaults", () => {
    const names = FLAGS.map((f) => f.name);
    for (const n of [
      'operation',
      'provisioning-api-endpoint-url',
      'params',
      'p',
      'keys-api-endpoint-url',
      'signature-algorithm',
      'interface',
      'port-name',
      'baud-rate',
      'data-bits',
      'stop-bits',
      'parity-mode',
      'inter-character-timeout',
      'list-com-ports',
      'device-info',
      'disable-key-cache',
      'clear-key-cache',
      'help',
      'h',
      'version',
      'debug',
    ]) {
      expect(names).toContain(n);
    }
    const o = parseOptions(['-operation', 'getUserData']);
    expect(o).toMatchObject({
      mode: 'operation',
      interfaceType: 'autoDetect',
      keysApiUrl: DEFAULT_KEYS_API_URL,
      provisioningApiUrl: DEFAULT_PROVISIONING_API_URL,
      serial: { baudRate: 57600, dataBits: 8, stopBits: 1, parity: 'none', interCharacterTimeoutMs: 100 },
      disableKeyCache: false,
      clearKeyCache: false,
    });
    expect(DEFAULT_KEYS_API_URL).toBe('https://g.api.soracom.io/v1/keys');
    expect(DEFAULT_PROVISIONING_API_URL).toBe('https://g.api.soracom.io/');
  });

  it.each([
    [['-interface', 'ISO7816', '-operation', 'getUserData'], { interfaceType: 'iso7816' }],
    [
      ['-interface=comm', '-port-name', '/dev/ttyUSB2', '-operation', 'getUserData'],
      { interfaceType: 'comm', serial: { portName: '/dev/ttyUSB2' } },
    ],
    [['-interface', 'autodetect', '-operation', 'getUserData'], { interfaceType: 'autoDetect' }],
    [['-interface', 'virtual', '-sim', 'demo-pin', '-operation', 'getUserData'], { interfaceType: 'virtual', sim: 'demo-pin' }],
    [
      ['-parity-mode', '2', '-stop-bits', '2', '-data-bits', '7', '-operation', 'getUserData'],
      { serial: { parity: 'even', stopBits: 2, dataBits: 7 } },
    ],
    [
      ['-coverage-type', 'jp', '-operation', 'getUserData'],
      { keysApiUrl: 'https://api.soracom.io/v1/keys', provisioningApiUrl: 'https://api.soracom.io/' },
    ],
    [['-cellular', '-operation', 'getUserData'], { cellular: true, provisioningApiUrl: 'https://krypton.soracom.io:8036' }],
    [['-signature-algorithm', 'sha-256', '-operation', 'getUserData'], { mode: 'operation' }],
    [['-operation', 'bootstrapInventoryDevice', '-p', '{"endpoint":"coaps://x"}'], { params: { endpoint: 'coaps://x' } }],
    [['-operation', 'getUserData', '-params', 'null'], { params: {} }],
    [['-list-com-ports', '-operation', 'nonsense'], { mode: 'list-com-ports' }],
    [['-device-info', '-port-name', '/dev/ttyUSB0'], { mode: 'device-info' }],
    [['-clear-key-cache'], { mode: 'clear-key-cache' }],
    [['-h'], { mode: 'help' }],
    [['-help', '-operation', 'nonsense'], { mode: 'help' }],
    [['-version', '-interface', 'bogus'], { mode: 'version' }],
    [['-operation', 'getUserdata'], { operation: 'getUserData' }],
    [['-operation', 'GETSUBSCRIBERMETADATA'], { operation: 'getSubscriberMetadata' }],
    [['-operation', 'bootstrapAzureIotDevice'], { operation: 'bootstrapAzureIotDevice' }],
    [['-operation', 'bootstrapazureiotdevice'], { operation: 'bootstrapAzureIotDevice' }],
    [
      ['-operation-path', 'aws/iot/ca_certificate', '-params', '{"a":1}'],
      { mode: 'operation', operation: undefined, operationPath: 'aws/iot/ca_certificate', params: { a: 1 } },
    ],
    [['-operation-path', '/v1/provisioning/aws/iot/certificates/abc'], { operationPath: 'aws/iot/certificates/abc' }],
  ] as const)('%j', (argv, expected) => {
    expect(parseOptions(argv)).toMatchObject(expected);
  });

  it.each([
    [[], /^operation must be specified$/],
    [['-debug', 'false', '-operation', 'getUserData'], /operation must be specified \(nothing after "false" was read/],
    [['-operation', 'fly'], /^unknown operation name: fly$/],
    [['-interface', 'mmcli', '-operation', 'getUserData'], /^unknown UICC interface type: mmcli$/],
    [['-interface', 'serial', '-operation', 'getUserData'], /^unknown UICC interface type: serial$/],
    [['-device-info'], /^-port-name must be specified with -device-info$/],
    [['-signature-algorithm', 'SHA-1', '-operation', 'getUserData'], /^unknown signature algorithm: SHA-1$/],
    [['-parity-mode', '3', '-operation', 'getUserData'], /^unsupported parity mode: 3$/],
    [['-data-bits', '9', '-operation', 'getUserData'], /^unsupported data bits: 9$/],
    [['-baud-rate', '0', '-operation', 'getUserData'], /^unsupported baud rate: 0$/],
    [['-operation', 'getUserData', '-params', '{bad json'], /^unable to parse -params \/ -p option: /],
    [['-operation', 'getUserData', '-params', '[1,2]'], /^unable to parse -params \/ -p option: a JSON object is expected$/],
    [['-operation', 'bootstrapInventoryDevice'], /^parameter 'endpoint' must be specified in -params option$/],
    [['-operation', 'getAzureIotDeviceRegistrationStatus', '-p', '{"operationId":""}'], /^parameter 'operationId' must be specified/],
    [['-coverage-type', 'eu', '-operation', 'getUserData'], /^unknown coverage type: eu$/],
    [['-operation-path', '../keys'], /^"\.\.\/keys" is not a provisioning path$/],
    [['-operation-path', 'aws/iot?x=1'], /is not a provisioning path$/],
    [['-operation-path', 'aws/iot/bootstrap', '-operation', 'getUserData'], /^-operation and -operation-path cannot be used together$/],
    [['-operation-path', 'aws/iot/bootstrap', '-params', '[]'], /^unable to parse -params/],
  ])('%j fails with %s (exit 1)', (argv, message) => {
    let error: unknown;
    try {
      parseOptions(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toMatch(message);
    expect((error as CliError).action.length).toBeGreaterThan(10);
  });

  it('lists every operation in the help text, Go style', () => {
    const help = usageText();
    expect(help.startsWith('Usage of krypton-cli:\n  -baud-rate uint\n')).toBe(true);
    expect(help).toContain(
      '  -operation string\n    \tChoose which type of provisioning API will be performed. (required)\n    \tPossible values:\n    \t\tbootstrapArc',
    );
    expect(help).toContain('(default "autoDetect")');
    expect(help).toContain('(default 57600)');
  });
});

/** Runs the CLI in-process and collects what it printed. */
async function inProcess(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, home: '/nonexistent-home' });
  return { code, stdout, stderr };
}

describe("usage errors end the run: one line on stderr, nothing on stdout, Go's exit codes", () => {
  it.each([
    [['-nope'], 2, /^flag provided but not defined: -nope \(run "krypton-cli -h" to see the flags\)$/],
    [['-operation'], 2, /^flag needs an argument: -operation /],
    [['-baud-rate', 'x', '-operation', 'getUserData'], 2, /^invalid value "x" for flag -baud-rate: parse error /],
    [[], 1, /^operation must be specified\. Add -operation NAME \(NAME is one of bootstrapArc, .*\) or -operation-path PATH\.$/],
    [['-operation', 'getUserData', '-params', '{"a":'], 1, /^unable to parse -params \/ -p option: .*\. Give a JSON object/],
    [['-operation', 'nope'], 1, /^unknown operation name: nope\. Use one of /],
    [['-interface', 'comm', '-operation', 'getUserData'], 1, /^-port-name must be specified with -interface comm\. /],
  ])('%j → exit %i', async (argv, code, line) => {
    const r = await inProcess(argv);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(line);
  });

  it('-h prints the usage on stderr and exits 0, like Go; -version prints only the version', async () => {
    const h = await inProcess(['-h']);
    expect(h).toMatchObject({ code: 0, stdout: '' });
    expect(h.stderr).toBe(usageText());
    expect(await inProcess(['-help=true'])).toMatchObject({ code: 0, stdout: '' });
    expect(await inProcess(['-version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });
});

describe('the bin as a process', () => {
  it('prints the version and nothing else', async () => {
    const r = await runBin(['-version']);
    expect(r).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('exits 2 on an unknown flag with one line on stderr', async () => {
    const r = await runBin(['-no-such-flag']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe('flag provided but not defined: -no-such-flag (run "krypton-cli -h" to see the flags)\n');
  });

  it('exits 1 on bad -params before touching any SIM or network', async () => {
    const r = await runBin(['-interface', 'comm', '-port-name', '/dev/does-not-exist', '-operation', 'getUserData', '-params', '{oops}']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^unable to parse -params \/ -p option: [^\n]*\n$/);
  });

  it('exits 1 with one line when the named port does not exist', async () => {
    const r = await runBin(['-interface', 'comm', '-port-name', '/dev/ttyUSB-none', '-operation', 'getUserData']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^\/dev\/ttyUSB-none does not exist[^\n]*\. Check the port name[^\n]*\n$/);
  });
});
