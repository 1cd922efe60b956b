/**
 * MILENAGE test data from 3GPP TS 35.208 ("Design conformance test data"), §4.3, test sets 1 to 6.
 *
 * Sets 1 to 6 of TS 35.208 §4.3 are the same six sets that TS 35.207 §4.3 ("Implementors' test data")
 * publishes, so every value here was cross-checked against more than one independent public copy
 * (CryptoMobile test/test_Milenage.py, free5gc/util milenage/milenage_test.go, hostapd
 * tests/test-milenage.c). Each set is also checked by computation: OP gives OPc under K, and all
 * seven outputs follow from K, OPc, RAND, SQN and AMF.
 *
 * Set 2 note: hostapd's and srsRAN's copies of TS 35.208 §4.3.2 repeat set 1 word for word (same K,
 * RAND and outputs). A set whose inputs equal another set's is a copy error, so set 2 here is the
 * distinct set 2 (K 0396eb31…) published by CryptoMobile and free5gc/util; its OP → OPc and all
 * outputs check by computation. The test suite rejects any two sets that share an input.
 *
 * All values are hexadecimal, most significant byte first, exactly as printed in the specification.
 */
export interface MilenageTestSet {
  /** Test set number in TS 35.208 §4.3 (clause 4.3.n). */
  readonly set: number;
  /** Subscriber key K (16 bytes). */
  readonly k: string;
  /** Random challenge RAND (16 bytes). */
  readonly rand: string;
  /** Sequence number SQN (6 bytes). */
  readonly sqn: string;
  /** Authentication management field AMF (2 bytes). */
  readonly amf: string;
  /** Operator variant configuration field OP (16 bytes). */
  readonly op: string;
  /** OPc = OP ⊕ E_K(OP) (16 bytes). */
  readonly opc: string;
  /** f1 output, MAC-A (8 bytes). */
  readonly f1: string;
  /** f1* output, MAC-S (8 bytes). */
  readonly f1Star: string;
  /** f2 output, RES (8 bytes). */
  readonly f2: string;
  /** f3 output, CK (16 bytes). */
  readonly f3: string;
  /** f4 output, IK (16 bytes). */
  readonly f4: string;
  /** f5 output, AK (6 bytes). */
  readonly f5: string;
  /** f5* output, AK* (6 bytes). */
  readonly f5Star: string;
}

