// Runnel's window in real headless Chromium, with the Rust side replaced by an in-memory mock of
// docs/IPC.md (tests/browser/mock-backend.ts) that streams through a real Channel with timers.
// Screenshots go to artifacts/browser/.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { MOCK_DIST, PROD_DIST, SHOTS, lastMessage, mockAppSession, openApp, send, waitForState } from "./harness.mjs";

const session = mockAppSession();

async function noViolations(page, errors) {
  const csp = await page.evaluate(() => window.__csp);
  assert.deepEqual(csp, [], "no CSP violations");
  assert.deepEqual(errors, [], "no page errors");
}

describe("streaming", () => {
  test("text appears progressively, finished blocks keep their nodes, acks follow the paint", async () => {
    const { page, errors } = await openApp(session.browser.context, session.url);
    // The composer has focus on start.
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "composer");

    // The caret's blink is motion: allowed here (the harness asks for reduced motion).
    await page.emulateMedia({ reducedMotion: "no-preference" });
    await send(page, "How do SSE streams end?");
    const lengths = new Set();
    let sawBusy = false;
    let sawCaret = false;
    let sawStop = false;
    // Polls until the answer is done, however slow the machine (bounded by time, not by polls).
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const probe = await page.evaluate(() => {
        const all = document.querySelectorAll("[data-testid=message][data-role=assistant]");
        const el = all[all.length - 1];
        if (!el) return null;
        // Once the list has begun after a blank line, the first paragraph is final.
        const p = el.querySelector(".markdown > p");
        if (p && el.querySelectorAll(".markdown > ul > li").length >= 2 && !window.__firstP) window.__firstP = p;
        return {
          state: el.dataset.state,
          len: el.querySelector("[data-testid=message-text]").textContent.length,
          busy: document.querySelector("[data-testid=transcript]").getAttribute("aria-busy") === "true",
          caret: (() => {
            const caret = el.querySelector(".caret");
            if (!caret) return null;
            const box = caret.getBoundingClientRect();
            return { width: box.width, height: box.height, animation: getComputedStyle(caret).animationName, flowing: el.hasAttribute("data-flowing") };
          })(),
          stop: !!document.querySelector("[data-testid=stop]:not([hidden])"),
          statsHeight: el.querySelector(".msg-foot").getBoundingClientRect().height,
        };
      });
      if (probe) {
        if (probe.state === "streaming") {
          lengths.add(probe.len);
          sawBusy ||= probe.busy;
          if (probe.caret) {
            const { width, height, animation, flowing } = probe.caret;
            assert.ok(width >= 4 && height >= 10, `the caret is visible (${width}×${height} px)`);
            // Solid while text flows, blinking while the answer waits.
            assert.equal(animation, flowing ? "none" : "caret-blink");
            sawCaret ||= flowing;
          }
          sawStop ||= probe.stop;
          assert.ok(probe.statsHeight >= 20, "the stats line's height is reserved while streaming");
        }
        if (probe.state === "done") break;
      }
      await page.waitForTimeout(15);
    }
    assert.ok(lengths.size >= 4, `several distinct lengths seen while streaming (saw ${[...lengths].join(", ")})`);
    assert.ok(sawBusy, "aria-busy while streaming");
    assert.ok(sawCaret, "a caret at the growing end, solid while the text flows");
    assert.ok(sawStop, "Send turned into Stop");

    const done = await lastMessage(page);
    assert.equal(done.state, "done");
    assert.match(done.text, /message_stop/);
    assert.match(done.stats, /s to first token · ~\d+ tok\/s · ~\d+ tok · stop/);
    // The ending's text is formatted (and the caret removed) at the frame after it; the answer
    // leaves aria-busy once it is, which a loaded machine may not have drawn yet.
    await page.waitForFunction(() => {
      const all = document.querySelectorAll("[data-testid=message][data-role=assistant]");
      return !all[all.length - 1].hasAttribute("aria-busy");
    });
    assert.equal(await page.locator(".caret").count(), 0, "no caret once done");
    assert.equal(await page.evaluate(() => document.querySelector("[data-testid=transcript]").hasAttribute("aria-busy")), false);
    assert.equal(await page.evaluate(() => window.__firstP.isConnected), true, "the first paragraph's node was never re-created");
    await page.waitForFunction(() => document.querySelector("[data-testid=announcer]").textContent === "Answer complete");
    assert.equal(await page.locator("[data-testid=send]").isVisible(), true);
    assert.equal(await page.locator(".code-block .code-lang").first().textContent(), "ts");
    await page.locator(".code-block").first().hover();
    await page.screenshot({ path: join(SHOTS, "chat-done-light.png") });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(SHOTS, "chat-done-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });

    // Acks: at least one, and per stream never decreasing.
    const acks = await page.evaluate(() => window.__runnelMock.acks);
    assert.ok(acks.length > 0, "the page acked what it painted");
    for (let i = 1; i < acks.length; i++) assert.ok(acks[i].seq > acks[i - 1].seq, "acks carry an increasing highest seq");

    // The conversation appears in the sidebar under Today, titled by the question.
    const first = page.locator("[data-testid=conversation-item]").first();
    assert.match(await first.textContent(), /How do SSE streams end\?/);
    await noViolations(page, errors);
    await page.close();
  });

  test("Stop keeps the text; Esc stops too; scrolling up offers ↓ new text", async () => {
    const { page, errors } = await openApp(session.browser.context, session.url);
    await send(page, "Tell me something long");
    await page.waitForFunction(() => {
      const t = document.querySelector("[data-testid=transcript]");
      return t.scrollHeight > t.clientHeight + 300;
    }, null, { timeout: 20000 });
    await page.screenshot({ path: join(SHOTS, "chat-streaming-light.png") });

    // Scrolling up stops following and shows the button; it brings the reader back.
    await page.locator("[data-testid=transcript]").hover();
    await page.mouse.wheel(0, -800);
    await page.waitForSelector("[data-testid=jump-to-end]:not([hidden])", { timeout: 20000 });
    const away = await page.evaluate(() => {
      const t = document.querySelector("[data-testid=transcript]");
      return t.scrollHeight - t.scrollTop - t.clientHeight;
    });
    assert.ok(away > 200, "the view did not follow while scrolled up");
    await page.click("[data-testid=jump-to-end]");
    await page.waitForSelector("[data-testid=jump-to-end]", { state: "hidden" });

    const before = (await lastMessage(page)).text.length;
    assert.ok(before > 100);
    await page.click("[data-testid=stop]");
    await waitForState(page, "stopped");
    const stopped = await lastMessage(page);
    assert.ok(stopped.text.length >= before, "the text painted before Stop stays");
    assert.match(stopped.stats, /^Stopped/);
    await page.waitForTimeout(300);
    assert.equal((await lastMessage(page)).text, stopped.text, "nothing arrives after Stop");
    assert.ok((await page.evaluate(() => window.__runnelMock.stops)).length === 1);
    await page.waitForFunction(() => document.querySelector("[data-testid=announcer]").textContent === "Stopped");

    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(SHOTS, "stopped-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });

    // Esc from the composer stops as well.
    await send(page, "Another long one please");
    await page.waitForFunction(() => {
      const all = document.querySelectorAll("[data-testid=message][data-role=assistant]");
      return all.length === 2 && all[1].querySelector("[data-testid=message-text]").textContent.length > 50;
    });
    await page.keyboard.press("Escape");
    await waitForState(page, "stopped");
    assert.equal((await page.evaluate(() => window.__runnelMock.stops)).length, 2);
    await noViolations(page, errors);
    await page.close();
  });

  test("an error shows actionable words, the provider's message, and Retry", async () => {
    const { page, errors } = await openApp(session.browser.context, session.url);
    await send(page, "please error out");
    await waitForState(page, "error");
    const m = await lastMessage(page);
    assert.match(m.text, /The answer starts normally/, "the partial text stays");
    assert.match(m.error, /Rate limited — retry in 20 s/);
    assert.match(m.error, /Rate limit reached for gpt-4o-mini/);
    await page.screenshot({ path: join(SHOTS, "error-retry-light.png") });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(SHOTS, "error-retry-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });
    const streams = await page.evaluate(() => window.__runnelMock.streams);
    await page.click("[data-testid=retry]");
    await page.waitForFunction((n) => window.__runnelMock.streams === n + 1, streams);
    await waitForState(page, "error");
    assert.equal((await lastMessage(page)).count, 1, "Retry replaced the failed answer");
    const calls = await page.evaluate(() => window.__runnelMock.calls.map((c) => c.cmd));
    assert.ok(calls.includes("regenerate"));
    await noViolations(page, errors);
    await page.close();
  });
});

describe("model picker", () => {
  test("Ctrl+K opens it, typing filters, Enter applies to the next turn", async () => {
    const { page, errors } = await openApp(session.browser.context, session.url);
    assert.equal((await page.locator("[data-testid=model-picker]").textContent()).trim(), "runnel-demo");
    await page.keyboard.press("Control+K");
    await page.waitForSelector("[data-testid=model-picker-popover]:not([hidden])");
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "model-filter");
    // Unavailable groups are listed, dimmed, with their hint.
    assert.ok((await page.locator(".picker-group.unavailable").count()) >= 2);
    await page.screenshot({ path: join(SHOTS, "picker-light.png") });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(SHOTS, "picker-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });

    await page.keyboard.type("qwen");
    const visible = await page.$$eval("[data-testid=model-option]", (els) => els.map((e) => e.dataset.model));
    assert.deepEqual(visible, ["ollama/qwen2.5-coder:7b"]);
    await page.keyboard.press("Enter");
    await page.waitForSelector("[data-testid=model-picker-popover]", { state: "hidden" });
    assert.equal((await page.locator("[data-testid=model-picker]").textContent()).trim(), "qwen2.5-coder:7b");
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "composer");

    // Arrow keys move among choosable models; Esc closes without choosing.
    await page.keyboard.press("Control+K");
    await page.keyboard.press("ArrowDown");
    const active = await page.$eval(".picker-option.active", (e) => e.dataset.model);
    assert.notEqual(active, "ollama/qwen2.5-coder:7b");
    await page.keyboard.press("Escape");
    await page.waitForSelector("[data-testid=model-picker-popover]", { state: "hidden" });
    assert.equal((await page.locator("[data-testid=model-picker]").textContent()).trim(), "qwen2.5-coder:7b");

    await send(page, "hello there");
    await waitForState(page, "done");
    assert.equal((await lastMessage(page)).model, "qwen2.5-coder:7b");
    assert.equal(await page.evaluate(() => window.__runnelMock.sentModels.at(-1)), "ollama/qwen2.5-coder:7b");
    await noViolations(page, errors);
    await page.close();
  });
});

