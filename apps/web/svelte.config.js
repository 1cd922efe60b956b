/** Svelte settings shared by Vite, vitest and svelte-check: runes everywhere. */
export default {
  compilerOptions: { runes: true },
};
