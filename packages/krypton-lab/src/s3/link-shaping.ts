/**
 * Link shaping for the lab's S3: a per-connection throughput cap and an added round-trip time, so a
 * download over several connections can be measured against a link that behaves like a far-away
 * S3 (loopback has neither). Also the one S3 link fault: a connection cut after N bytes of a body.
 */

/** How the lab's S3 link behaves; 0 turns a setting off. */
export interface LinkShapingSettings {
  /** Response-body bytes per second each client connection may carry (0: no cap). */
  bytesPerSecond: number;
  /** Added before each request is answered, in ms (the round trip a far-away S3 costs). */
  rttMs: number;
}

/** The shaping and the connection-drop fault, as the control API shows them. */
export interface LinkShapingState extends LinkShapingSettings {
  /** Object downloads still to be cut. */
  dropsArmed: number;
  /** Where the next cut falls: bytes of the body delivered first. */
  dropAfterBytes: number;
  /** Object downloads still to pass untouched before the cuts begin. */
  dropSkip: number;
  /** Connections cut so far. */
  dropped: number;
}

/** Largest cap accepted (10 GiB/s is as good as none on this machine). */
const MAX_BYTES_PER_SECOND = 10 * 1024 ** 3;
/**
 * A connection that fell behind its schedule may catch up this much (a link's buffer): the lab's
 * one Node thread, shared with s3rver and the clients of a benchmark, is often late by tens of ms,
 * and lateness not made up would cap a connection below the rate set.
 */
const CATCH_UP_MS = 250;

/** A client connection's pacing: when its next byte may leave. */
interface Pace {
  nextAt: number;
}

/** Mutable shaping shared by every gate request; read per chunk, so a change applies at once. */
export class LinkShaper {
  bytesPerSecond = 0;
  rttMs = 0;
  private dropsArmed = 0;
  private dropAfterBytes = 0;
  private dropSkip = 0;
  private dropped = 0;
  private readonly paces = new WeakMap<object, Pace>();

  constructor(initial: Partial<LinkShapingSettings> = {}) {
    this.update(initial);
  }

  /** Applies a partial update, refusing values out of range (RangeError names the field). */
  update(patch: Partial<LinkShapingSettings>): void {
    if (patch.bytesPerSecond !== undefined)
      this.bytesPerSecond = checkRange('bytesPerSecond', patch.bytesPerSecond, 0, MAX_BYTES_PER_SECOND);
    if (patch.rttMs !== undefined) this.rttMs = checkRange('rttMs', patch.rttMs, 0, 10_000);
  }

  /**
   * Cuts the connection of each of the next `count` object downloads after `afterBytes` body bytes
   * (count 0 disarms), once `skip` downloads have passed untouched (a cut mid-way through a ranged download).
   */
  armDrop(afterBytes: number, count = 1, skip = 0): void {
    this.dropAfterBytes = checkRange('afterBytes', afterBytes, 0, Number.MAX_SAFE_INTEGER);
    this.dropsArmed = checkRange('count', count, 0, 1000);
    this.dropSkip = checkRange('skip', skip, 0, 1000);
  }

  /** The settings and the fault's counters. */
  snapshot(): LinkShapingState {
    return {
      bytesPerSecond: this.bytesPerSecond,
      rttMs: this.rttMs,
      dropsArmed: this.dropsArmed,
      dropAfterBytes: this.dropAfterBytes,
      dropSkip: this.dropSkip,
      dropped: this.dropped,
    };
  }

  /** Waits the added round trip (nothing at all when it is 0). */
  roundTrip(): Promise<void> {
    return this.rttMs > 0 ? sleep(this.rttMs) : Promise.resolve();
  }

  /**
   * An object body as the shaped link delivers it on `connection` (the client's socket: requests
   * one after another on a kept-alive connection share its cap). `cut` runs when the armed fault
   * cuts this body: it destroys the connection, as a dropped link would, and says whether it could
   * (without one, the body errors instead).
   */
  shape(body: ReadableStream<Uint8Array>, connection: object, cut: () => boolean = () => false): ReadableStream<Uint8Array> {
    const cutAfter = this.takeDrop();
    if (this.bytesPerSecond === 0 && cutAfter === undefined) return body;
    let pace = this.paces.get(connection);
    if (pace === undefined) this.paces.set(connection, (pace = { nextAt: 0 }));
    // A body starts on schedule: an idle connection earns no burst before its first byte.
    pace.nextAt = Math.max(pace.nextAt, performance.now());
    const reader = body.getReader();
    let sent = 0;
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          let chunk = value;
          const cutHere = cutAfter !== undefined && sent + chunk.byteLength >= cutAfter;
          if (cutHere) chunk = chunk.subarray(0, cutAfter - sent);
          await this.pace(pace, chunk.byteLength);
          sent += chunk.byteLength;
          if (chunk.byteLength > 0) controller.enqueue(chunk);
          if (cutHere) {
            this.dropped++;
            void reader.cancel().catch(() => undefined);
            // Let the bytes before the cut leave, then drop the connection. Ending the body after the
            // socket is gone writes nothing; an error would have the HTTP server log it as a crash.
            await sleep(20);
            if (cut()) controller.close();
            else controller.error(new Error('the lab cut this connection on purpose (s3 drop fault)'));
          }
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
  }

  private takeDrop(): number | undefined {
    if (this.dropsArmed <= 0) return undefined;
    if (this.dropSkip > 0) {
      this.dropSkip--;
      return undefined;
    }
    this.dropsArmed--;
    return this.dropAfterBytes;
  }

  /** Holds a chunk until the connection's cap lets it leave. */
  private async pace(pace: Pace, bytes: number): Promise<void> {
    const rate = this.bytesPerSecond;
    if (rate === 0 || bytes === 0) return;
    const now = performance.now();
    pace.nextAt = Math.max(pace.nextAt, now - CATCH_UP_MS);
    const at = pace.nextAt;
    pace.nextAt += (bytes * 1000) / rate;
    if (at > now) await sleep(at - now);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw new RangeError(`${name} must be a number from ${min} to ${max}`);
  return value;
}
