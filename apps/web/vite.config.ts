import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const bridge = process.env.KRYPTON_BRIDGE_URL ?? 'http://127.0.0.1:8787';

/**
 * The AWS SDK's browser build parses XML with DOMParser, which dedicated workers do not have. Its
 * other parser (the Node build's) is plain JavaScript: the worker uses that one.
 */
function xmlParserWithoutDom(): Plugin {
  return {
    name: 'krypton-web:aws-xml-parser-without-dom',
    enforce: 'pre',
    load(id) {
      if (/[\\/]@aws-sdk[\\/]xml-builder[\\/]dist-es[\\/]xml-parser\.browser\.js$/.test(id)) return "export * from './xml-parser.js';";
      return undefined;
    },
  };
}

/**
 * The web app: Svelte 5 on the page, krypton-core and the AWS SDK in an ES-module worker.
 * `vite build` writes `apps/web/dist`, which the bridge serves.
 */
export default defineConfig({
  root,
  base: './',
  plugins: [svelte(), xmlParserWithoutDom()],
  worker: { format: 'es', plugins: () => [xmlParserWithoutDom()] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: true,
    manifest: true,
    chunkSizeWarningLimit: 1500,
    // The download service worker is a second entry, at a fixed name beside index.html (a service
    // worker's scope is bounded by its script's folder, and the page registers it by name).
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('index.html', import.meta.url)),
        'download-sw': fileURLToPath(new URL('src/sw/download-sw.ts', import.meta.url)),
      },
      output: { entryFileNames: (chunk) => (chunk.name === 'download-sw' ? 'download-sw.js' : 'assets/[name]-[hash].js') },
    },
  },
  // `pnpm --filter @krypton-web/web dev` beside `pnpm bridge --lab --allow-origin http://localhost:5173`:
  // the bridge's config, Krypton proxy and WebSocket reach the dev page as if it served it.
  server: {
    port: 5173,
    strictPort: false,
    proxy: {
      '/api': { target: bridge, changeOrigin: true },
      '/krypton': { target: bridge, changeOrigin: true },
      '/ws': { target: bridge.replace(/^http/, 'ws'), ws: true, changeOrigin: true },
      '/pair': { target: bridge.replace(/^http/, 'ws'), ws: true, changeOrigin: true },
    },
  },
});
