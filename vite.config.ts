import { defineConfig } from 'vitest/config';

const project = (name: string, root: string, extra: Record<string, unknown> = {}) => ({
  extends: true as const,
  test: { name, root, include: ['src/**/*.test.ts', 'test/**/*.test.ts'], ...extra },
});

export default defineConfig({
  test: {
    projects: [
      project('krypton-core', 'packages/krypton-core'),
      project('sim-transport', 'packages/sim-transport'),
      project('sim-check', 'packages/sim-check'),
      project('krypton-lab', 'packages/krypton-lab'),
      project('integration', 'packages/integration'),
      project('cli', 'apps/cli'),
      project('bridge', 'apps/bridge'),
      project('bridge-server', 'packages/bridge-server'),
      project('bench', 'packages/bench'),
      'apps/web/vitest.config.ts',
      project('workspace', '.', { include: ['test/**/*.test.ts'] }),
    ],
    passWithNoTests: false,
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
