import { explainStatusWord, formatStatusWord } from '../apdu/index.ts';
import { KryptonError } from '../errors/index.ts';

// Every failure the USIM commands report, worded for field staff: what happened, then what to do.

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** PIN_REQUIRED: the card wants PIN1 verified first (`6982`, TS 102 221 §10.2.1.4). */
export function pinRequired(triesLeft: number | undefined): KryptonError {
  const tries = triesLeft === undefined ? '' : ` (${plural(triesLeft, 'try', 'tries')} left)`;
  return new KryptonError('PIN_REQUIRED', `The SIM is locked with a PIN${tries}.`, "Enter the SIM's PIN, then try again.", {
    sw: 0x6982,
    ...(triesLeft === undefined ? {} : { triesLeft }),
  });
}

/** PIN_WRONG or PUK_WRONG: the code was refused with `63Cx`, x tries left. */
export function codeWrong(kind: 'PIN' | 'PUK', triesLeft: number, sw: number): KryptonError {
  return new KryptonError(
    kind === 'PIN' ? 'PIN_WRONG' : 'PUK_WRONG',
    `The ${kind} is wrong: ${plural(triesLeft, 'try', 'tries')} left.`,
    kind === 'PIN'
      ? `Check the PIN that came with the SIM and type it carefully; after ${plural(triesLeft, 'more wrong try', 'more wrong tries')} the SIM blocks and needs its PUK.`
      : `Check the PUK that came with the SIM; after ${plural(triesLeft, 'more wrong try', 'more wrong tries')} the SIM is blocked for good.`,
    { sw, triesLeft },
  );
}

/** PIN_LAST_TRY or PUK_LAST_TRY: one try is left, and the caller did not allow spending it. */
export function lastTry(kind: 'PIN' | 'PUK'): KryptonError {
  return new KryptonError(
    kind === 'PIN' ? 'PIN_LAST_TRY' : 'PUK_LAST_TRY',
    `Only one ${kind} try is left: a wrong ${kind} now ${kind === 'PIN' ? 'blocks the SIM' : 'blocks the SIM for good'}. Nothing was sent to the SIM.`,
    `Make sure you have the right ${kind}, then confirm that you want to use the last try.`,
    { triesLeft: 1 },
  );
}

/** PIN_BLOCKED: PIN1 has no tries left; `details.triesLeft` carries the PUK tries when the card said. */
export function pinBlocked(pukTriesLeft: number | undefined, sw: number): KryptonError {
  const puk = pukTriesLeft === undefined ? '' : ` (${plural(pukTriesLeft, 'PUK try', 'PUK tries')} left)`;
  return new KryptonError(
    'PIN_BLOCKED',
    "The SIM's PIN is blocked after too many wrong tries.",
    `Unblock it with the PUK from the SIM's card holder or its provider${puk}.`,
    { sw, ...(pukTriesLeft === undefined ? {} : { triesLeft: pukTriesLeft }) },
  );
}

/** PUK_BLOCKED: the PUK has no tries left; the card can no longer be unblocked. */
export function pukBlocked(sw: number): KryptonError {
  return new KryptonError(
    'PUK_BLOCKED',
    "The SIM's PUK is blocked: this SIM can no longer be unlocked.",
    "Ask the SIM's provider for a replacement SIM.",
    {
      sw,
      triesLeft: 0,
    },
  );
}

/** PIN_DISABLED: CHANGE PIN needs PIN1 enabled (TS 102 221 §11.1.10); a disabled PIN cannot be changed. */
export function pinDisabled(sw?: number): KryptonError {
  return new KryptonError(
    'PIN_DISABLED',
    "The SIM's PIN is disabled, so it cannot be changed. Nothing was changed.",
    'Enable the PIN first (with its current code), then change it.',
    sw === undefined ? {} : { sw },
  );
}

/** MAC_FAILURE: the card rejected AUTN (`9862`, TS 31.102 §7.3.1). */
export function macFailure(): KryptonError {
  return new KryptonError(
    'MAC_FAILURE',
    "The SIM does not recognise this network's challenge: wrong network or wrong keys. This is not retryable.",
    'Check that this SIM belongs to the SORACOM account and coverage (Global or Japan) you are using; trying again will fail the same way.',
    { sw: 0x9862 },
  );
}

/** NO_USIM: the card has no USIM application that can be selected. */
export function noUsim(why: string, sw?: number): KryptonError {
  return new KryptonError(
    'NO_USIM',
    `The card has no usable USIM application: ${why}.`,
    'Use a 3G/4G IoT SIM (a USIM), such as a SORACOM IoT SIM, and check it is inserted the right way.',
    sw === undefined ? {} : { sw },
  );
}

/** CARD_ERROR: an answer no rule above covers, with the status word explained. */
export function cardError(sw: number, what: string): KryptonError {
  return new KryptonError(
    'CARD_ERROR',
    `The SIM refused ${what}: ${explainStatusWord(sw)} (status ${formatStatusWord(sw)}).`,
    'Reinsert the card (or reconnect the modem) and try again; if it keeps happening, the card may be faulty or not a USIM.',
    { sw },
  );
}

/** TRANSPORT_BUSY at the USIM level: a second operation while one is running on the same session. */
export function sessionBusy(): KryptonError {
  return new KryptonError(
    'TRANSPORT_BUSY',
    'The SIM is busy with another operation.',
    'Wait for the running operation to finish, then try again.',
  );
}
