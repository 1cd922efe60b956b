import { CliError } from '../errors.ts';
import type { LinkContext } from './open-link.ts';
import type { SimLink } from './sim-link.ts';

/** The first PC/SC reader holding a card (SORACOM's CLI takes the first reader, card or not). */
export async function openPcscLink(_ctx: LinkContext): Promise<SimLink> {
  throw new CliError('the PC/SC link (-interface iso7816) is not available in this build yet', 'Use -interface comm with a USB modem, or -interface virtual with the lab', 'TRANSPORT_FAILED');
}

/** Opens every reader with a card, for autoDetect; none while PC/SC is unavailable. */
export async function pcscCandidates(_ctx: LinkContext): Promise<{ name: string; open: () => Promise<SimLink> }[]> {
  return [];
}
