import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '@krypton-web/krypton-lab';
import { runCli } from '../src/run.ts';

// -cellular: no SIM, no key, no signature; the lab's cellular endpoint plays SORACOM Air.
let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const paths: string[] = [];
  const code = await runCli(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { KRYPTON_CLI_CACHE_DIR: '/nonexistent/cache', KRYPTON_CLI_CONFIG_DIR: '/nonexistent/config' },
    home: '/nonexistent-home',
    fetch: async (input, init) => {
      paths.push(new URL(input instanceof Request ? input.url : String(input)).pathname);
      return fetch(input, init);
    },
  });
  return { code, stdout, stderr, paths };
}

describe('-cellular', () => {
  it('calls the provisioning API without touching any SIM or the Keys API', async () => {
    lab.cellularImsi = '001010000000001';
    const before = lab.keys.size;
    const r = await run([
      '-cellular',
      '-provisioning-api-endpoint-url',
      lab.urls.cellular,
      '-operation',
      'getSubscriberMetadata',
      '-interface',
      'comm',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { imsi: string }).imsi).toBe('001010000000001');
    expect(r.paths).toEqual(['/v1/provisioning/soracom/air/subscriber_metadata']);
    expect(lab.keys.size).toBe(before);
  });

  it("says the machine is not on SORACOM Air when the endpoint refuses, after SORACOM's status line and body", async () => {
    lab.cellularImsi = null;
    const r = await run(['-cellular', '-provisioning-api-endpoint-url', lab.urls.cellular, '-operation', 'getUserData']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('unsuccessful response: 403 Forbidden');
    expect(lines[2]).toMatch(
      /^This computer is not online through SORACOM Air: the cellular endpoint refused the call \(HTTP 403\) \(CEL0403: /,
    );
    lab.cellularImsi = '001010000000001';
  });
});
