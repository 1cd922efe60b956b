// What the PIN forms accept before they send anything: the SIM's own rules (TS 31.102 PIN1 and
// its PUK), checked in the page so a malformed code never spends one of the card's tries.

/** Whether `code` is a PIN as SIMs take it: 4 to 8 digits. */
export const isPin = (code: string): boolean => /^[0-9]{4,8}$/.test(code);

/** Whether `code` is a PUK: exactly 8 digits. */
export const isPuk = (code: string): boolean => /^[0-9]{8}$/.test(code);

/** Whether a new PIN may be sent: a PIN, typed the same in both fields. */
export const newPinReady = (newPin: string, repeat: string): boolean => isPin(newPin) && newPin === repeat;
