import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Tests of the web app. State classes (`*.svelte.ts`) use runes, so the Svelte plugin must compile
 * them: the root config refers to this file for the `web` project. End-to-end tests drive Debian's
 * Chromium through playwright-core against a built `dist/` (built once per run, see test/e2e/support/build.ts).
 */
export default defineConfig({
  root,
  plugins: [svelte()],
  resolve: process.env.VITEST ? { conditions: ['browser'] } : {},
  test: {
    name: 'web',
    root,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 120_000,
    passWithNoTests: false,
  },
});
