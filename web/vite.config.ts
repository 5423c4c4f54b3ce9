/**
 * Vite build of the web workbench: web/ → dist/web/, served by `camprint serve`. Preact through
 * esbuild's automatic JSX runtime (no plugin needed). Everything is bundled into files served from
 * 'self', so the server's Content-Security-Policy needs no exceptions for scripts.
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  publicDir: false,
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
  // `vite --config web/vite.config.ts` for development: the API of a `camprint serve` on its default port.
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
