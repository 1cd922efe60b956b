/**
 * The radio side of the emulated stick: signal figures, registration, and the unsolicited result
 * codes (URCs) a Huawei modem prints on its own — the noise an AT client must survive.
 */
import { randomInt, type Random } from './seeded-random.ts';

/** URCs the emulator can print. Huawei's `^` ones obey `AT^CURC`; `+CxREG` ones need `AT+CxREG=1|2`. */
export type UrcKind = 'RSSI' | 'HCSQ' | 'DSFLOWRPT' | 'MODE' | 'SRVST' | 'SIMST' | 'BOOT' | 'CREG' | 'CEREG' | 'CGREG' | 'RING';

/** Every URC kind, in a fixed order (the order matters for seeded choices). */
export const ALL_URC_KINDS: readonly UrcKind[] = [
  'RSSI',
  'HCSQ',
  'DSFLOWRPT',
  'MODE',
  'SRVST',
  'SIMST',
  'BOOT',
  'CREG',
  'CEREG',
  'CGREG',
  'RING',
];

const HUAWEI_KINDS: ReadonlySet<UrcKind> = new Set(['RSSI', 'HCSQ', 'DSFLOWRPT', 'MODE', 'SRVST', 'SIMST', 'BOOT']);

/** A registration report setting (`AT+CREG=n`): 0 off, 1 status URCs, 2 status with location. */
export type RegistrationMode = 0 | 1 | 2;

/** The modem settings that decide which URCs may appear. */
export interface UrcGate {
  /** `AT^CURC=1` (the default): Huawei's own URCs are on. */
  curc: boolean;
  creg: RegistrationMode;
  cereg: RegistrationMode;
  cgreg: RegistrationMode;
}

/** Registered on LTE (E-UTRAN, access technology 7) at a fixed cell, as the lab's SIM roams onto. */
const CELL = { stat: 1, tac: '1A2B', ci: '01A2B3C4', act: 7 } as const;

/** The line `AT+CREG?` (and kin) answers: `+CREG: <n>,<stat>[,"<lac>","<ci>",<act>]`. */
export function registrationQueryLine(command: 'CREG' | 'CEREG' | 'CGREG', mode: RegistrationMode): string {
  return `+${command}: ${mode},${CELL.stat}${mode === 2 ? `,"${CELL.tac}","${CELL.ci}",${CELL.act}` : ''}`;
}

/** The unsolicited form: `+CEREG: <stat>` with `=1`, plus location with `=2`. */
function registrationUrc(command: 'CREG' | 'CEREG' | 'CGREG', mode: RegistrationMode): string {
  return `+${command}: ${CELL.stat}${mode === 2 ? `,"${CELL.tac}","${CELL.ci}",${CELL.act}` : ''}`;
}

/** Signal figures that drift a little each time they are reported, as a real radio's do. */
export class Radio {
  private rssi = 18;
  private rsrp = 45;
  private sinr = 156;
  private rsrq = 34;
  private rxBytes = 0;
  private txBytes = 0;
  private seconds = 0;

  /** `+CSQ: <rssi>,<ber>` (rssi 0..31, ber 99 = unknown). */
  csqLine(): string {
    return `+CSQ: ${this.rssi},99`;
  }

  /** `^HCSQ: "LTE",<rssi>,<rsrp>,<sinr>,<rsrq>` in Huawei's scaled units. */
  hcsqLine(): string {
    return `^HCSQ: "LTE",${this.rssi + 32},${this.rsrp},${this.sinr},${this.rsrq}`;
  }

  /** `+COPS: <mode>,<format>,"<operator>",<act>`. */
  copsLine(operator: string): string {
    return `+COPS: 0,0,"${operator}",${CELL.act}`;
  }

  /**
   * One URC among `kinds` that the settings allow, or undefined when none may appear. The caller
   * passes the generator, so injected and periodic noise can follow separate seeded sequences.
   */
  nextUrc(kinds: readonly UrcKind[], gate: UrcGate, random: Random): string | undefined {
    const allowed = kinds.filter((k) =>
      HUAWEI_KINDS.has(k)
        ? gate.curc
        : k === 'CREG'
          ? gate.creg > 0
          : k === 'CEREG'
            ? gate.cereg > 0
            : k === 'CGREG'
              ? gate.cgreg > 0
              : true,
    );
    if (allowed.length === 0) return undefined;
    const kind = allowed[randomInt(random, 0, allowed.length - 1)]!;
    return this.urcLine(kind, gate, random);
  }

  private urcLine(kind: UrcKind, gate: UrcGate, random: Random): string {
    switch (kind) {
      case 'RSSI':
        this.drift(random);
        return `^RSSI: ${this.rssi}`;
      case 'HCSQ':
        this.drift(random);
        return this.hcsqLine();
      case 'DSFLOWRPT': {
        // Huawei prints this one without a space after the colon, in hex: duration, rates, totals, QoS.
        this.seconds += 2;
        this.rxBytes += randomInt(random, 0, 4000);
        this.txBytes += randomInt(random, 0, 1500);
        const h = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
        return `^DSFLOWRPT:${h(this.seconds, 8)},00000000,00000000,${h(this.txBytes, 16)},${h(this.rxBytes, 16)},0003E800,0003E800`;
      }
      case 'MODE':
        return '^MODE: 5,4';
      case 'SRVST':
        return '^SRVST: 2';
      case 'SIMST':
        return '^SIMST: 1';
      case 'BOOT':
        return `^BOOT:${randomInt(random, 10000000, 99999999)},0,0,0,75`;
      case 'CREG':
      case 'CEREG':
      case 'CGREG':
        return registrationUrc(kind, gate[kind.toLowerCase() as 'creg' | 'cereg' | 'cgreg']);
      case 'RING':
        return 'RING';
    }
  }

  private drift(random: Random): void {
    this.rssi = clamp(this.rssi + randomInt(random, -2, 2), 10, 31);
    this.rsrp = clamp(this.rsrp + randomInt(random, -3, 3), 20, 97);
    this.sinr = clamp(this.sinr + randomInt(random, -5, 5), 100, 251);
    this.rsrq = clamp(this.rsrq + randomInt(random, -2, 2), 10, 34);
  }
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
