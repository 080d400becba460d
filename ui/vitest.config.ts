import { defineConfig } from "vitest/config";
import PlainSummary from "./vitest.summary";

export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    reporters: ["default", new PlainSummary()],
  },
});
