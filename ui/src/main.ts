/**
 * Entry point of the window: styles, then the app, mounted on #app. The Tauri runtime provides
 * the IPC (in the browser tests a mock stands in for it, from a separate bundle).
 */
import "./styles/theme.css";
import "./styles/app.css";
import { App } from "./app";
import { ipc } from "./ipc";
import { pagePerf } from "./perf";
import { warmUpHighlighting, warmUpRendering } from "./render/warmup";

// The window benchmark reads where the page's time goes (docs/PERFORMANCE.md).
(window as unknown as { __runnelPerf: typeof pagePerf }).__runnelPerf = pagePerf;

const mount = document.getElementById("app");
if (mount) {
  const app = new App(ipc);
  app
    .start(mount)
    // Once the window has drawn its first frame: the first answer's frames then find the
    // Markdown pipeline and every language's grammar compiled (render/warmup.ts).
    .then(() =>
      requestAnimationFrame(() => {
        setTimeout(warmUpRendering);
        setTimeout(warmUpHighlighting);
      }),
    )
    .catch((error: unknown) => {
      console.error("Runnel could not start", error);
    });
}
