/**
 * The PC/SC card calls the `pcsclite` npm package does not bind — SCardBeginTransaction,
 * SCardEndTransaction, SCardReconnect — and with them the whole card handle (connect, transmit,
 * disconnect), called straight from libpcsclite through koffi (a maintained FFI with prebuilt
 * binaries). The reader list and card events still come from pcsclite (pcsc-service.ts).
 *
 * Facts this file relies on (pcsc-lite's winscard.h and PCSC/pcsclite.h on Linux x86-64):
 * - DWORD is `unsigned long` and LONG, SCARDCONTEXT and SCARDHANDLE are `long` (64-bit), and
 *   SCARD_IO_REQUEST is { unsigned long dwProtocol; unsigned long cbPciLength }.
 * - Calls on one context are serialised by pcsc-lite (a mutex per context): each card handle gets
 *   a context of its own, so readers used side by side do not wait for each other.
 * - Every call here blocks (IPC with pcscd): they run on koffi's worker threads (`.async`).
 */
import { SCARD } from './pcsc-error.ts';

/** SCARD_SHARE_* (pcsclite.h). */
export const SHARE = { exclusive: 1, shared: 2 } as const;
/** SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1. */
const ANY_PROTOCOL = 0x0001 | 0x0002;
/** SCARD_LEAVE_CARD, SCARD_RESET_CARD, SCARD_UNPOWER_CARD. */
export const DISPOSITION = { leave: 0, reset: 1, unpower: 2 } as const;
/** SCARD_PROTOCOL_T0 and T1 as pcsc-lite numbers them. */
export const PROTOCOL = { t0: 0x0001, t1: 0x0002 } as const;
const SCARD_SCOPE_SYSTEM = 2;
const SCARD_S_SUCCESS = 0;

/** A failed SCard call: the PC/SC code at the end of the message, as pcsclite words its errors (see scardCodeOf). */
export class ScardCallError extends Error {
  override readonly name = 'ScardCallError';
  constructor(
    readonly call: string,
    readonly scardCode: number,
    text: string,
  ) {
    super(`${call} error: ${text}.(0x${scardCode.toString(16).padStart(8, '0')})`);
  }
}

type Callback<T> = (error: unknown, value: T) => void;
/** A koffi function: called with `.async(...args, callback)` on a worker thread. */
interface AsyncFn {
  async(...args: unknown[]): void;
}

interface ScardLib {
  establish: AsyncFn;
  release: AsyncFn;
  connect: AsyncFn;
  reconnect: AsyncFn;
  disconnect: AsyncFn;
  begin: AsyncFn;
  end: AsyncFn;
  transmit: AsyncFn;
  stringify: (code: number) => string;
}

interface Koffi {
  load(path: string): { func(signature: string): AsyncFn & ((...args: unknown[]) => unknown) };
  struct(name: string, fields: Record<string, string>): unknown;
}

let loading: Promise<ScardLib> | undefined;

/** Loads libpcsclite through koffi on first use (so machines without PC/SC fail only when it is asked for). */
function scardLib(): Promise<ScardLib> {
  loading ??= import('koffi').then((mod: unknown) => {
    // Node hands a CommonJS module to ESM as `default`.
    const koffi = ((mod as { default?: unknown }).default ?? mod) as Koffi;
    return bind(koffi);
  });
  return loading;
}

function bind(koffi: Koffi): ScardLib {
  const pcsc = koffi.load('libpcsclite.so.1');
  koffi.struct('SCARD_IO_REQUEST', { dwProtocol: 'unsigned long', cbPciLength: 'unsigned long' });
  const stringify = pcsc.func('const char *pcsc_stringify_error(long)');
  return {
    establish: pcsc.func('long SCardEstablishContext(unsigned long, void *, void *, _Out_ long *)'),
    release: pcsc.func('long SCardReleaseContext(long)'),
    connect: pcsc.func('long SCardConnect(long, const char *, unsigned long, unsigned long, _Out_ long *, _Out_ unsigned long *)'),
    reconnect: pcsc.func('long SCardReconnect(long, unsigned long, unsigned long, unsigned long, _Out_ unsigned long *)'),
    disconnect: pcsc.func('long SCardDisconnect(long, unsigned long)'),
    begin: pcsc.func('long SCardBeginTransaction(long)'),
    end: pcsc.func('long SCardEndTransaction(long, unsigned long)'),
    transmit: pcsc.func(
      'long SCardTransmit(long, const SCARD_IO_REQUEST *, const uint8_t *, unsigned long, _Inout_ SCARD_IO_REQUEST *, _Out_ uint8_t *, _Inout_ unsigned long *)',
    ),
    stringify: (code) => {
      const text: unknown = stringify(code);
      return typeof text === 'string' ? text : 'unknown error';
    },
  };
}

