/** A ticking "now" for countdowns; ticks only while someone listens. */
export class Clock {
  now = $state(Date.now());
  private timer: ReturnType<typeof setInterval> | undefined;
  private users = 0;

  constructor(
    private readonly read: () => number = Date.now,
    private readonly intervalMs = 1000,
  ) {}

  /** Starts ticking; returns the function that stops this user's interest. */
  start(): () => void {
    this.users++;
    if (this.users === 1) {
      this.now = this.read();
      this.timer = setInterval(() => (this.now = this.read()), this.intervalMs);
    }
    return () => {
      this.users--;
      if (this.users === 0) clearInterval(this.timer);
    };
  }

  tick(): void {
    this.now = this.read();
  }
}

export const clock = new Clock();
