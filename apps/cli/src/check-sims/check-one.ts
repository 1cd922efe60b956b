import { defaultCardPaths, KryptonClient, Usim, type FetchLike, type KryptonEndpoint } from '@krypton-web/krypton-core';
import {
  describeError,
  kryptonForCheck,
  runCheck,
  simForCheck,
  type CheckCredentials,
  type CheckProblem,
  type CheckResult,
  type CheckS3,
  type Checklist,
} from '@krypton-web/sim-check';
import type { SimConnection } from '../links/sim-connection.ts';
import type { BatchPin } from './pin.ts';

/** What every check of a batch shares. */
export interface BatchSettings {
  batchId: string;
  checklist: Checklist;
  endpoint: KryptonEndpoint;
  cognitoEndpoint: string | undefined;
  /** Needed when the checklist has an S3 probe. */
  s3: CheckS3 | undefined;
  pin: BatchPin;
  /** The batch's last completed check of a SIM, if any; undefined also when --recheck. */
  previous: (iccid: string) => CheckResult | undefined;
  /** The S3 probe's region when neither the checklist nor the group's userdata names one. */
  defaultRegion?: string;
  fetch?: FetchLike;
}

/** How one check ended: a result, or the SIM was checked already (no check ran). */
export type SimOutcome =
  { kind: 'checked'; result: CheckResult; credentials: CheckCredentials | undefined } | { kind: 'already-checked'; previous: CheckResult };

/** Where a command line has a better answer than the web app's screens. */
const CLI_ACTIONS: Partial<Record<string, string>> = {
  PIN_REQUIRED: 'Set KRYPTON_SIM_PIN (or run check-sims in a terminal to be asked), then check it again with --recheck',
  PIN_BLOCKED:
    'Only its PUK unblocks it (on the SIM’s card carrier; the web app’s SIM panel or any tool that sends UNBLOCK PIN), then check it again',
  PIN_LAST_TRY: 'Only one PIN try is left and check-sims never spends it: verify the PIN yourself with the right one, then check it again',
  TRANSPORT_BUSY: 'Another program is using the SIM: close it, then put the SIM in again',
};

/**
 * Checks the SIM on an opened connection with sim-check's runCheck, over krypton-core's Usim and a
 * Krypton client of its own (an in-memory key cache: the check proves a fresh key agreement, and no
 * key of a checked SIM is kept on disk). `signal` aborts the check (card removed, Ctrl-C).
 */
export async function checkSim(connection: SimConnection, lane: string, batch: BatchSettings, signal: AbortSignal): Promise<SimOutcome> {
  // The check reads the ICCID first, which keys the card's path: a SIM checked again goes straight.
  const usim =
    connection.usim ??
    new Usim(connection.transport, {
      cardPaths: defaultCardPaths,
      ...(connection.imsiSource ? { imsiSource: connection.imsiSource } : {}),
      ...(connection.simInfoSource ? { simInfoSource: connection.simInfoSource } : {}),
    });
  const client = new KryptonClient({ endpoint: batch.endpoint, sim: usim, ...(batch.fetch ? { fetch: batch.fetch } : {}) });
  let previous: CheckResult | undefined;
  let credentials: CheckCredentials | undefined;
  let pinUsed: string | undefined;
  const result = await runCheck({
    batchId: batch.batchId,
    lane,
    checklist: batch.checklist,
    sim: simForCheck(usim),
    krypton: kryptonForCheck(client, batch.cognitoEndpoint ? { cognitoEndpoint: batch.cognitoEndpoint } : {}),
    ...(batch.s3 ? { s3: batch.s3 } : {}),
    pin: async (request) => (pinUsed = await batch.pin.get(request)),
    onSimRead: (sim) => {
      previous = sim.iccid ? batch.previous(sim.iccid) : undefined;
      return previous === undefined;
    },
    onCredentials: (c) => (credentials = c),
    signal,
    describe: describeForCli,
    ...(batch.defaultRegion ? { defaultRegion: batch.defaultRegion } : {}),
  });
  if (!result) return { kind: 'already-checked', previous: previous! };
  if (result.failedStep === 'pin' && result.problem?.code === 'PIN_WRONG') batch.pin.wrong(pinUsed, result.iccid);
  const withActions = forCli(result);
  // Credentials of a failed check are not the batch's to use (the upload takes a passing SIM's).
  return { kind: 'checked', result: withActions, credentials: withActions.verdict === 'FAIL' ? undefined : credentials };
}

/** A thrown error as a problem, with the CLI's action where it has a better one. */
function describeForCli(e: unknown): CheckProblem {
  return withCliAction(describeError(e));
}

function withCliAction(problem: CheckProblem): CheckProblem {
  const action = CLI_ACTIONS[problem.code];
  return action ? { ...problem, action } : problem;
}

/** The result with the CLI's actions in its problems (runCheck's own PIN problems speak of the web app's screens). */
function forCli(result: CheckResult): CheckResult {
  return {
    ...result,
    ...(result.problem ? { problem: withCliAction(result.problem) } : {}),
    steps: result.steps.map((s) => (s.problem ? { ...s, problem: withCliAction(s.problem) } : s)),
  };
}
