// ESLint for the whole workspace: JavaScript's and TypeScript's recommended rules with type
// information (floating promises, misused promises and unsafe `any` are real bugs in link and
// protocol code), Svelte's recommended rules for the app, and the house rules that no compiler
// checks. `pnpm lint` runs it with zero warnings allowed; Prettier owns formatting.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import svelteConfig from './apps/web/svelte.config.js';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/test-results/**', '**/.lab-data/**', 'apps/web/public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node, ...globals.browser },
      parserOptions: {
        // Explicit projects, not the project service: core's and sim-transport's tests live in a
        // second tsconfig (their main one keeps Node types out of browser code).
        project: [
          './tsconfig.json',
          './packages/*/tsconfig.json',
          './packages/*/tsconfig.test.json',
          './apps/*/tsconfig.json',
          './tools/*/tsconfig.json',
          './test/tsconfig.json',
        ],
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, svelteConfig } },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/bin/*'],
    ...tseslint.configs.disableTypeChecked,
  },
);
