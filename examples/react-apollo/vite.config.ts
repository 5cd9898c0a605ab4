import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app calls /graphql on its own origin, WebSockets included; the dev server and `vite
// preview` pass it on to the storegraph at STOREGRAPH_URL. The Host header stays the app's,
// so storegraph sees a WebSocket from the page's own origin and accepts it.
const target = process.env.STOREGRAPH_URL ?? 'http://localhost:8080';
const proxy = { '/graphql': { target, ws: true } };

export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
});
