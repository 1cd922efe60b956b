/** Instruction bytes the virtual USIM implements (TS 102 221 §10.1.2, Table 10.5). */
export const INS = {
  SELECT: 0xa4,
  STATUS: 0xf2,
  READ_BINARY: 0xb0,
  READ_RECORD: 0xb2,
  GET_RESPONSE: 0xc0,
  VERIFY_PIN: 0x20,
  CHANGE_PIN: 0x24,
  DISABLE_PIN: 0x26,
  ENABLE_PIN: 0x28,
  UNBLOCK_PIN: 0x2c,
  AUTHENTICATE: 0x88,
} as const;

/** How a command's CLA must be coded: `0X` (ISO interindustry) or `8X` (proprietary, e.g. STATUS). */
export type ClassFamily = 'interindustry' | 'proprietary';

/** The class family each instruction is defined in (TS 102 221 Table 10.5). */
export const INS_CLASS: ReadonlyMap<number, ClassFamily> = new Map<number, ClassFamily>([
  [INS.SELECT, 'interindustry'],
  [INS.STATUS, 'proprietary'],
  [INS.READ_BINARY, 'interindustry'],
  [INS.READ_RECORD, 'interindustry'],
  [INS.GET_RESPONSE, 'interindustry'],
  [INS.VERIFY_PIN, 'interindustry'],
  [INS.CHANGE_PIN, 'interindustry'],
  [INS.DISABLE_PIN, 'interindustry'],
  [INS.ENABLE_PIN, 'interindustry'],
  [INS.UNBLOCK_PIN, 'interindustry'],
  [INS.AUTHENTICATE, 'interindustry'],
]);