describe("untrusted output", () => {
  test("an XSS payload answer stays inert", async () => {
    const { page, errors, dialogs } = await openApp(session.browser.context, session.url);
    await send(page, "show me xss");
    await waitForState(page, "done");
    await page.waitForTimeout(200);
    const report = await page.evaluate(() => {
      const md = [...document.querySelectorAll("[data-testid=message][data-role=assistant] .markdown")].at(-1);
      const all = [...md.querySelectorAll("*")];
      return {
        xss: window.__xss ?? null,
        dangerous: md.querySelectorAll("script, iframe, svg, math, form, style, object, embed, button:not(.code-copy), input:not([type=checkbox])").length,
        handlers: all.filter((el) => [...el.attributes].some((a) => a.name.startsWith("on"))).length,
        styled: md.querySelectorAll("[style]").length,
        ids: md.querySelectorAll("[id], [data-testid]").length,
        hrefs: [...md.querySelectorAll("a[href]")].map((a) => a.getAttribute("href")),
        remoteImages: md.querySelectorAll("img").length,
        stops: document.querySelectorAll("[data-testid=stop]").length,
        apps: document.querySelectorAll("#app").length,
        bold: md.querySelector("strong")?.textContent,
        text: md.textContent,
      };
    });
    assert.equal(report.xss, null, "no payload ran");
    assert.equal(report.dangerous, 0, "no scripts, frames, forms, styles or SVG");
    assert.equal(report.handlers, 0, "no event handler attributes");
    assert.equal(report.styled, 0, "no style attributes");
    assert.equal(report.ids, 0, "no ids or test ids from the model");
    assert.deepEqual(report.hrefs, ["https://example.com"], "only the http(s) link kept its href");
    assert.equal(report.remoteImages, 0, "remote images dropped");
    assert.equal(report.stops, 1, "the model cannot fake the app's controls");
    assert.equal(report.apps, 1);
    assert.equal(report.bold, "bold");
    assert.match(report.text, /click me/);
    assert.match(report.text, /<script>window.__xss/, "raw HTML is shown as text");

    // Clicking links never navigates the webview; only http(s) goes out, through open_link.
    const before = page.url();
    await page.getByText("click me").click();
    await page.getByText("safe link").click();
    await page.waitForTimeout(100);
    assert.equal(page.url(), before);
    assert.deepEqual(await page.evaluate(() => window.__runnelMock.opened), ["https://example.com"]);
    assert.deepEqual(dialogs, [], "no dialog opened");
    assert.equal(await page.evaluate(() => window.__xss ?? null), null);
    await noViolations(page, errors);
    await page.close();
  });
});

