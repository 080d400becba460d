// The browser-test entry: install the in-memory IPC first, then start the real app.
import "./mock-backend";
import "../../src/main";
