import { AtError } from './at-errors.ts';
import type { AtModem } from './at-modem.ts';
import type { AtUrc } from './at-urc.ts';

/** Whether a SIM sits in a modem's slot. */
export type SimPresence = 'present' | 'absent';

/** CME codes with which `AT+CPIN?` says the slot holds no usable SIM (10 not inserted, 13 failure: a half-pulled card). */
const ABSENT_CME = new Set([10, 13]);

/** What a modem says about its SIM without being asked (Huawei's `^SIMST`, the `+CPIN` URC of others): in, out, or nothing that tells. */
export function simPresenceOfUrc(urc: AtUrc): SimPresence | undefined {
  if (urc.kind === 'sim-state') return urc.state === 255 || urc.state === 0 ? 'absent' : urc.state === 1 ? 'present' : undefined;
  if (urc.kind === 'other' && urc.name === '+CPIN') return simPresenceOfCpin(urc.params[0] ?? '');
  return undefined;
}

/** The value of a `+CPIN:` line (TS 27.007 §8.3): READY or a code the SIM waits for means a SIM is in. */
export function simPresenceOfCpin(value: string): SimPresence | undefined {
  const v = value.trim().replace(/^"|"$/g, '').toUpperCase();
  if (v.includes('NOT INSERTED') || v.includes('NOT READY')) return 'absent';
  if (v === 'READY' || v.startsWith('SIM P')) return 'present';
  return undefined;
}

/**
 * Asks the modem whether a SIM is in (`AT+CPIN?`). Undefined when the answer does not tell (SIM
 * busy starting up, a modem without AT+CPIN); a broken link rejects.
 */
export async function askSimPresence(modem: AtModem, signal?: AbortSignal): Promise<SimPresence | undefined> {
  try {
    const answer = await modem.engine.send('AT+CPIN?', signal ? { signal } : {});
    for (const line of answer.lines) {
      const m = /^\+CPIN:\s*(.*)$/i.exec(line);
      if (m) return simPresenceOfCpin(m[1]!);
    }
    return undefined;
  } catch (e) {
    if (e instanceof AtError && e.code === 'CME_ERROR')
      return e.cme?.code !== undefined && ABSENT_CME.has(e.cme.code) ? 'absent' : undefined;
    if (e instanceof AtError && (e.code === 'ERROR' || e.code === 'NOT_SUPPORTED' || e.code === 'TIMEOUT')) return undefined;
    throw e;
  }
}

/** Options of a SimWatch. */
export interface SimWatchOptions {
  /** Called when the SIM comes or goes (not for the first look, which `start` returns). */
  onChange(presence: SimPresence): void;
  /** How often `AT+CPIN?` is asked, ms (default 1000; 0: only on URCs and `look`). */
  pollMs?: number;
  /** While this says true (a SIM session runs its own commands, which notice a pulled card), the poll skips. */
  busy?: () => boolean;
}

/**
 * Follows the SIM in a modem's slot: the modem's own reports (`^SIMST`, `+CPIN`) when it sends them,
 * and `AT+CPIN?` at intervals — because the AT link turns Huawei's URCs off (`AT^CURC=0`), and many
 * firmwares report nothing at all when a SIM is swapped.
 */
export class SimWatch {
  private last: SimPresence | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private off: (() => void) | undefined;
  private asking: Promise<SimPresence | undefined> | undefined;
  private stopped = false;

  constructor(
    private readonly modem: AtModem,
    private readonly options: SimWatchOptions,
  ) {}

  /** The presence last seen (undefined before the first answer that told). */
  get presence(): SimPresence | undefined {
    return this.last;
  }

  /** Looks once, then keeps watching; returns the first look. */
  async start(): Promise<SimPresence | undefined> {
    this.off = this.modem.on('urc', (urc) => {
      const said = simPresenceOfUrc(urc);
      // A report is a hint: the slot is asked, so a SIM still starting up is not taken for a ready one.
      if (said !== undefined) void this.look().catch(() => undefined);
    });
    const first = await this.look();
    const every = this.options.pollMs ?? 1000;
    if (every > 0 && !this.stopped)
      this.timer = setInterval(() => {
        if (this.options.busy?.()) return;
        void this.look().catch(() => undefined);
      }, every);
    return first;
  }

  /** Asks the slot now (one question at a time); a change is reported through onChange. */
  look(): Promise<SimPresence | undefined> {
    this.asking ??= askSimPresence(this.modem)
      .then((now) => {
        if (now !== undefined && !this.stopped) {
          const before = this.last;
          this.last = now;
          if (before !== undefined && before !== now) {
            // What the modem told about the old SIM (IMSI, ICCID, its logical channel) is stale now.
            this.modem.forgetSim();
            this.options.onChange(now);
          }
        }
        return now ?? this.last;
      })
      .finally(() => (this.asking = undefined));
    return this.asking;
  }

  /** Stops watching (the modem stays open). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.off?.();
  }
}
