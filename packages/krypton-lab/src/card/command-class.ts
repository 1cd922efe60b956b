import { INS_CLASS, type ClassFamily } from './instructions.ts';
import { SW } from './status-words.ts';

/**
 * Checks CLA and INS together (TS 102 221 §10.1.1): `0X`/`8X` carry logical channels 0–3 in b2..b1
 * and secure messaging in b4..b3; `4X`/`CX` address channels 4–19. Only channel 0 without secure
 * messaging exists on this card. `A0` (GSM) and every other coding is an unsupported class.
 * Returns the status word that rejects the command, or undefined when it may run.
 */
export function checkClassAndInstruction(cla: number, ins: number): number | undefined {
  const family = classFamily(cla);
  if (family === undefined) return SW.CLA_NOT_SUPPORTED;
  if (family.channel !== 0) return SW.CHANNEL_NOT_SUPPORTED;
  if (family.secureMessaging) return SW.SECURE_MESSAGING_NOT_SUPPORTED;
  const expected = INS_CLASS.get(ins);
  if (expected === undefined) return SW.INS_NOT_SUPPORTED;
  if (expected !== family.family) return SW.CLA_NOT_SUPPORTED;
  return undefined;
}

interface ClassCoding {
  family: ClassFamily;
  channel: number;
  secureMessaging: boolean;
}

function classFamily(cla: number): ClassCoding | undefined {
  const family: ClassFamily = (cla & 0x80) === 0 ? 'interindustry' : 'proprietary';
  switch (cla & 0x70) {
    case 0x00: // 0X / 8X: b4..b3 secure messaging, b2..b1 channel 0..3.
      return { family, channel: cla & 0x03, secureMessaging: (cla & 0x0c) !== 0 };
    case 0x40: // 4X / CX: b4..b1 = channel − 4; b6 secure messaging.
      return { family, channel: 4 + (cla & 0x0f), secureMessaging: (cla & 0x20) !== 0 };
    default: // 1X (command chaining), 2X, 3X, 5X–7X, A0 (GSM) and the like.
      return undefined;
  }
}
