import { OPERATION_NAMES, OPERATIONS, type OperationName } from '@krypton-web/krypton-core';
import type { Failure, OperationOutcome } from '../worker/api.ts';
import { asFailure } from './session.svelte.ts';
import type { WorkerApi } from './worker-api.ts';

export type ParamsCheck =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; key: 'ops.params.invalid'; error: string }
  | { ok: false; key: 'ops.params.notObject' }
  | { ok: false; key: 'ops.params.missing'; names: string[] };

/** Validates the parameters editor's text for an operation: JSON, an object, the required names present. */
export function checkParams(operation: OperationName, text: string): ParamsCheck {
  let value: unknown;
  try {
    value = JSON.parse(text.trim() === '' ? '{}' : text);
  } catch (e) {
    return { ok: false, key: 'ops.params.invalid', error: (e as Error).message };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, key: 'ops.params.notObject' };
  const o = value as Record<string, unknown>;
  const missing = OPERATIONS[operation].required.filter((k) => typeof o[k] !== 'string' || o[k] === '');
  if (missing.length > 0) return { ok: false, key: 'ops.params.missing', names: missing };
  return { ok: true, value: o };
}

/** A starting point for an operation's parameters. */
export function paramsTemplate(operation: OperationName): string {
  const required = OPERATIONS[operation].required;
  if (required.length === 0) return '{}';
  return JSON.stringify(Object.fromEntries(required.map((k) => [k, ''])), null, 2);
}

/** The Krypton operations panel: pick one, edit its JSON parameters, run it, view and save the answer. */
export class OperationsState {
  readonly names: readonly OperationName[] = OPERATION_NAMES;
  operation = $state<OperationName>('getSubscriberMetadata');
  paramsText = $state('{}');
  running = $state(false);
  outcome = $state<OperationOutcome | undefined>(undefined);
  failure = $state<Failure | undefined>(undefined);
  /** The full answer, once the person revealed it. */
  revealed = $state<{ display: string; files: Record<string, string> } | undefined>(undefined);
  readonly check: ParamsCheck = $derived(checkParams(this.operation, this.paramsText));
  readonly description = $derived(OPERATIONS[this.operation].description);
  /** Whether copy and download may use the answer (secrets only after a reveal). */
  readonly canSave = $derived(this.outcome !== undefined && (this.outcome.secretPaths.length === 0 || this.revealed !== undefined));

  /** Picks another operation: the previous one's answer (or failure) goes, so no answer sits under the wrong name. */
  choose(operation: OperationName): void {
    const wasTemplate = this.paramsText.trim() === paramsTemplate(this.operation).trim() || this.paramsText.trim() === '{}';
    if (operation !== this.operation) {
      this.outcome = undefined;
      this.revealed = undefined;
      this.failure = undefined;
    }
    this.operation = operation;
    if (wasTemplate) this.paramsText = paramsTemplate(operation);
  }

  async run(api: WorkerApi): Promise<void> {
    const check = this.check;
    if (!check.ok || this.running) return;
    this.running = true;
    this.failure = undefined;
    this.outcome = undefined;
    this.revealed = undefined;
    try {
      this.outcome = await api.runOperation(this.operation, check.value);
    } catch (e) {
      this.failure = asFailure(e);
    } finally {
      this.running = false;
    }
  }

  async reveal(api: WorkerApi): Promise<void> {
    if (!this.outcome) return;
    try {
      this.revealed = await api.revealOperation(this.outcome.id);
    } catch (e) {
      this.failure = asFailure(e);
    }
  }

  /** What copy and download take: the full answer when revealed or when it holds no secret. */
  async content(api: WorkerApi): Promise<{ display: string; files: Record<string, string> } | undefined> {
    if (!this.outcome) return undefined;
    if (this.revealed) return this.revealed;
    if (this.outcome.secretPaths.length > 0) return undefined;
    return api.revealOperation(this.outcome.id);
  }

  /** A PEM file of the answer; a secret one only once revealed. */
  async file(api: WorkerApi, name: string): Promise<string | undefined> {
    const file = this.outcome?.files.find((f) => f.name === name);
    if (!this.outcome || !file || (file.secret && !this.revealed)) return undefined;
    return this.revealed?.files[name] ?? api.operationFile(this.outcome.id, name);
  }

  /** File name for the answer. */
  fileName(): string {
    return this.outcome?.kind === 'text' ? `${this.operation}.txt` : `${this.operation}.json`;
  }
}
