// Production build of the window: root ui/, output ui/dist (tauri.conf.json: frontendDist).
// Only ui/index.html → src/main.ts is bundled here; the browser tests' IPC mock lives in
// tests/browser/ and is built by vite.mock.config.ts into its own folder.
import { defineConfig } from "vite";

const root = new URL(".", import.meta.url).pathname;

export default defineConfig({
  root,
  base: "./",
  clearScreen: false,
  server: { port: 5173, strictPort: true, host: "127.0.0.1" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
});
