// The build (`npm run build`): src/ bundled into dist/ with rolldown (vite's bundler). One module
// graph, minified, instead of ~1,200 files (Gantry's and its dependencies'): an idle server keeps
// every module's source text in memory, so the bundle saves ~10 MB of resident memory (npm run
// bench:memory). Entries: the server and CLI, the data plane process, and the two worker threads;
// the modules that load them find them beside themselves (`./process-main.js`…). Packages that only
// some setups need stay outside the bundle, required on first use (src/lib/require-on-use.ts).
// Names are kept (no mangling) so that stack traces stay readable.
import { defineConfig } from 'rolldown';

export default defineConfig({
  input: {
    main: 'src/main.ts',
    'process-main': 'src/dataplane/process-main.ts',
    'load-worker': 'src/config/load-worker.ts',
    'verify-worker': 'src/backup/verify-worker.ts',
  },
  platform: 'node',
  external: ['acme-client', 'dockerode', 'pg', /^undici(\/|$)/],
  output: {
    dir: 'dist',
    format: 'esm',
    minify: { compress: true, mangle: false, codegen: { removeWhitespace: true } },
    comments: false,
  },
});
