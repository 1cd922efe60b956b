/**
 * The UICC file model of TS 102 221 §8: a master file, dedicated files (an ADF is a DF with a name),
 * and elementary files that are either transparent or linear fixed.
 */

/** The access condition for reading an EF; updates are not offered by this card. */
export type ReadAccess = 'always' | 'pin1';

/** Where the file's access rules live: a record of an EF_ARR (referenced format, TS 102 221 §9.2.7). */
export interface ArrReference {
  readonly fid: number;
  readonly record: number;
}

interface FileBase {
  readonly fid: number;
  /** Name used in traces and tests, e.g. `EF_IMSI`. */
  readonly name: string;
  readonly arr: ArrReference;
  /** The DF holding this file; undefined only for the MF. An ADF's parent is the MF. */
  parent: DedicatedFile | undefined;
}

/** The MF, a DF or an ADF. */
export interface DedicatedFile extends FileBase {
  readonly kind: 'df';
  /** The application identifier when this DF is an ADF. */
  readonly aid?: Uint8Array;
  readonly children: FileNode[];
}

/** A transparent EF: one byte string read with READ BINARY. */
export interface TransparentEf extends FileBase {
  readonly kind: 'transparent';
  readonly sfi?: number;
  readonly read: ReadAccess;
  readonly content: Uint8Array;
}

/** A linear fixed EF: records of one length read with READ RECORD. */
export interface LinearFixedEf extends FileBase {
  readonly kind: 'linear-fixed';
  readonly sfi?: number;
  readonly read: ReadAccess;
  readonly recordLength: number;
  readonly records: readonly Uint8Array[];
}

/** An elementary file of either structure. */
export type ElementaryFile = TransparentEf | LinearFixedEf;
/** Any node of the file tree. */
export type FileNode = DedicatedFile | ElementaryFile;

/** Returns the number of data bytes an EF holds (TS 102 221 §11.1.1.4.1, tag 80). */
export function efSize(ef: ElementaryFile): number {
  return ef.kind === 'transparent' ? ef.content.length : ef.recordLength * ef.records.length;
}

/** Finds a direct child of a DF by file identifier. */
export function childByFid(df: DedicatedFile, fid: number): FileNode | undefined {
  return df.children.find((c) => c.fid === fid);
}

/** Finds an EF of a DF by short file identifier (TS 102 221 §8.3). */
export function childBySfi(df: DedicatedFile, sfi: number): ElementaryFile | undefined {
  for (const c of df.children) if (c.kind !== 'df' && c.sfi !== undefined && c.sfi === sfi) return c;
  return undefined;
}

/** Whether a node is the given DF or lies below it. */
export function isWithin(node: FileNode, df: DedicatedFile): boolean {
  for (let n: FileNode | undefined = node; n; n = n.parent) if (n === df) return true;
  return false;
}

/** Attaches children to a DF, setting their parent links. */
export function adopt(df: DedicatedFile, ...children: FileNode[]): DedicatedFile {
  for (const c of children) {
    if (childByFid(df, c.fid)) throw new Error(`${df.name}: file id ${c.fid.toString(16)} appears twice`);
    c.parent = df;
    df.children.push(c);
  }
  return df;
}
