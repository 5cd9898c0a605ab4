import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app calls /graphql on its own origin; the dev server and `vite preview` pass it on to
// the storegraph at STOREGRAPH_URL.
const target = process.env.STOREGRAPH_URL ?? 'http://localhost:8080';
const proxy = { '/graphql': { target, changeOrigin: true, ws: true } };

export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
});
