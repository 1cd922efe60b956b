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
    rules: {
      // `async` is how this code says "returns a promise": it also turns a synchronous throw into a
      // rejection, which the transport and worker contracts rely on. An async body with no await is fine.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-console': 'error',
      // The session worker throws plain `Failure` objects on purpose: comlink passes them to the page
      // whole (code, action, step), where an Error would arrive as a bare message.
      '@typescript-eslint/only-throw-error': ['error', { allow: [{ from: 'file', name: 'Failure', path: 'apps/web/src/worker/api.ts' }] }],
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allow: [{ from: 'file', name: 'Failure', path: 'apps/web/src/worker/api.ts' }], allowThrowingUnknown: true },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      // A `let` assigned once after closures that read it were made (a link its own callbacks mention) stays a let.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.test.ts', '**/*.test-support.ts', '**/test/**'],
    rules: {
      // Tests print what they measure ("printed, not asserted").
      'no-console': 'off',
      // vitest's asymmetric matchers (expect.stringContaining, expect.any, …) are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      // Tests throw and reject with odd values on purpose: the code under test must cope with them.
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/bin/*'],
    ...tseslint.configs.disableTypeChecked,
  },
);
