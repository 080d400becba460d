/**
 * Export and import of conversations (docs/EXPORT.md): the export menu's choice becomes an
 * `export_conversation` (Rust writes the file to the downloads folder and names it), whose path
 * the notice shows with "Show in folder" (`show_exported_file`, by the id Rust gave the file: the
 * page never names a folder to open). Import reads a `.json` file the person chose, at most
 * `MAX_IMPORT_BYTES`, and hands its text to `import_conversation`, which checks it and restores
 * it as a new conversation; Rust's error says what is wrong with a file.
 */
import type { Ipc } from "./ipc";
import type { ConversationSummary, ExportFormat, UiError } from "./types";
import { ExportMenu, ExportNotice } from "./views/export-menu";
import { h } from "./dom";

/** The largest file read for import (Rust refuses more too: `export::import::MAX_BYTES`). */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

export interface ExportHooks {
  /** A conversation was restored: show it. */
  onImported(conversation: ConversationSummary): void;
}

export class ExportController {
  readonly menu = new ExportMenu();
  readonly notice = new ExportNotice();
  /** The file chooser import reads from (hidden; `chooseImport` opens it). */
  readonly input: HTMLInputElement;

  constructor(
    private readonly ipc: Ipc,
    private readonly hooks: ExportHooks,
  ) {
    this.input = h("input", {
      type: "file",
      accept: ".json,application/json",
      class: "visually-hidden",
      tabindex: "-1",
      "aria-hidden": "true",
      "data-testid": "import-file",
    });
    this.input.addEventListener("change", () => {
      const file = this.input.files?.[0];
      this.input.value = "";
      if (file) void this.importFile(file);
    });
  }

  /** Opens (or closes) the export menu under `trigger`, for conversation `id`. */
  toggleMenu(trigger: HTMLElement, id: number): void {
    this.menu.toggle(trigger, (format) => void this.export(id, format));
  }

  /** Writes conversation `id` as `format`; the notice shows where, or why not. */
  async export(id: number, format: ExportFormat): Promise<void> {
    try {
      const file = await this.ipc.exportConversation(id, format);
      this.notice.saved(file.path, () => this.ipc.showExportedFile(file.id));
    } catch (e) {
      this.notice.failed(`Could not export: ${(e as UiError).message}`);
    }
  }

  /** Asks for a file to import. */
  chooseImport(): void {
    this.input.click();
  }

  /** Restores the conversation exported in `file`. */
  async importFile(file: File): Promise<void> {
    if (file.size > MAX_IMPORT_BYTES) {
      this.notice.failed(`Could not import ${file.name}: it is ${file.size} bytes, more than the ${MAX_IMPORT_BYTES >> 20} MiB a conversation export may be`);
      return;
    }
    let text: string;
    try {
      text = await file.text();
    } catch (e) {
      this.notice.failed(`Could not read ${file.name}: ${(e as Error).message}`);
      return;
    }
    try {
      const conversation = await this.ipc.importConversation(text);
      this.notice.done(`Imported “${conversation.title}”`);
      this.hooks.onImported(conversation);
    } catch (e) {
      this.notice.failed(`Could not import ${file.name}: ${(e as UiError).message}`);
    }
  }
}