/** Runs one SCard call on a worker thread; rejects with ScardCallError unless it returned SCARD_S_SUCCESS. */
function call(l: ScardLib, name: string, fn: AsyncFn, args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const done: Callback<number> = (error, rv) => {
      if (error) return reject(error instanceof Error ? error : new Error(`${name} could not be called`));
      const code = Number(rv) >>> 0;
      if (code === SCARD_S_SUCCESS) resolve();
      else reject(new ScardCallError(name, code, l.stringify(Number(rv))));
    };
    fn.async(...args, done);
  });
}

/**
 * One connection to the card in a reader, with a PC/SC context of its own. Calls must not overlap
 * (the transport queues them); `transmit` returns the card's answer exactly.
 */
export class ScardCard {
  private constructor(
    private readonly l: ScardLib,
    private readonly context: number,
    private readonly handle: number,
    /** The protocol pcscd negotiated (PROTOCOL.t0 or PROTOCOL.t1). */
    public protocol: number,
  ) {}

  /** Connects to the card in `reader` (T=0 or T=1, as negotiated). */
  static async connect(reader: string, share: keyof typeof SHARE): Promise<ScardCard> {
    const l = await scardLib();
    const context = [0];
    await call(l, 'SCardEstablishContext', l.establish, [SCARD_SCOPE_SYSTEM, null, null, context]);
    const handle = [0];
    const protocol = [0];
    try {
      await call(l, 'SCardConnect', l.connect, [context[0], reader, SHARE[share], ANY_PROTOCOL, handle, protocol]);
    } catch (e) {
      await call(l, 'SCardReleaseContext', l.release, [context[0]]).catch(() => undefined);
      throw e;
    }
    return new ScardCard(l, context[0]!, handle[0]!, protocol[0]!);
  }

  /** Sends one APDU; the answer is data and status word, as the card gave them. */
  async transmit(apdu: Uint8Array, maxResponse: number): Promise<Uint8Array> {
    const recv = new Uint8Array(maxResponse);
    const length = [maxResponse];
    const pci = { dwProtocol: this.protocol, cbPciLength: 16 };
    await call(this.l, 'SCardTransmit', this.l.transmit, [this.handle, pci, apdu, apdu.length, { ...pci }, recv, length]);
    return recv.slice(0, Math.min(length[0]!, maxResponse));
  }

  /** SCardBeginTransaction: no other program's commands reach the card until `end`. */
  begin(): Promise<void> {
    return call(this.l, 'SCardBeginTransaction', this.l.begin, [this.handle]);
  }

  /** SCardEndTransaction, leaving the card as it is. */
  end(): Promise<void> {
    return call(this.l, 'SCardEndTransaction', this.l.end, [this.handle, DISPOSITION.leave]);
  }

  /** SCardReconnect after another program reset the card (or to reset it ourselves with `init` 'reset'). */
  async reconnect(share: keyof typeof SHARE, init: keyof typeof DISPOSITION): Promise<void> {
    const protocol = [0];
    await call(this.l, 'SCardReconnect', this.l.reconnect, [this.handle, SHARE[share], ANY_PROTOCOL, DISPOSITION[init], protocol]);
    this.protocol = protocol[0]!;
  }

  /** SCardDisconnect with the disposition asked for, then the context goes too. */
  async disconnect(disposition: keyof typeof DISPOSITION): Promise<void> {
    try {
      await call(this.l, 'SCardDisconnect', this.l.disconnect, [this.handle, DISPOSITION[disposition]]);
    } finally {
      await call(this.l, 'SCardReleaseContext', this.l.release, [this.context]).catch(() => undefined);
    }
  }
}

/** Whether an SCard code says the card was reset by another program (the handle is usable again after SCardReconnect). */
export function isCardReset(error: unknown): boolean {
  return error instanceof ScardCallError && error.scardCode === SCARD.W_RESET_CARD;
}
