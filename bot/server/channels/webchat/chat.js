// The AMO web chat. Each member message is one POST to the channel's webhook
// (bot/server/channels/webchat.py), answered with the bot's messages. The conversation id is
// issued and signed by the server (POST conversation); a sender it did not issue is refused
// (403) and the page asks for a new one. The conversation (its id, messages, interface
// language) is kept in localStorage across page reloads, except the answers the server marks
// "private" (the file-status look-up) and the member's messages they answer: the browser
// may be shared.
"use strict";

const STORE_KEY = "amo-webchat";
const MAX_STORED = 200; // messages kept across reloads
const REPLY_TIMEOUT_MS = 60000;

const UI = {
  fr: {
    lang: "fr", dir: "ltr", title: "Assistant AMO", fresh: "Nouvelle conversation", label: "Votre message", send: "Envoyer",
    placeholder: "Écrivez votre question…", typing: "L'assistant écrit…", you: "Vous", bot: "Assistant",
    hello: "Bonjour ! Posez votre question sur l'AMO en français, en arabe ou en darija.",
    down: "Le service ne répond pas pour le moment. Votre message n'est pas perdu : réessayez dans un instant.",
    rejected: "Ce message n'a pas pu être envoyé (vide ou trop long). Modifiez-le puis réessayez.",
  },
  ar: {
    lang: "ar", dir: "rtl", title: "مساعد AMO", fresh: "محادثة جديدة", label: "رسالتك", send: "إرسال",
    placeholder: "اكتب سؤالك…", typing: "المساعد يكتب…", you: "أنت", bot: "المساعد",
    hello: "مرحبا! اطرح سؤالك عن التأمين الإجباري الأساسي عن المرض (AMO) بالعربية أو بالدارجة أو بالفرنسية.",
    down: "الخدمة لا تستجيب حاليا. رسالتك لم تضع: أعد المحاولة بعد قليل.",
    rejected: "تعذر إرسال هذه الرسالة (فارغة أو طويلة جدا). عدّلها ثم أعد المحاولة.",
  },
  dar: {
    lang: "ary", dir: "rtl", title: "مساعد AMO", fresh: "محادثة جديدة", label: "الرسالة ديالك", send: "صيفط",
    placeholder: "كتب السؤال ديالك…", typing: "المساعد كيكتب…", you: "نتا", bot: "المساعد",
    hello: "السلام! سول على AMO بالدارجة ولا بالعربية ولا بالفرنسية.",
    down: "الخدمة ما كتجاوبش دابا. الرسالة ديالك ما ضاعتش: عاود من بعد شوية.",
    rejected: "ما قدرناش نصيفطو هاد الرسالة (خاوية ولا طويلة بزاف). بدلها وعاود.",
  },
};

// Identity, registration and phone numbers and dates that a member typed are masked in
// the stored copy, since the browser may be shared; they stay visible until the page is left.
const PERSONAL = /[0-9٠-٩](?:[\s./-]?[0-9٠-٩]){5,}|\b[A-Za-z]{1,2}[0-9٠-٩]{4,5}(?![0-9٠-٩])/g;
const ARABIC = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/g;
const LATIN = /[A-Za-z\u00C0-\u024F]/g;
const LINK = /(?:https?:\/\/|www\.)[^\s<>"]*[^\s<>".,;:!?)»]/g;

const $ = (id) => document.getElementById(id);
const log = $("log"), input = $("input"), composer = $("composer");
const typing = $("typing"), status = $("status");
let state = load();
let busy = false;

function fresh(lang) {
  return { sender: null, lang, messages: [] }; // the server issues the id on the first message
}

// A conversation id from the server, kept until "New conversation".
async function newSender() {
  const reply = await fetch("conversation", { method: "POST", signal: AbortSignal.timeout(REPLY_TIMEOUT_MS) });
  if (!reply.ok) throw new Error("down");
  const { sender } = await reply.json();
  state.sender = sender;
  save();
}

function post(message) {
  return fetch("webhook", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sender: state.sender, message }),
    signal: AbortSignal.timeout(REPLY_TIMEOUT_MS),
  });
}

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE_KEY));
    const sender = saved && (typeof saved.sender === "string" || saved.sender === null);
    if (sender && Array.isArray(saved.messages) && UI[saved.lang]) {
      return saved;
    }
  } catch (error) {
    // Unreadable or blocked storage: start a new conversation.
  }
  return fresh((navigator.language || "").startsWith("ar") ? "ar" : "fr");
}

function save() {
  state.messages = state.messages.slice(-MAX_STORED);
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(state));
  } catch (error) {
    // Private mode or full storage: the chat works, only without history.
  }
}

function t(key) {
  return UI[state.lang][key];
}

function applyLanguage() {
  const ui = UI[state.lang];
  document.documentElement.lang = ui.lang;
  document.documentElement.dir = ui.dir;
  document.title = ui.title;
  for (const node of document.querySelectorAll("[data-ui]")) node.textContent = ui[node.dataset.ui];
  input.placeholder = ui.placeholder;
  for (const button of document.querySelectorAll("[data-language]")) {
    button.setAttribute("aria-pressed", String(button.dataset.language === state.lang));
  }
}

function element(tag, className) {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}

// Text nodes only (never innerHTML): web addresses become links, the rest stays text.
function appendText(parent, text) {
  let last = 0;
  for (const found of text.matchAll(LINK)) {
    const link = element("a", "link");
    link.href = found[0].startsWith("www.") ? "https://" + found[0] : found[0];
    link.textContent = found[0];
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    parent.append(text.slice(last, found.index), link);
    last = found.index + found[0].length;
  }
  parent.append(text.slice(last));
}

