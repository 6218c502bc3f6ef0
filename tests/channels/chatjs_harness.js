// Runs the web chat script (chat.js) in node with a stub DOM, for tests/channels/test_webchat.py.
// argv[2] = the script, argv[3] = JSON list of messages to send; stdin = JSON list of [status, body] replies.
// Prints what was posted, the browser's storage, and the status line and input afterwards.
const fs = require("fs"), path = require("path"), vm = require("vm");
function fake() {
  const store = {};
  const target = function () {};
  return new Proxy(target, {
    get(_, key) {
      if (key === Symbol.iterator) return function* () {};
      if (key === Symbol.toPrimitive) return () => "";
      if (key === "then") return undefined;
      if (key in store) return store[key];
      return fake();
    },
    set(_, key, value) { store[key] = value; return true; },
    apply() { return fake(); },
  });
}
const storage = {};
const replies = JSON.parse(fs.readFileSync(0, "utf8"));
const posted = [];
const elements = { status: fake(), input: fake() };
elements.input.value = "";
const document = fake();
document.getElementById = (id) => elements[id] || fake();
const context = {
  console, JSON, Array, Object, String, Math, Promise, Error, RegExp, Uint8Array, setTimeout, clearTimeout,
  document, navigator: { language: "fr-FR" },
  localStorage: { getItem: (k) => (k in storage ? storage[k] : null), setItem: (k, v) => { storage[k] = String(v); } },
  sessionStorage: { getItem: () => null, setItem: () => {} },
  AbortSignal: { timeout: () => undefined },
  crypto: { getRandomValues: (a) => a },
  fetch: async (url, options) => {
    posted.push({ url, body: options && options.body ? JSON.parse(options.body) : null });
    const [status, body] = replies.shift();
    return { ok: status >= 200 && status < 300, status, json: async () => body };
  },
};
context.window = context;
vm.createContext(context);
// The page's scripts in index.html's order: language.js (replyLanguage) before chat.js.
vm.runInContext(fs.readFileSync(path.join(path.dirname(process.argv[2]), "language.js"), "utf8"), context);
vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), context);
(async () => {
  for (const message of JSON.parse(process.argv[3])) await context.send(message, message, message);
  const shown = (value) => (typeof value === "string" ? value : null);
  process.stdout.write(JSON.stringify({
    storage, posted, status: shown(elements.status.textContent), input: shown(elements.input.value),
  }));
})();
