// Accessibility in real headless Chromium against the mock backend: axe-core (from node_modules,
// evaluated over CDP so the page's strict CSP stays as it is) over the chat with an answer
// streaming and done, the model picker, compare, the inspector and settings, in both themes;
// what the status region says of an answer; and every control reached with Tab showing a focus
// ring. Screenshots of the focus ring go to artifacts/browser/.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SHOTS, axeViolations, mockAppSession, openApp, send, waitForState } from "./harness.mjs";

const session = mockAppSession();

/** axe over the page as it is now, in the light and the dark theme. */
async function noSeriousViolations(page, where) {
  for (const colorScheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme });
    assert.deepEqual(await axeViolations(page), [], `no serious or critical axe violation: ${where}, ${colorScheme}`);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

const said = (page) => page.evaluate(() => document.querySelector("[data-testid=announcer]").textContent);

describe("axe-core finds no serious or critical violation", () => {
  test("in the chat while an answer streams and once it is done; the status region says its start and end only", async () => {
    const { page, errors } = await openApp(session.browser.context, session.url, { mockConfig: { tickMs: 60 } });
    await send(page, "How do SSE streams end?");
    await waitForState(page, "streaming");
    await page.waitForFunction(() => document.querySelector("[data-testid=announcer]").textContent.startsWith("Answering with"));
    // While it streams: the log is busy, and neither the answer nor anything in it is a live region.
    const streaming = await page.evaluate(() => {
      const log = document.querySelector("[data-testid=transcript]");
      const answer = [...document.querySelectorAll("[data-testid=message][data-role=assistant]")].pop();
      return {
        role: log.getAttribute("role"),
        busy: log.getAttribute("aria-busy"),
        live: [...answer.querySelectorAll("[aria-live], [role=status], [role=alert], [role=log]")].length + (answer.closest("[aria-live]") ? 1 : 0),
        status: document.querySelector("[data-testid=announcer]").getAttribute("role"),
      };
    });
    assert.deepEqual(streaming, { role: "log", busy: "true", live: 0, status: "status" });
    await noSeriousViolations(page, "chat, streaming");

    // What the status region says while the answer streams: never its text.
    const heard = await page.evaluate(
      () =>
        new Promise((done) => {
          const region = document.querySelector("[data-testid=announcer]");
          const seen = [];
          const observer = new MutationObserver(() => {
            if (region.textContent) seen.push(region.textContent);
            if (region.textContent === "Answer complete") {
              observer.disconnect();
              done(seen);
            }
          });
          observer.observe(region, { childList: true, characterData: true, subtree: true });
        }),
    );
    assert.ok(heard.length <= 4, `a few notes, not a flood: ${JSON.stringify(heard)}`);
    assert.ok(heard.every((t) => t === "Still answering…" || t === "Answer complete"), JSON.stringify(heard));
    await waitForState(page, "done");
    assert.equal(await page.evaluate(() => document.querySelector("[data-testid=transcript]").hasAttribute("aria-busy")), false);
    assert.equal(await said(page), "Answer complete");
    await noSeriousViolations(page, "chat, done");

    // Stopped.
    await send(page, "Again, please");
    await waitForState(page, "streaming");
    await page.keyboard.press("Escape");
    await waitForState(page, "stopped");
    await page.waitForFunction(() => document.querySelector("[data-testid=announcer]").textContent === "Stopped");

    // The model picker, open.
    await page.keyboard.press("Control+K");
    await page.waitForSelector("[data-testid=model-picker-popover]:not([hidden])");
    await noSeriousViolations(page, "model picker");
    await page.keyboard.press("Escape");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("in the inspector beside an answer", async () => {
    const { page, errors } = await openApp(session.browser.context, session.url);
    await page.locator("[data-testid=conversation-item] .conv-open").first().click();
    await waitForState(page, "done");
    await page.keyboard.press("Control+I");
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=inspector-rows] [role=listitem]").length > 3);
    await page.locator("[data-testid=inspector-rows] [role=listitem] button").nth(1).click();
    await page.waitForSelector("[data-testid=inspector-detail]:not([hidden])");
    await noSeriousViolations(page, "inspector");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("in compare, streaming and done with its table", async () => {
    const { page, errors } = await openApp(session.browser.context, session.url);
    await page.keyboard.press("Control+Shift+M");
    await noSeriousViolations(page, "compare, choosing models");
    for (const model of ["ollama/llama3.2", "ollama/mistral-nemo"]) await page.locator(`[data-testid=compare-model][data-model="${model}"]`).click();
    await page.locator("[data-testid=compare-prompt]").fill("Say hello");
    await page.keyboard.press("Enter");
    await page.waitForSelector("[data-testid=compare-column]");
    await noSeriousViolations(page, "compare, running");
    await page.waitForSelector("[data-testid=compare-table]", { timeout: 30_000 });
    await noSeriousViolations(page, "compare, done");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("in settings", async () => {
    const { page, errors } = await openApp(session.browser.context, session.url);
    await page.click("[data-testid=settings]");
    await page.waitForFunction(() => /Ollama/.test(document.querySelector("[data-testid=detect-status]")?.textContent ?? ""));
    await noSeriousViolations(page, "settings");
    assert.deepEqual(errors, []);
    await page.close();
  });
});

describe("the keyboard alone", () => {
  test("Tab reaches every control of the chat, each with a visible focus ring", async () => {
    const { page, errors } = await openApp(session.browser.context, session.url);
    await page.locator("[data-testid=conversation-item] .conv-open").first().click();
    await waitForState(page, "done");
    await page.locator("[data-testid=composer]").focus();
    const seen = [];
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press("Tab");
      const focused = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        const style = getComputedStyle(el);
        // The ring is the control's own, or its box's where the box draws it (the search field).
        const ringed = (s) => s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
        const ring = ringed(style) || (el.parentElement.matches(":focus-within") && ringed(getComputedStyle(el.parentElement)));
        const name = el.dataset.testid || (el.classList.contains("conv-open") ? "conv-open" : "") || el.getAttribute("aria-label") || el.textContent.trim().slice(0, 30);
        return { name, ring, visible: style.visibility !== "hidden" && parseFloat(style.opacity) > 0 && el.getClientRects().length > 0 };
      });
      if (focused) seen.push(focused);
      if (i === 12) await page.screenshot({ path: join(SHOTS, "focus-ring.png") });
    }
    const names = new Set(seen.map((s) => s.name));
    for (const name of ["new-conversation", "compare-open", "search", "conv-open", "rename-conversation", "delete-conversation", "model-picker", "settings", "composer", "Copy", "inspector-toggle", "regenerate", "Edit"]) {
      assert.ok([...names].some((n) => n === name || n.startsWith(name)), `Tab reaches ${name}: reached ${[...names].join(", ")}`);
    }
    const unringed = seen.filter((s) => !s.ring || !s.visible).map((s) => s.name);
    assert.deepEqual([...new Set(unringed)], [], "every focused control is visible with a ring");
    assert.deepEqual(errors, []);
    await page.close();
  });
});
