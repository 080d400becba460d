// The browser-test bundle: the same app, with Tauri's IPC mocked in memory
// (tests/browser/mock-entry.ts installs `mockIPC`, then imports src/main.ts).
// Output: tests/browser/.dist — never ui/dist, so the production bundle holds no mock.
import { defineConfig } from "vite";

const root = new URL("./tests/browser/", import.meta.url).pathname;

export default defineConfig({
  root,
  base: "./",
  clearScreen: false,
  logLevel: "warn",
  build: {
    outDir: ".dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1000,
  },
});
