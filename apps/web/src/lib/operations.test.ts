import { describe, expect, it } from 'vitest';
import { OPERATION_NAMES } from '@krypton-web/krypton-core';
import type { OperationOutcome } from '../worker/api.ts';
import { checkParams, OperationsState, paramsTemplate } from './operations.svelte.ts';
import { failureOf, fakeWorker } from './test-doubles.test-support.ts';

describe('Krypton operations panel', () => {
  it('offers every operation of krypton-core', () => {
    expect(new OperationsState().names).toEqual(OPERATION_NAMES);
  });

  it('validates the parameters: JSON, an object, the required names', () => {
    expect(checkParams('getSubscriberMetadata', '')).toEqual({ ok: true, value: {} });
    expect(checkParams('getSubscriberMetadata', '{"a":1')).toMatchObject({ ok: false, key: 'ops.params.invalid' });
    expect(checkParams('getSubscriberMetadata', '[1]')).toEqual({ ok: false, key: 'ops.params.notObject' });
    expect(checkParams('bootstrapInventoryDevice', '{}')).toEqual({ ok: false, key: 'ops.params.missing', names: ['endpoint'] });
    expect(checkParams('bootstrapInventoryDevice', '{"endpoint":"coaps://jp.inventory.soracom.io:5684"}')).toMatchObject({ ok: true });
  });

  it('switching operation replaces an untouched template, keeps edited parameters', () => {
    const ops = new OperationsState();
    ops.choose('getAzureIotDeviceRegistrationStatus');
    expect(ops.paramsText).toBe(paramsTemplate('getAzureIotDeviceRegistrationStatus'));
    expect(JSON.parse(ops.paramsText)).toEqual({ operationId: '' });
    ops.choose('bootstrapArc');
    expect(ops.paramsText).toBe('{}');
    ops.paramsText = '{"x":1}';
    ops.choose('bootstrapAwsIotThing');
    expect(ops.paramsText).toBe('{"x":1}');
  });

  it('runs, and allows copy and download of an answer with secrets only after a reveal', async () => {
    const outcome: OperationOutcome = {
      id: 7,
      operation: 'bootstrapAwsIotThing',
      kind: 'json',
      display: '{"privateKey":"••••"}',
      secretPaths: ['privateKey'],
      files: [{ name: 'private-key.pem', path: 'privateKey', secret: true }],
      durationMs: 12,
    };
    const full = { display: '{"privateKey":"-----BEGIN PRIVATE KEY-----"}', files: { 'private-key.pem': '-----BEGIN PRIVATE KEY-----\n' } };
    const w = fakeWorker({ runOperation: async () => outcome, revealOperation: async () => full, operationFile: async () => 'CERT' });
    const ops = new OperationsState();
    ops.choose('bootstrapAwsIotThing');
    await ops.run(w.api);
    expect(ops.outcome).toEqual(outcome);
    expect(ops.canSave).toBe(false);
    expect(await ops.content(w.api)).toBeUndefined();
    expect(await ops.file(w.api, 'private-key.pem')).toBeUndefined();
    await ops.reveal(w.api);
    expect(await ops.file(w.api, 'private-key.pem')).toBe('-----BEGIN PRIVATE KEY-----\n');
    expect(ops.canSave).toBe(true);
    expect(await ops.content(w.api)).toEqual(full);
    expect(ops.fileName()).toBe('bootstrapAwsIotThing.json');
  });

  it('choosing another operation clears the previous answer and its reveal; choosing the same one keeps it', async () => {
    const outcome: OperationOutcome = {
      id: 3,
      operation: 'getSubscriberMetadata',
      kind: 'json',
      display: '{}',
      secretPaths: [],
      files: [],
      durationMs: 5,
    };
    const w = fakeWorker({ runOperation: async () => outcome, revealOperation: async () => ({ display: '{}', files: {} }) });
    const ops = new OperationsState();
    await ops.run(w.api);
    await ops.reveal(w.api);
    ops.choose('getSubscriberMetadata');
    expect(ops.outcome).toEqual(outcome);
    ops.choose('getUserData');
    expect(ops.outcome).toBeUndefined();
    expect(ops.revealed).toBeUndefined();
    expect(ops.failure).toBeUndefined();
  });

  it('refuses to run invalid parameters, and keeps a refusal to show', async () => {
    const w = fakeWorker({
      runOperation: () =>
        Promise.reject(failureOf('OPERATION_REFUSED', { status: 404, serverCode: 'LAB0404', serverMessage: 'no registration' })),
    });
    const ops = new OperationsState();
    ops.paramsText = '{';
    await ops.run(w.api);
    expect(w.calls).not.toContain('runOperation');
    ops.paramsText = '{}';
    await ops.run(w.api);
    expect(ops.failure).toMatchObject({ code: 'OPERATION_REFUSED', details: { serverCode: 'LAB0404' } });
  });
});
