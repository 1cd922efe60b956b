import { readFile } from 'node:fs/promises';
import { parseProfileSet, ProfileError, type ProfileSet } from './profile-set.ts';

/** Reads and validates a profile set (or a single SIM profile) from a JSON file. */
export async function loadProfileSetFile(path: string): Promise<ProfileSet> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ProfileError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProfileError(`${path} is not valid JSON`);
  }
  return parseProfileSet(json, path);
}