// dir="auto" follows the first letter, so "AMO هي التأمين…" would read left to right.
// When the first letter's script is not the message's main script, a leading
// right-to-left (or left-to-right) mark makes dir="auto" follow the main script.
function directionMark(text) {
  const arabic = (text.match(ARABIC) || []).length;
  const latin = (text.match(LATIN) || []).length;
  const firstArabic = text.search(ARABIC), firstLatin = text.search(LATIN);
  const startsArabic = firstArabic !== -1 && (firstLatin === -1 || firstArabic < firstLatin);
  if (arabic > latin && !startsArabic) return "\u200F";
  if (latin > arabic && startsArabic) return "\u200E";
  return "";
}

// A leading emoji ("👍 Oui") is decoration: hidden from screen readers, and the text
// label after it is what a browser without an emoji font still shows.
const EMOJI = /^(\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})*)\s*/u;
function appendTitle(button, title) {
  const found = title.match(EMOJI);
  if (!found || found[0].length === title.length) {
    button.textContent = title;
    return;
  }
  const emoji = element("span", "emoji");
  emoji.setAttribute("aria-hidden", "true");
  emoji.textContent = found[1];
  const label = element("span", "label");
  label.textContent = title.slice(found[0].length);
  button.append(emoji, " ", label);
}

// The page's own words follow the language of the bot's replies (language.js).
function followReplies(texts) {
  const language = replyLanguage(texts.join("\n"), state.lang);
  if (language === state.lang || !UI[language]) return;
  state.lang = language;
  save();
  applyLanguage();
}

function render(message) {
  const item = element("div", "message " + message.from);
  const who = element("span", "visually-hidden");
  who.textContent = t(message.from === "user" ? "you" : "bot") + " : ";
  item.append(who);
  if (message.text) {
    const bubble = element("p", "bubble");
    bubble.dir = "auto"; // each message finds its own direction: Arabic RTL, French LTR
    bubble.append(directionMark(message.text));
    appendText(bubble, message.text);
    item.append(bubble);
  }
  if (message.buttons && message.buttons.length) {
    const choices = element("div", "choices");
    for (const choice of message.buttons) {
      const button = element("button", "choice");
      button.type = "button";
      button.dir = "auto";
      appendTitle(button, choice.title);
      button.addEventListener("click", () => send(choice.payload, choice.title));
      choices.append(button);
    }
    item.append(choices);
  }
  log.append(item);
  log.scrollTop = log.scrollHeight;
  return item;
}

function remember(message) {
  state.messages.push(message);
  save();
}

function showStatus(text) {
  status.textContent = text;
}

// A reply that is not the bot's answer; its message is what the page shows.
class Failed extends Error {}

// What the page says of a failed reply: the server's busy answer when it sent one (a 503
// carrying bot messages, in the member's language), else the page's own words.
async function failure(reply) {
  if (reply.status === 400 || reply.status === 413) return new Failed(t("rejected"));
  try {
    const texts = (await reply.json()).map((answer) => answer.text).filter(Boolean);
    if (texts.length) return new Failed(texts.join("\n"));
  } catch (error) {
    // Not the server's answer (a proxy's error page, no body): the page's own words.
  }
  return new Failed(t("down"));
}

// Sends `message` (typed text or a button payload) and shows `shown` as the member's
// bubble. When it fails, the bubble goes away and `typed` is put back in the input.
async function send(message, shown, typed = "") {
  if (busy || !message.trim()) return;
  busy = true;
  showStatus("");
  const mine = render({ from: "user", text: shown });
  typing.hidden = false;
  try {
    if (!state.sender) await newSender();
    let reply = await post(message);
    if (reply.status === 403) {
      // An id this server did not issue (or from before a restart without a fixed secret).
      await newSender();
      reply = await post(message);
    }
    if (!reply.ok) throw await failure(reply);
    const answers = await reply.json();
    const isPrivate = answers.some((answer) => answer.private);
    remember({ from: "user", text: isPrivate ? "•••" : shown.replace(PERSONAL, "•••") });
    for (const answer of answers) {
      const bot = { from: "bot", text: answer.text || "", buttons: answer.buttons || [] };
      if (!bot.text && !bot.buttons.length) continue;
      render(bot);
      if (!answer.private) remember(bot);
    }
    followReplies(answers.map((answer) => answer.text || "").filter(Boolean));
  } catch (error) {
    mine.remove();
    showStatus(error instanceof Failed ? error.message : t("down"));
    if (typed) input.value = input.value ? typed + "\n" + input.value : typed;
  } finally {
    typing.hidden = true;
    busy = false;
  }
}

function startOver() {
  state = fresh(state.lang);
  save();
  for (const item of log.querySelectorAll(".message")) item.remove();
  showStatus("");
  input.focus();
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value;
  if (busy || !text.trim()) return;
  input.value = "";
  send(text, text, text);
});

input.addEventListener("keydown", (event) => {
  // Enter sends, Shift+Enter starts a new line; not while an input method composes.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    composer.requestSubmit();
  }
});

for (const button of document.querySelectorAll("[data-language]")) {
  button.addEventListener("click", () => {
    if (busy) return;
    const language = button.dataset.language;
    state.lang = language;
    save();
    applyLanguage();
    send(`/change_language{"language":"${language}"}`, button.dataset.title);
  });
}

$("new-conversation").addEventListener("click", startOver);

applyLanguage();
for (const message of state.messages) render(message);
