import type { Verdict } from '@krypton-web/sim-check';

/** The tones of each verdict (Hz, ms): one high for PASS, two middle for WARN, two low and long for FAIL. */
const TONES: Record<Verdict, [number, number][]> = {
  PASS: [[1320, 140]],
  WARN: [
    [660, 140],
    [660, 140],
  ],
  FAIL: [
    [220, 320],
    [196, 420],
  ],
};

let context: AudioContext | undefined;

/**
 * Makes sound possible: browsers start an AudioContext only from a person's click, so the sound
 * switch and Start call this. Harmless where there is no Web Audio.
 */
export function unlockSound(): void {
  try {
    context ??= new AudioContext();
    if (context.state === 'suspended') void context.resume();
  } catch {
    context = undefined;
  }
}

/** Plays a verdict's tones through Web Audio (a plain square wave, audible on a laptop across a bench). */
export function beep(verdict: Verdict): void {
  unlockSound();
  const ctx = context;
  if (!ctx) return;
  let at = ctx.currentTime + 0.01;
  for (const [hz, ms] of TONES[verdict]) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'square';
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.2, at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + ms / 1000);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + ms / 1000 + 0.02);
    at += ms / 1000 + 0.08;
  }
}
