import { commandData, type CommandApdu } from './apdu.ts';
import type { CardSession } from './card-session.ts';
import { INS } from './instructions.ts';
import { decodePinBlock, PIN_BLOCK_LENGTH, type PinCounter } from './pin.ts';
import { reply, type Reply } from './reply.ts';
import { SW } from './status-words.ts';

/** Key references (TS 102 221 §9.5.1): PIN1 is global key 01, PIN2 is the application's local key 81. */
const KEY_PIN1 = 0x01;
const KEY_PIN2 = 0x81;

/**
 * VERIFY, CHANGE, DISABLE, ENABLE and UNBLOCK PIN (TS 102 221 §11.1.9–§11.1.13). P1 must be 00,
 * P2 names the PIN (`6A88` for any other key), data are 8-byte PIN blocks (`6A80` when malformed).
 */
export function pinCommand(apdu: CommandApdu, session: CardSession): Reply {
  if (apdu.p1 !== 0x00) return reply(SW.WRONG_P1P2);
  const pin = pinFor(apdu.p2, session);
  if (pin === undefined) return reply(SW.REFERENCE_NOT_FOUND);
  const data = commandData(apdu);
  if (data === undefined) return reply(SW.WRONG_LENGTH);

  switch (apdu.ins) {
    case INS.VERIFY_PIN: {
      if (data.length === 0) return reply(pin.status());
      return withBlocks(data, 1, ([block]) => pin.verify(block!));
    }
    case INS.CHANGE_PIN:
      return withBlocks(data, 2, ([oldBlock, newBlock]) => pin.change(oldBlock!, decodePinBlock(newBlock!)!));
    case INS.DISABLE_PIN:
      return withBlocks(data, 1, ([block]) => pin.disable(block!));
    case INS.ENABLE_PIN:
      return withBlocks(data, 1, ([block]) => pin.enable(block!));
    case INS.UNBLOCK_PIN: {
      if (data.length === 0) return reply(pin.unblockStatus());
      return withBlocks(data, 2, ([pukBlock, newBlock]) => pin.unblock(pukBlock!, decodePinBlock(newBlock!)!));
    }
    default:
      return reply(SW.INS_NOT_SUPPORTED);
  }
}

function pinFor(keyReference: number, session: CardSession): PinCounter | undefined {
  if (keyReference === KEY_PIN1) return session.pin1;
  if (keyReference === KEY_PIN2) return session.pin2;
  return undefined;
}

// Splits the data field into `count` PIN blocks after checking Lc and the format of every block.
function withBlocks(data: Uint8Array, count: number, run: (blocks: Uint8Array[]) => number): Reply {
  if (data.length !== count * PIN_BLOCK_LENGTH) return reply(SW.WRONG_LENGTH);
  const blocks = Array.from({ length: count }, (_, i) => data.slice(i * PIN_BLOCK_LENGTH, (i + 1) * PIN_BLOCK_LENGTH));
  if (blocks.some((b) => decodePinBlock(b) === undefined)) return reply(SW.WRONG_DATA);
  return reply(run(blocks));
}
