/**
 * The lab's demo SIMs, for the virtual SIM picker (the first screen does not load the lab's code;
 * a test checks this list against the lab's profiles).
 */
export const DEMO_SIMS = [
  { name: 'demo', en: 'demo — PIN disabled (happy path)', ja: 'demo — PIN 無効（通常の流れ）' },
  { name: 'demo-pin', en: 'demo-pin — PIN 1234 enabled', ja: 'demo-pin — PIN 1234 が有効' },
  { name: 'demo-blocked', en: 'demo-blocked — PIN blocked', ja: 'demo-blocked — PIN がロック済み' },
  { name: 'demo-even', en: 'demo-even — 14-digit IMSI', ja: 'demo-even — 14 桁の IMSI' },
  {
    name: 'demo-foreign',
    en: 'demo-foreign — network holds another key (MAC failure)',
    ja: 'demo-foreign — ネットワーク側の鍵が異なる（MAC 不一致）',
  },
] as const;
