import type { CheckResult, CheckStep, Verdict } from '@krypton-web/sim-check';
import type { Failure } from './api.ts';
import type { LaneView } from './batch-api.ts';

/** A lane's state. `run` numbers each check, so the answer of a check that was abandoned is told apart. */
export type LaneState =
  | { name: 'empty' }
  | { name: 'in-use' }
  | { name: 'checking'; run: number; iccid?: string; step?: CheckStep }
  | { name: 'pin'; run: number; iccid?: string; triesLeft?: number }
  | { name: 'done'; result: CheckResult }
  | { name: 'already'; iccid: string; previous: { at: number; verdict: Verdict } }
  | { name: 'error'; failure: Failure }
  | { name: 'offline'; failure: Failure }
  | { name: 'gone' }
  | { name: 'stopped' };

/** What happens to a lane: the bridge's news about its reader, and the check's own progress. */
export type LaneInput =
  /** The bridge lists the reader; `inUse` includes our own session. */
  | { type: 'reader'; card: boolean; inUse: boolean }
  | { type: 'reader-gone' }
  /** The card left under a session (the bridge's session-lost, or a command answered NO_CARD). */
  | { type: 'card-gone' }
  | { type: 'offline'; failure: Failure }
  | { type: 'sim-read'; run: number; iccid?: string }
  | { type: 'step'; run: number; step: CheckStep }
  | { type: 'pin-asked'; run: number; triesLeft?: number }
  | { type: 'pin-answered'; run: number }
  | { type: 'finished'; run: number; result: CheckResult }
  | { type: 'declined'; run: number; iccid: string; previous: { at: number; verdict: Verdict } }
  | { type: 'failed'; run: number; failure: Failure }
  | { type: 'recheck' }
  | { type: 'stop' };

/**
 * Why a check was abandoned: the card left (its result is kept, as interrupted), or the lane stopped
 * or lost the bridge (the check proved nothing about the SIM, and no card left: nothing is kept).
 */
export type AbortReason = 'card' | 'stop' | 'offline';

/** What the lane must do after a transition. */
export type LaneEffect = { type: 'start'; run: number; force: boolean } | { type: 'abort'; run: number; reason: AbortReason };

/**
 * One reader's lane as a small state machine: a card that arrives is checked at once; a card that
 * leaves aborts its check and clears the lane, whatever it showed. The machine does no I/O: the lane
 * (batch-lane.ts) feeds it the bridge's events and carries out its effects.
 */
export class LaneMachine {
  private current: LaneState = { name: 'empty' };
  private lastRun = 0;

  get state(): LaneState {
    return this.current;
  }

  /** Applies an input; returns the effects to carry out (start a check, abort one). */
  send(input: LaneInput): LaneEffect[] {
    const s = this.current;
    if (s.name === 'stopped') return [];
    const running = s.name === 'checking' || s.name === 'pin' ? s.run : undefined;
    const abort = (reason: AbortReason): LaneEffect[] => (running !== undefined ? [{ type: 'abort', run: running, reason }] : []);

    switch (input.type) {
      case 'stop':
        this.current = { name: 'stopped' };
        return abort('stop');
      case 'reader-gone':
        this.current = { name: 'gone' };
        return abort('card');
      case 'card-gone':
        this.current = { name: 'empty' };
        return abort('card');
      case 'offline':
        this.current = { name: 'offline', failure: input.failure };
        return abort('offline');
      case 'reader':
        if (!input.card) {
          // Whatever the lane showed belonged to the card that just left.
          this.current = { name: 'empty' };
          return abort('card');
        }
        // A card is in. While we check it, "in use" is our own session; after a result, the card stays put.
        if (s.name === 'empty' || s.name === 'in-use' || s.name === 'gone' || s.name === 'offline') {
          if (input.inUse) {
            this.current = { name: 'in-use' };
            return [];
          }
          return this.start(false);
        }
        return [];
      case 'recheck':
        if (s.name === 'done' || s.name === 'already' || s.name === 'error') return this.start(true);
        return [];
      default:
        return this.progress(input);
    }
  }

  /** The check's own news: only the running check's counts; an abandoned check's is ignored. */
  private progress(input: Extract<LaneInput, { run: number }>): LaneEffect[] {
    const s = this.current;
    if ((s.name !== 'checking' && s.name !== 'pin') || s.run !== input.run) return [];
    switch (input.type) {
      case 'sim-read':
        this.current = { name: 'checking', run: s.run, ...(input.iccid ? { iccid: input.iccid } : {}) };
        break;
      case 'step':
        this.current = { name: 'checking', run: s.run, ...(s.iccid ? { iccid: s.iccid } : {}), step: input.step };
        break;
      case 'pin-asked':
        this.current = {
          name: 'pin',
          run: s.run,
          ...(s.iccid ? { iccid: s.iccid } : {}),
          ...(input.triesLeft !== undefined ? { triesLeft: input.triesLeft } : {}),
        };
        break;
      case 'pin-answered':
        this.current = { name: 'checking', run: s.run, ...(s.iccid ? { iccid: s.iccid } : {}), step: 'pin' };
        break;
      case 'finished':
        this.current = { name: 'done', result: input.result };
        break;
      case 'declined':
        this.current = { name: 'already', iccid: input.iccid, previous: input.previous };
        break;
      case 'failed':
        this.current = { name: 'error', failure: input.failure };
        break;
    }
    return [];
  }

  private start(force: boolean): LaneEffect[] {
    const run = ++this.lastRun;
    this.current = { name: 'checking', run };
    return [{ type: 'start', run, force }];
  }
}

/** The lane as the page sees it. */
export function laneView(reader: string, s: LaneState): LaneView {
  switch (s.name) {
    case 'checking':
      return { reader, status: 'checking', ...(s.iccid ? { iccid: s.iccid } : {}), ...(s.step ? { step: s.step } : {}) };
    case 'pin':
      return {
        reader,
        status: 'pin',
        ...(s.iccid ? { iccid: s.iccid } : {}),
        ...(s.triesLeft !== undefined ? { triesLeft: s.triesLeft } : {}),
      };
    case 'done':
      return { reader, status: 'done', result: s.result };
    case 'already':
      return { reader, status: 'already', iccid: s.iccid, previous: s.previous };
    case 'error':
      return { reader, status: 'error', failure: s.failure };
    case 'offline':
      return { reader, status: 'offline', failure: s.failure };
    default:
      return { reader, status: s.name };
  }
}