export const TS_35_208_TEST_SETS: readonly MilenageTestSet[] = [
  // 3GPP TS 35.208 §4.3, Test Set 1 (§4.3.1)
  {
    set: 1,
    k: '465b5ce8b199b49faa5f0a2ee238a6bc',
    rand: '23553cbe9637a89d218ae64dae47bf35',
    sqn: 'ff9bb4d0b607',
    amf: 'b9b9',
    op: 'cdc202d5123e20f62b6d676ac72cb318',
    opc: 'cd63cb71954a9f4e48a5994e37a02baf',
    f1: '4a9ffac354dfafb3',
    f1Star: '01cfaf9ec4e871e9',
    f2: 'a54211d5e3ba50bf',
    f3: 'b40ba9a3c58b2a05bbf0d987b21bf8cb',
    f4: 'f769bcd751044604127672711c6d3441',
    f5: 'aa689c648370',
    f5Star: '451e8beca43b',
  },
  // 3GPP TS 35.208 §4.3, Test Set 2 (§4.3.2); see the set 2 note above.
  {
    set: 2,
    k: '0396eb317b6d1c36f19c1c84cd6ffd16',
    rand: 'c00d603103dcee52c4478119494202e8',
    sqn: 'fd8eef40df7d',
    amf: 'af17',
    op: 'ff53bade17df5d4e793073ce9d7579fa',
    opc: '53c15671c60a4b731c55b4a441c0bde2',
    f1: '5df5b31807e258b0',
    f1Star: 'a8c016e51ef4a343',
    f2: 'd3a628ed988620f0',
    f3: '58c433ff7a7082acd424220f2b67c556',
    f4: '21a8c1f929702adb3e738488b9f5c5da',
    f5: 'c47783995f72',
    f5Star: '30f1197061c1',
  },
  // 3GPP TS 35.208 §4.3, Test Set 3 (§4.3.3)
  {
    set: 3,
    k: 'fec86ba6eb707ed08905757b1bb44b8f',
    rand: '9f7c8d021accf4db213ccff0c7f71a6a',
    sqn: '9d0277595ffc',
    amf: '725c',
    op: 'dbc59adcb6f9a0ef735477b7fadf8374',
    opc: '1006020f0a478bf6b699f15c062e42b3',
    f1: '9cabc3e99baf7281',
    f1Star: '95814ba2b3044324',
    f2: '8011c48c0c214ed2',
    f3: '5dbdbb2954e8f3cde665b046179a5098',
    f4: '59a92d3b476a0443487055cf88b2307b',
    f5: '33484dc2136b',
    f5Star: 'deacdd848cc6',
  },
  // 3GPP TS 35.208 §4.3, Test Set 4 (§4.3.4)
  {
    set: 4,
    k: '9e5944aea94b81165c82fbf9f32db751',
    rand: 'ce83dbc54ac0274a157c17f80d017bd6',
    sqn: '0b604a81eca8',
    amf: '9e09',
    op: '223014c5806694c007ca1eeef57f004f',
    opc: 'a64a507ae1a2a98bb88eb4210135dc87',
    f1: '74a58220cba84c49',
    f1Star: 'ac2cc74a96871837',
    f2: 'f365cd683cd92e96',
    f3: 'e203edb3971574f5a94b0d61b816345d',
    f4: '0c4524adeac041c4dd830d20854fc46b',
    f5: 'f0b9c08ad02e',
    f5Star: '6085a86c6f63',
  },
  // 3GPP TS 35.208 §4.3, Test Set 5 (§4.3.5)
  {
    set: 5,
    k: '4ab1deb05ca6ceb051fc98e77d026a84',
    rand: '74b0cd6031a1c8339b2b6ce2b8c4a186',
    sqn: 'e880a1b580b6',
    amf: '9f07',
    op: '2d16c5cd1fdf6b22383584e3bef2a8d8',
    opc: 'dcf07cbd51855290b92a07a9891e523e',
    f1: '49e785dd12626ef2',
    f1Star: '9e85790336bb3fa2',
    f2: '5860fc1bce351e7e',
    f3: '7657766b373d1c2138f307e3de9242f9',
    f4: '1c42e960d89b8fa99f2744e0708ccb53',
    f5: '31e11a609118',
    f5Star: 'fe2555e54aa9',
  },
  // 3GPP TS 35.208 §4.3, Test Set 6 (§4.3.6)
  {
    set: 6,
    k: '6c38a116ac280c454f59332ee35c8c4f',
    rand: 'ee6466bc96202c5a557abbeff8babf63',
    sqn: '414b98222181',
    amf: '4464',
    op: '1ba00a1a7c6700ac8c3ff3e96ad08725',
    opc: '3803ef5363b947c6aaa225e58fae3934',
    f1: '078adfb488241a57',
    f1Star: '80246b8d0186bcf1',
    f2: '16c8233f05a0ac28',
    f3: '3f8c7587fe8e4b233af676aede30ba3b',
    f4: 'a7466cc1e6b2a1337d49d3b66e95d7b4',
    f5: '45b0f69ab06c',
    f5Star: '1f53cd2b1113',
  },
];

/**
 * GSM values for the TS 35.208 sets above, as published in 3GPP TS 55.205 (GSM-MILENAGE) test data
 * and transcribed in hostapd tests/test-milenage.c. TS 55.205 test sets 1 to 5 use the K, RAND and
 * OPc of TS 35.208 sets 1, 3, 4, 5 and 6; TS 55.205 has no counterpart of set 2.
 *
 * `sres` equals c2(RES) = RES[0..31] ⊕ RES[32..63] and `kc` equals c3(CK, IK) =
 * CK[0..63] ⊕ CK[64..127] ⊕ IK[0..63] ⊕ IK[64..127] (TS 33.102 §6.8.1.2); both were checked by
 * computation against the RES, CK and IK of the matching set.
 */
export interface GsmConversionVector {
  /** The TS 35.208 §4.3 test set whose RES, CK and IK these come from. */
  readonly set: number;
  /** The test set number in TS 55.205. */
  readonly ts55205Set: number;
  /** SRES (4 bytes). */
  readonly sres: string;
  /** Kc (8 bytes). */
  readonly kc: string;
}

export const TS_55_205_GSM_VECTORS: readonly GsmConversionVector[] = [
  { set: 1, ts55205Set: 1, sres: '46f8416a', kc: 'eae4be823af9a08b' },
  { set: 3, ts55205Set: 2, sres: '8c308a5e', kc: 'aa01739b8caa976d' },
  { set: 4, ts55205Set: 3, sres: 'cfbce3fe', kc: '9a8ec95f408cc507' },
  { set: 5, ts55205Set: 4, sres: '9655e265', kc: 'cdc1dc0841b81a22' },
  { set: 6, ts55205Set: 5, sres: '13688f17', kc: 'df75bc5ea899879f' },
];
