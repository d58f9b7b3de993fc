// Builds the dashboard into web/dist (served by src/api/web-routes.ts). `npm run dev:web` proxies
// the API to a running `gantry server` (GANTRY_URL, default http://127.0.0.1:7070).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const api = process.env.GANTRY_URL ?? 'http://127.0.0.1:7070';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 200 },
  server: { proxy: { '/api': { target: api, changeOrigin: false } } },
});
