import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '@krypton-web/krypton-core';
import { demoProfileSet, findSim } from '../profiles/index.ts';
import { readTlvs } from './card-test-kit.test-support.ts';
import { fcpTemplate } from './fcp.ts';
import { mncLengthForImsi } from './mnc-length.ts';
import { allFiles, applicationTemplate, buildUsimFileTree, msisdnRecord, USIM_AID } from './usim-file-tree.ts';

const demo = findSim(demoProfileSet(), 'demo');

describe('USIM file tree', () => {
  it('uses a USIM AID with the registered prefix A0 00 00 00 87 10 02', () => {
    expect(USIM_AID.length).toBe(16);
    expect(toHex(USIM_AID.slice(0, 7))).toBe('a0000000871002');
  });

  it('lists the USIM in EF_DIR as 61 LL 4F 10 <AID> 50 04 "USIM", padded with FF', () => {
    const tree = buildUsimFileTree(demo);
    const dir = tree.mf.children.find((c) => c.fid === 0x2f00)!;
    if (dir.kind !== 'linear-fixed') throw new Error('EF_DIR must be linear fixed');
    expect(toHex(dir.records[0]!)).toBe(`61184f10${toHex(USIM_AID)}50045553494d` + 'ff'.repeat(12));
    expect(toHex(applicationTemplate(USIM_AID, 'USIM'))).toBe(`61184f10${toHex(USIM_AID)}50045553494d`);
  });

  it('stores the ICCID in swapped BCD with F padding', () => {
    const tree = buildUsimFileTree(demo);
    const iccid = tree.mf.children.find((c) => c.fid === 0x2fe2)!;
    if (iccid.kind !== 'transparent') throw new Error('EF_ICCID must be transparent');
    expect(toHex(iccid.content)).toBe('981801000000000010f6');
  });

  it.each([
    ['001010000000001', undefined, '00000002'],
    ['310150123456789', undefined, '00000003'],
    ['440103123456789', undefined, '00000002'],
    ['001010000000001', 3 as const, '00000003'],
  ])('writes EF_AD for IMSI %s (override %s) as %s', (imsi, mncLength, content) => {
    const tree = buildUsimFileTree({ ...demo, imsi }, mncLength === undefined ? {} : { mncLength });
    const ad = tree.adfUsim.children.find((c) => c.fid === 0x6fad)!;
    if (ad.kind !== 'transparent') throw new Error('EF_AD must be transparent');
    expect(toHex(ad.content)).toBe(content);
  });

  it('guesses three-digit MNCs only for North American and a few Latin American MCCs', () => {
    expect(['302720', '310260', '316010', '334020', '722070', '732101'].map(mncLengthForImsi)).toEqual([3, 3, 3, 3, 3, 3]);
    expect(['440103', '001010', '262010', '234150', '404100'].map(mncLengthForImsi)).toEqual([2, 2, 2, 2, 2]);
  });

  it('encodes EF_MSISDN: blank alpha, length, TON/NPI 91, swapped BCD, FF tail; blank when there is no MSISDN', () => {
    expect(toHex(msisdnRecord('810000000001'))).toBe('ff'.repeat(14) + '07' + '91' + '180000000010ffffffff' + 'ffff');
    expect(toHex(msisdnRecord('123'))).toBe('ff'.repeat(14) + '03' + '91' + '21f3ffffffffffffffff' + 'ffff');
    expect(toHex(msisdnRecord(''))).toBe('ff'.repeat(28));
  });

  it('gives every file a well-formed FCP whose inner TLVs fill the template exactly', () => {
    const tree = buildUsimFileTree(demo);
    for (const node of allFiles(tree)) {
      const fcp = fcpTemplate(node, { pin1Enabled: true, pin2Enabled: false });
      const [outer, ...rest] = readTlvs(fcp);
      expect(rest).toEqual([]);
      expect(outer!.tag).toBe(0x62);
      const inner = readTlvs(outer!.value);
      expect(inner[0]!.tag).toBe(0x82);
      expect(toHex(inner[1]!.value)).toBe(node.fid.toString(16).padStart(4, '0'));
    }
  });

  it('builds a tree for any valid IMSI, ICCID and MSISDN', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{6,15}$/),
        fc.stringMatching(/^[0-9]{18,20}$/),
        fc.stringMatching(/^[0-9]{0,15}$/),
        (imsi, iccid, msisdn) => {
          const tree = buildUsimFileTree({ ...demo, imsi, iccid, msisdn });
          expect(allFiles(tree).length).toBe(9);
        },
      ),
    );
  });
});
