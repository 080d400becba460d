// The compare view in real headless Chromium against the mock backend (mock-backend.ts): in the
// mock, "mistral" fails at once with a rate limit (its Retry succeeds), "qwen" answers long and
// slowly, any other model answers shortly. Screenshots go to artifacts/browser/.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SHOTS, mockAppSession, openApp } from "./harness.mjs";

const session = mockAppSession();

const FAST = "ollama/llama3.2";
const FAILING = "ollama/mistral-nemo";
const SLOW = "ollama/qwen2.5-coder:7b";

/** Each column's model, state and text length, in column order. */
const columns = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll("[data-testid=compare-column]")].map((c) => ({
      model: c.dataset.model,
      state: c.dataset.state,
      text: c.querySelector("[data-testid=compare-text]")?.textContent.trim() ?? "",
      stats: c.querySelector("[data-testid=compare-stats]")?.textContent ?? "",
    })),
  );

const column = (page, model) => page.locator(`[data-testid=compare-column][data-model="${model}"]`);

async function waitColumn(page, model, state, timeout = 30_000) {
  await page.waitForFunction(
    ([m, s]) => document.querySelector(`[data-testid=compare-column][data-model="${m}"]`)?.dataset.state === s,
    [model, state],
    { timeout },
  );
}

async function compare(page, models, prompt) {
  for (const model of models) await page.locator(`[data-testid=compare-model][data-model="${model}"]`).click();
  await page.locator("[data-testid=compare-prompt]").fill(prompt);
  await page.keyboard.press("Enter");
  await page.waitForSelector("[data-testid=compare-column]");
}

describe("models side by side", () => {
  test("three columns stream at once; one fails with Retry, one is stopped; the table; continue with an answer", async () => {
    const { page, errors } = await openApp(session.browser.context, session.url);
    // The keyboard path opens it, with the prompt focused.
    await page.keyboard.press("Control+Shift+M");
    await page.waitForSelector("[data-testid=compare]:not([hidden])");
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "compare-prompt");
    assert.equal(await page.locator("[data-testid=compare-open]").getAttribute("aria-pressed"), "true");
    // The chat's model button gives way to the comparison's own choice of models.
    assert.equal(await page.locator("[data-testid=model-picker]").isVisible(), false);
    // Models without a key are not offered.
    assert.equal(await page.locator('[data-testid=compare-model][data-model^="openai/"]').count(), 0);

    await compare(page, [FAST, FAILING, SLOW], "How do SSE streams end?");
    assert.deepEqual((await columns(page)).map((c) => c.model), [FAST, FAILING, SLOW]);

    // All streaming at once: the fast and the slow columns both grow while both stream.
    let together = false;
    const deadline = Date.now() + 20_000;
    while (!together && Date.now() < deadline) {
      const [fast, , slow] = await columns(page);
      together = fast.state === "streaming" && slow.state === "streaming" && fast.text.length > 0 && slow.text.length > 0;
      if (together) assert.match(fast.stats, /s to first token/, "live stats while streaming");
      await page.waitForTimeout(20);
    }
    assert.ok(together, "two columns streamed text at the same time");

    await waitColumn(page, FAILING, "error");
    const failing = column(page, FAILING);
    assert.match(await failing.locator("[data-testid=message-error]").textContent(), /Rate limited/i);
    assert.ok(await failing.locator("[data-testid=retry]").isVisible());
    await page.screenshot({ path: join(SHOTS, "compare-streaming-light.png") });

    // Stop the slow column alone.
    await column(page, SLOW).locator("[data-testid=compare-stop]").click();
    await waitColumn(page, SLOW, "stopped");
    await waitColumn(page, FAST, "done");
    const stops = await page.evaluate(() => window.__runnelMock.stops.length);
    assert.equal(stops, 1, "only the stopped column's stream was stopped");

    // Every column ended: the table, one row per model.
    await page.waitForSelector("[data-testid=compare-table]");
    const rows = await page.$$eval("[data-testid=compare-table] tbody tr", (trs) =>
      trs.map((tr) => ({ model: tr.dataset.model, state: tr.dataset.state, cells: [...tr.querySelectorAll("td")].map((td) => td.textContent) })),
    );
    assert.deepEqual(rows.map((r) => [r.model, r.state]), [[FAST, "done"], [FAILING, "error"], [SLOW, "stopped"]]);
    const [fast] = await columns(page);
    assert.match(rows[0].cells[0], /^\d+\.\d\d s$/, "time to first token");
    assert.equal(Number(rows[0].cells[4]) > 100, true, "characters");
    assert.ok(fast.text.length > 100);
    await page.locator("[data-testid=compare-table]").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, "compare-table-light.png") });

    // Retry the failed column: it answers in its place.
    await failing.locator("[data-testid=retry]").click();
    await waitColumn(page, FAILING, "done");
    assert.deepEqual((await columns(page)).map((c) => c.state), ["done", "done", "stopped"]);

    // The run is in the sidebar, marked as a comparison, and it is the one shown.
    await page.waitForSelector("[data-testid=conversation-item][data-kind=compare].active");

    // Continue with the fast model's answer: a chat with the prompt and that answer.
    await column(page, FAST).locator("[data-testid=compare-keep]").click();
    await page.waitForSelector("[data-testid=compare]", { state: "hidden" });
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=message]").length === 2);
    const chat = await page.$$eval("[data-testid=message]", (ms) => ms.map((m) => [m.dataset.role, m.querySelector("[data-testid=message-text]").textContent.trim().slice(0, 20)]));
    assert.deepEqual(chat, [["user", "How do SSE streams end?".slice(0, 20)], ["assistant", fast.text.slice(0, 20)]]);
    assert.ok(await page.locator("[data-testid=model-picker]").isVisible());
    assert.match(await page.locator("[data-testid=model-picker]").textContent(), /llama3\.2/);
    await page.locator("[data-testid=composer]").fill("And in one line?");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=message]").length === 4);
    assert.equal(await page.evaluate(() => window.__runnelMock.sentModels.at(-1)), FAST);

    // The run reopens from the sidebar as it ended.
    await page.locator("[data-testid=conversation-item][data-kind=compare] .conv-open").click();
    await page.waitForSelector("[data-testid=compare]:not([hidden])");
    assert.deepEqual((await columns(page)).map((c) => [c.model, c.state]), [[FAST, "done"], [FAILING, "done"], [SLOW, "stopped"]]);
    await page.waitForSelector("[data-testid=compare-table]");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("Esc stops every column", async () => {
    const { page, errors } = await openApp(session.browser.context, session.url);
    await page.locator("[data-testid=compare-open]").click();
    await compare(page, [SLOW, FAST], "Tell me a long story");
    await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=compare-column]")].every((c) => c.querySelector("[data-testid=compare-text]").textContent.trim()));
    // A column taller than its box follows its growing end.
    const body = column(page, SLOW).locator(".compare-body");
    await page.waitForFunction((el) => el.scrollHeight > el.clientHeight + 100, await body.elementHandle(), { timeout: 30_000 });
    const gap = await body.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    assert.ok(gap < 60, `the column shows its growing end (${gap} px below)`);
    assert.equal(await column(page, SLOW).getAttribute("data-state"), "streaming");
    await page.keyboard.press("Escape");
    await waitColumn(page, SLOW, "stopped");
    const fast = (await columns(page)).find((c) => c.model === FAST);
    assert.ok(["stopped", "done"].includes(fast.state), fast.state);
    assert.equal(await page.locator("[data-testid=compare-stop][data-scope=all]").isHidden(), true);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
