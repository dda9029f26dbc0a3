/**
 * The dashboards web app: `npm run build:web` writes web/dist, which `farebox serve dashboards` and
 * `farebox up` serve. `npx vite --config web/vite.config.ts` runs a dev server that sends /api to a
 * farebox on FAREBOX_DEV_API (http://127.0.0.1:8787 by default).
 */
import path from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: '/',
  publicDir: path.join(root, 'public'),
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: path.join(root, 'dist'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': process.env.FAREBOX_DEV_API ?? 'http://127.0.0.1:8787' } },
});
