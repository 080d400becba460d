// Test harness for the browser tests: a tiny static server on 127.0.0.1 (with the app's strict
// CSP as a header) for the mock bundle, and Debian's Chromium driven by playwright-core.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve } from "node:path";
import { after, before } from "node:test";
import { chromium } from "playwright-core";

export const HERE = new URL(".", import.meta.url).pathname;
export const MOCK_DIST = resolve(HERE, ".dist");
export const PROD_DIST = resolve(HERE, "../../dist");
export const SHOTS = resolve(HERE, "../../../artifacts/browser");

// The CSP tauri.conf.json sets, so any inline script/style or remote load fails the tests too.
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src ipc: http://ipc.localhost; object-src 'none'; base-uri 'none'; frame-src 'none'; form-action 'none'";

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png" };

export function serve(root) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    let path = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!path.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (statSync(path).isDirectory()) path = join(path, "index.html");
      const body = readFileSync(path);
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream", "content-security-policy": CSP, "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ server, url: `http://127.0.0.1:${server.address().port}/` })));
}

export async function launch() {
  const userDataDir = mkdtempSync(join(tmpdir(), "runnel-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1200, height: 780 },
    deviceScaleFactor: 1,
    permissions: ["clipboard-read", "clipboard-write"],
  });
  // As in the app (tauri.conf.json "freezePrototype": true), and a record of CSP violations.
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    Object.freeze(Object.prototype);
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh page on the mock app, with its console errors and dialogs recorded. */
export async function openApp(context, url, { colorScheme = "light", mockConfig = {} } = {}) {
  const page = await context.newPage();
  const errors = [];
  const dialogs = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await page.emulateMedia({ colorScheme, reducedMotion: "reduce" });
  await page.addInitScript((cfg) => (window.__mockConfig = cfg), mockConfig);
  await page.goto(url);
  await page.waitForSelector("[data-testid=model-picker]");
  await page.waitForFunction(() => !document.querySelector("[data-testid=model-picker]").textContent.includes("…"));
  return { page, errors, dialogs };
}

/** The last message of `role`: its state, text and stats. */
export function lastMessage(page, role = "assistant") {
  return page.evaluate((r) => {
    const all = document.querySelectorAll(`[data-testid=message][data-role=${r}]`);
    const el = all[all.length - 1];
    if (!el) return null;
    return {
      state: el.dataset.state,
      text: el.querySelector("[data-testid=message-text]")?.textContent ?? "",
      stats: el.querySelector("[data-testid=message-stats]")?.textContent ?? "",
      model: el.querySelector(".msg-model")?.textContent ?? "",
      error: el.querySelector("[data-testid=message-error]")?.textContent ?? "",
      count: all.length,
    };
  }, role);
}

export async function waitForState(page, state, role = "assistant", timeout = 20000) {
  await page.waitForFunction(
    ([s, r]) => {
      const all = document.querySelectorAll(`[data-testid=message][data-role=${r}]`);
      return all.length > 0 && all[all.length - 1].dataset.state === s;
    },
    [state, role],
    { timeout },
  );
}

export async function send(page, text) {
  await page.locator("[data-testid=composer]").fill(text);
  await page.keyboard.press("Enter");
}

/**
 * The mock app served and Chromium launched for one file's tests (node:test `before`/`after`):
 * use `session.browser.context` and `session.url` inside the tests.
 */
export function mockAppSession() {
  const session = {};
  before(async () => {
    assert.ok(existsSync(join(MOCK_DIST, "index.html")), "build the mock bundle first: npm run build:mock");
    const executable = process.env.CHROMIUM ?? "/usr/bin/chromium";
    assert.ok(existsSync(executable), `${executable} is missing: apt-get install -y chromium`);
    mkdirSync(SHOTS, { recursive: true });
    ({ server: session.server, url: session.url } = await serve(MOCK_DIST));
    session.browser = await launch();
  });
  after(async () => {
    await session.browser?.close();
    session.server?.close();
  });
  return session;
}

/** axe-core's script, from node_modules (the page's CSP stays strict: it is evaluated over CDP). */
const AXE = readFileSync(resolve(HERE, "../../../node_modules/axe-core/axe.min.js"), "utf8");

/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules
 * and axe's best practices), each as `rule: what it says (the elements' selectors)`.
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ["violations"] });
    return results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 5).join(", ")}${v.nodes.length > 5 ? ", …" : ""})`);
}