describe("settings", () => {
  test("saving a key shows it is set, and the key is nowhere in the page", async () => {
    const SECRET = "sk-test-S3CR3T-9f8e7d6c5b4a";
    const { page, errors } = await openApp(session.browser.context, session.url);
    assert.equal(await page.locator("[data-testid=first-run-hint]").isVisible(), true, "first run: the demo hint shows");
    await page.click("[data-testid=settings]");
    await page.waitForSelector("[data-testid=provider-row][data-provider=openai]");
    // Detection ran once on opening.
    await page.waitForFunction(() => /Ollama/.test(document.querySelector("[data-testid=detect-status]").textContent));
    const row = page.locator("[data-testid=provider-row][data-provider=openai]");
    assert.equal(await row.locator("[data-testid=api-key-status]").textContent(), "No key");
    assert.equal(await page.locator("[data-testid=api-key-input]").count(), 2, "one key field per provider that takes a key");

    // Test without a key: the error, in words.
    await row.locator("[data-testid=provider-test]").click();
    await row.locator("[data-testid=test-result]").filter({ hasText: "Key rejected" }).waitFor();

    await row.locator("[data-testid=api-key-input]").fill(SECRET);
    await row.locator("[data-testid=api-key-save]").click();
    await row.locator("[data-testid=api-key-status]").filter({ hasText: "Key set ✓ (keychain)" }).waitFor();
    assert.equal(await row.locator("[data-testid=api-key-input]").inputValue(), "", "the field is cleared");
    const leaked = await page.evaluate((secret) => {
      const inDom = document.documentElement.outerHTML.includes(secret);
      const inValues = [...document.querySelectorAll("input, textarea")].some((e) => e.value.includes(secret));
      return inDom || inValues || document.body.innerText.includes(secret);
    }, SECRET);
    assert.equal(leaked, false, "the key string is nowhere in the DOM");
    assert.ok(!(await page.content()).includes(SECRET));

    await row.locator("[data-testid=provider-test]").click();
    await row.locator("[data-testid=test-result]").filter({ hasText: "gpt-4o-mini" }).waitFor();
    await page.screenshot({ path: join(SHOTS, "settings-light.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(SHOTS, "settings-dark.png") });
    await page.emulateMedia({ colorScheme: "light" });

    // Add and remove a custom endpoint.
    await page.fill("[data-testid=custom-name]", "My vLLM");
    await page.fill("[data-testid=custom-base-url]", "http://127.0.0.1:8000/v1");
    await page.click("[data-testid=custom-add]");
    const custom = page.locator("[data-testid=provider-row][data-provider=my-vllm]");
    await custom.waitFor();
    await custom.locator("[data-testid=provider-remove]").click();
    await custom.waitFor({ state: "detached" });

    // Back to the chat: the picker now offers OpenAI.
    await page.keyboard.press("Escape");
    await page.waitForSelector("[data-testid=composer]");
    await page.keyboard.press("Control+K");
    await page.waitForSelector("[data-testid=model-option][data-model='openai/gpt-4o']:not([aria-disabled])");
    await page.keyboard.press("Escape");
    await noViolations(page, errors);
    await page.close();
  });
});

describe("conversations", () => {
  test("sidebar groups by day, searches, renames inline, deletes after one confirmation; ↑ edits", async () => {
    const { page, errors } = await openApp(session.browser.context, session.url);
    const labels = await page.$$eval(".conv-group-label", (els) => els.map((e) => e.textContent));
    assert.deepEqual(labels, ["Today", "Yesterday", "Previous 7 days", "Older"]);

    // Search matches message text, not only titles.
    await page.fill("[data-testid=search]", "tram 28");
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=conversation-item]").length === 1);
    assert.match(await page.locator("[data-testid=conversation-item]").textContent(), /Lisbon/);
    await page.fill("[data-testid=search]", "");
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=conversation-item]").length === 4);

    // Open one; rename it with a double-click, Enter saves.
    const item = page.locator("[data-testid=conversation-item]", { hasText: "Lisbon" });
    await item.locator(".conv-open").click();
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=message]").length === 2);
    await item.locator(".conv-open").dblclick();
    await page.fill("[data-testid=rename-input]", "Lisbon weekend");
    await page.keyboard.press("Enter");
    await page.locator("[data-testid=conversation-item]", { hasText: "Lisbon weekend" }).waitFor();
    // Esc cancels a rename.
    await page.locator("[data-testid=conversation-item]", { hasText: "Lisbon weekend" }).locator(".conv-open").dblclick();
    await page.fill("[data-testid=rename-input]", "nope");
    await page.keyboard.press("Escape");
    await page.locator("[data-testid=conversation-item]", { hasText: "Lisbon weekend" }).waitFor();

    // ↑ in the empty composer edits the last message; Save & resend answers again.
    await page.focus("[data-testid=composer]");
    await page.keyboard.press("ArrowUp");
    await page.waitForSelector("[data-testid=edit-input]");
    await page.fill("[data-testid=edit-input]", "Three things to do in Porto?");
    await page.click("[data-testid=edit-save]");
    await waitForState(page, "done");
    assert.equal((await lastMessage(page, "user")).text, "Three things to do in Porto?");
    assert.equal(await page.locator("[data-testid=message]").count(), 2, "what followed the edited message was dropped");
    assert.ok((await page.evaluate(() => window.__runnelMock.calls.map((c) => c.cmd))).includes("edit_message"));

    // Delete asks once, inline.
    const victim = page.locator("[data-testid=conversation-item]", { hasText: "Regex" });
    await victim.hover();
    await victim.locator("[data-testid=delete-conversation]").click();
    await victim.locator("[data-testid=confirm-delete]").click();
    await page.waitForFunction(() => ![...document.querySelectorAll("[data-testid=conversation-item]")].some((e) => e.textContent.includes("Regex")));

    // Ctrl+N starts a new conversation on the last model.
    await page.keyboard.press("Control+N");
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=message]").length === 0);
    await page.screenshot({ path: join(SHOTS, "empty-light.png") });
    await noViolations(page, errors);
    await page.close();
  });
});

describe("bundles", () => {
  test("the production bundle in ui/dist holds no IPC mock", () => {
    const assets = join(PROD_DIST, "assets");
    assert.ok(existsSync(assets), "build the production bundle first: npm run build");
    const prod = readdirSync(assets).filter((f) => f.endsWith(".js")).map((f) => readFileSync(join(assets, f), "utf8")).join("\n");
    const mock = readdirSync(join(MOCK_DIST, "assets")).filter((f) => f.endsWith(".js")).map((f) => readFileSync(join(MOCK_DIST, "assets", f), "utf8")).join("\n");
    for (const marker of ["__runnelMock", "Couldn't find callback id", "ANSWER_XSS", "evil.example"]) {
      assert.ok(!prod.includes(marker), `production bundle contains ${marker}`);
    }
    // The markers are real: the test bundle has them.
    assert.ok(mock.includes("__runnelMock") && mock.includes("Couldn't find callback id"));
    assert.ok(!readFileSync(join(PROD_DIST, "index.html"), "utf8").includes("mock"));
  });
});
