import { childByFid, isWithin, type DedicatedFile, type ElementaryFile, type FileNode } from './file-system.ts';
import { FID, type UsimFileTree } from './usim-file-tree.ts';

/** The volatile selection state of the basic logical channel (TS 102 221 §8.2). */
export interface Selection {
  /** The current DF: the last selected DF, or the parent of the current EF. */
  readonly df: DedicatedFile;
  /** The current EF, if the last successful selection was an EF. */
  readonly ef?: ElementaryFile;
  /** The active application (last ADF selected since reset), which `7FFF` refers to. */
  readonly application?: DedicatedFile;
  /** Record pointer of the current linear fixed EF (1-based), unset right after selection. */
  readonly record?: number;
}

/** Selection after a reset: the MF is current and no application is active (TS 102 221 §8.2). */
export function initialSelection(tree: UsimFileTree): Selection {
  return { df: tree.mf };
}

/** The selection state after selecting a node (a DF becomes current; an EF makes its parent current). */
export function selectionAfter(tree: UsimFileTree, current: Selection, node: FileNode): Selection {
  const df = node.kind === 'df' ? node : node.parent!;
  // Selecting an ADF (or a file inside one) activates that application; leaving it for the MF
  // keeps the application active, as an application stays active until it is terminated.
  const application = tree.applications.find((a) => isWithin(df, a)) ?? current.application;
  const base = application ? { df, application } : { df };
  return node.kind === 'df' ? base : { ...base, ef: node };
}

/**
 * Resolves SELECT by file identifier (P1=00) with the rules of TS 102 221 §8.4.1: the MF (3F00),
 * the current application (7FFF, §8.5), the current DF, a child of the current DF, the parent of the
 * current DF, or a DF that is a sibling of the current DF.
 */
export function resolveFileId(tree: UsimFileTree, sel: Selection, fid: number): FileNode | undefined {
  if (fid === FID.MF) return tree.mf;
  if (fid === FID.ADF_USIM) return sel.application;
  if (fid === sel.df.fid) return sel.df;
  const child = childByFid(sel.df, fid);
  if (child) return child;
  const parent = sel.df.parent;
  if (parent && parent.fid === fid) return parent;
  const sibling = parent ? childByFid(parent, fid) : undefined;
  return sibling?.kind === 'df' ? sibling : undefined;
}

/**
 * Resolves SELECT by DF name (P1=04): an ADF whose AID starts with the given bytes (TS 102 221 §8.5.2),
 * or, on a card that does not do partial selection, only one whose AID is exactly those bytes.
 */
export function resolveDfName(tree: UsimFileTree, name: Uint8Array, partial = true): DedicatedFile | undefined {
  return tree.applications.find(
    (adf) =>
      adf.aid !== undefined &&
      (partial ? name.length <= adf.aid.length : name.length === adf.aid.length) &&
      name.every((b, i) => adf.aid![i] === b),
  );
}

/**
 * Resolves SELECT by path (P1=08 from the MF, P1=09 from the current DF), the path given without the
 * identifier of its starting DF (TS 102 221 §8.4.2). A leading 7FFF names the current application.
 */
export function resolvePath(tree: UsimFileTree, sel: Selection, path: readonly number[], fromMf: boolean): FileNode | undefined {
  let node: FileNode | undefined = fromMf ? tree.mf : sel.df;
  path.forEach((fid, i) => {
    if (node === undefined || node.kind !== 'df') node = undefined;
    else if (i === 0 && fid === FID.ADF_USIM) node = sel.application;
    else node = childByFid(node, fid);
  });
  return node;
}
