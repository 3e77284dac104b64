import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/** Where `npm run start` serves the API (and, in production, this console). */
const API_TARGET = process.env.RESETDESK_API_URL ?? 'http://localhost:3000';

/** Paths the dev server forwards to the API: JSON API and the server-rendered patient pages. */
const PROXIED_PATHS = ['/api', '/register', '/login', '/forgot-password', '/reset-password', '/forgot-username'];

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react()],
  resolve: {
    alias: {
      '@resetdesk/contracts': here('../../libs/contracts/src/index.ts'),
    },
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(PROXIED_PATHS.map((path) => [path, { target: API_TARGET, changeOrigin: false }])),
  },
  preview: {
    proxy: Object.fromEntries(PROXIED_PATHS.map((path) => [path, { target: API_TARGET, changeOrigin: false }])),
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    rolldownOptions: {
      output: {
        // Only code that every page needs goes into named vendor chunks (cached across
        // deploys). Everything else is left to automatic splitting so that the lazy admin
        // screens (audit log, emails, staff, dev mailbox, patient details) do not end up in
        // the first load.
        codeSplitting: {
          groups: [
            {
              name: 'react',
              test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/,
              priority: 2,
            },
          ],
        },
      },
    },
  },
});
