// Which language the bot's reply is in (fr, ar or dar), so that the page's own words
// (placeholder, send button, header, status messages) follow the conversation.
// The bot answers in French (Latin script), Modern Standard Arabic or Darija (both in
// Arabic script): the script tells French from the other two, and words only Darija
// uses (or only Modern Standard Arabic uses) tell those apart. A reply that says
// neither keeps the current language. tests/test_webchat_language.py checks this
// against every response of the domain.
"use strict";

const REPLY_ARABIC = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/g;
const REPLY_LATIN = /[A-Za-z\u00C0-\u024F]/g;
// Whole words (the reply is cut at anything that is not an Arabic letter).
const DARIJA_WORDS = new Set([
  "ديال", "ديالك", "ديالي", "ديالهم", "ديالها", "ديالو", "واش", "شنو", "شحال", "كيفاش", "فين", "فوقاش",
  "علاش", "باش", "دابا", "بزاف", "ماشي", "كاين", "كاينة", "كاينين", "غادي", "خاصك", "خاصني", "خاصو",
  "خاصها", "عاود", "عيط", "سير", "نتا", "نتي", "راك", "بحال", "والو", "حيت", "مزيان", "ف", "ل", "شي",
  "هاد", "هادا", "هادي", "كيتخلص", "كتخلص", "تخلص", "خلص", "صيفط", "ورك", "كمل", "حتى",
  "بلا", "اللي", "عندك", "تقدر", "نقدر", "كنتي", "ختار", "كتب", "سول", "قلب", "لاكارط", "التيليفون",
  "بغيتي", "بغيت", "بغيتيني", "بأشمن", "أشمن", "نجاوبك", "كنجاوبك", "وقفت", "كيجاوب",
]);
const ARABIC_WORDS = new Set([
  "هل", "يمكنك", "يمكن", "الذي", "التي", "الذين", "لدى", "لدي", "ليست", "ليس", "إلى", "عن", "أو",
  "حاليا", "لمعرفة", "اتصل", "بالرقم", "أي", "كان", "يجب", "ينبغي", "تتم", "يتم", "لكي", "ثم", "أن",
  "إذا", "فإن", "أيضا", "عبر", "حسب", "منذ", "أنت", "لم", "لن", "هذه", "هذا", "اضغط", "اختر",
  "سوف", "تريد", "أريد", "مؤقتا", "سأجيبك", "أجيبك", "هو", "هي", "حسنا", "متى", "شئت", "تم", "بتاريخ",
  "مطلوب", "واصل", "أولا", "تختلف", "مثلا", "شيء",
]);

function replyLanguage(text, current) {
  const arabic = (text.match(REPLY_ARABIC) || []).length;
  const latin = (text.match(REPLY_LATIN) || []).length;
  if (!arabic && !latin) return current;
  if (latin > arabic) return "fr";
  let darija = 0, msa = 0;
  for (const word of text.split(/[^\u0600-\u06FF]+/)) {
    if (DARIJA_WORDS.has(word)) darija += 1;
    if (ARABIC_WORDS.has(word)) msa += 1;
  }
  if (darija > msa) return "dar";
  if (msa > darija) return "ar";
  return current === "ar" || current === "dar" ? current : "ar";
}

if (typeof module !== "undefined") module.exports = { replyLanguage };
