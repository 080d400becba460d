import { defineConfig } from "vitest/config";
import PlainSummary from "./vitest.summary";

export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    // jsdom is slow (a DOMParser document costs milliseconds) and CI machines may have one busy
    // core: the limits are there to catch a hang, not to measure speed (vitest's default is 5 s).
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ["default", new PlainSummary()],
  },
});
