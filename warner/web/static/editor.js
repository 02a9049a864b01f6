/* warner console, replies page: live length counters, "use this draft", copy, mark as posted.
 *
 * The counting rules are warner/web/lengths.py's (its docstring explains them); both are checked
 * against static/length-cases.json. Without this script the page still works: the server renders
 * the counts, "use this draft" is a link, and the editor is submitted with the form.
 */
(function () {
  "use strict";

  var LIMITS = { x: 280, bluesky: 300, mastodon: 500 };
  var SMS_SINGLE = { "GSM-7": 160, "UCS-2": 70 };
  var SMS_PART = { "GSM-7": 153, "UCS-2": 67 };
  var URL_LENGTH = 23;

  // GSM 03.38 default alphabet and extension table, as warner/notify/sms/text.py.
  var GSM7_BASIC = new Set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
  );
  var GSM7_EXTENSION = new Set("^{}\\[~]|€\f");

  var X_LIGHT = [[0x0000, 0x10ff], [0x2000, 0x200d], [0x2010, 0x201f], [0x2032, 0x2037]];
  var EMOJI = [[0x2300, 0x23ff], [0x2600, 0x27bf], [0x2b00, 0x2bff], [0x1f000, 0x1faff]];
  var ZWJ = 0x200d;
  var MARK = /\p{M}/u;

  var TLDS = "com|de|org|net|eu|at|ch|io|info|co|uk|fr|it|nl|es|be|app|dev|social|shop|online|me|tv|ly";
  // No lookbehind (older Safari): the character before a bare domain is captured and given back.
  var URL_X = new RegExp(
    "https?://[^\\s<>\"]+|(^|[^@\\p{L}\\p{N}_.\\-/])((?:[a-z0-9](?:[a-z0-9\\-]*[a-z0-9])?\\.)+(?:" + TLDS +
      ")(?![\\p{L}\\p{N}_])(?:/[^\\s<>\"]*)?)",
    "giu"
  );
  var URL_MASTODON = /https?:\/\/[^\s<>"]+/giu;
  var REMOTE_MENTION = /(^|[^\p{L}\p{N}_/])(@[\p{L}\p{N}_]+)@[\p{L}\p{N}_.-]+[\p{L}\p{N}_]/gu;
  var TRAILING = ".,;:!?)]}'\"";

  function inRanges(cp, ranges) {
    for (var i = 0; i < ranges.length; i++) {
      if (cp >= ranges[i][0] && cp <= ranges[i][1]) return true;
    }
    return false;
  }

  function extendsPrevious(ch, cp) {
    return MARK.test(ch) || cp === ZWJ || (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef) ||
      (cp >= 0x1f3fb && cp <= 0x1f3ff) || (cp >= 0xe0020 && cp <= 0xe007f);
  }

  function regional(cp) {
    return cp >= 0x1f1e6 && cp <= 0x1f1ff;
  }

  /* The same compact grapheme rules as lengths.graphemes, for browsers without Intl.Segmenter. */
  function graphemesFallback(text) {
    var out = [];
    for (var ch of text) {
      var cp = ch.codePointAt(0);
      if (out.length) {
        var last = out[out.length - 1];
        var lastPoints = Array.from(last);
        var prev = lastPoints[lastPoints.length - 1].codePointAt(0);
        if (extendsPrevious(ch, cp) || (prev === ZWJ && inRanges(cp, EMOJI)) || (prev === 0x0d && cp === 0x0a) ||
            (regional(cp) && lastPoints.length === 1 && regional(prev))) {
          out[out.length - 1] = last + ch;
          continue;
        }
      }
      out.push(ch);
    }
    return out;
  }

  var segmenter = null;
  function graphemes(text, options) {
    if (!(options && options.fallback) && typeof Intl !== "undefined" && Intl.Segmenter) {
      segmenter = segmenter || new Intl.Segmenter(undefined, { granularity: "grapheme" });
      return Array.from(segmenter.segment(text), function (s) { return s.segment; });
    }
    return graphemesFallback(text);
  }

  function withoutUrls(text, pattern) {
    var found = 0;
    var rest = text.replace(pattern, function (match, before, bare) {
      var isBare = typeof before === "string" && typeof bare === "string"; // URL_X's bare-domain branch
      var url = isBare ? bare : match;
      var end = url.length;
      while (end > 0 && TRAILING.indexOf(url[end - 1]) >= 0) end--;
      found++;
      return (isBare ? before : "") + url.slice(end);
    });
    return { rest: rest, urls: found };
  }

  function xCount(text, options) {
    var cut = withoutUrls(text.normalize("NFC"), URL_X);
    var total = cut.urls * URL_LENGTH;
    graphemes(cut.rest, options).forEach(function (g) {
      var points = Array.from(g, function (c) { return c.codePointAt(0); });
      var emoji = points.some(function (cp) { return inRanges(cp, EMOJI) || cp === 0xfe0f || cp === 0x20e3; });
      if (emoji) {
        total += 2;
      } else {
        points.forEach(function (cp) { total += inRanges(cp, X_LIGHT) ? 1 : 2; });
      }
    });
    return total;
  }

  function mastodonCount(text, options) {
    var cut = withoutUrls(text, URL_MASTODON);
    var rest = cut.rest.replace(REMOTE_MENTION, function (match, before, user) { return before + user; });
    return cut.urls * URL_LENGTH + graphemes(rest, options).length;
  }

  function smsCount(text) {
    var septets = 0;
    for (var ch of text) {
      if (GSM7_BASIC.has(ch)) septets += 1;
      else if (GSM7_EXTENSION.has(ch)) septets += 2;
      else { septets = null; break; }
    }
    var encoding = septets === null ? "UCS-2" : "GSM-7";
    var used = septets === null ? text.length : septets; // UTF-16 code units
    var single = SMS_SINGLE[encoding];
    var segments = used === 0 ? 0 : used <= single ? 1 : Math.ceil(used / SMS_PART[encoding]);
    return { platform: "sms", used: used, limit: single, segments: segments, encoding: encoding, over: segments > 1 };
  }

  function plain(platform, used) {
    return { platform: platform, used: used, limit: LIMITS[platform], segments: 1, encoding: "", over: used > LIMITS[platform] };
  }

  /* Every platform's count of text; options.fallback skips Intl.Segmenter (for the tests). */
  function counts(text, options) {
    return {
      x: plain("x", xCount(text, options)),
      bluesky: plain("bluesky", graphemes(text, options).length),
      mastodon: plain("mastodon", mastodonCount(text, options)),
      sms: smsCount(text),
    };
  }

  function display(count) {
    var shown = count.used + " / " + count.limit;
    if (count.platform === "sms") {
      shown += " · " + count.segments + " SMS";
      if (count.encoding === "UCS-2") shown += " (UCS-2)";
    }
    return shown;
  }

  var api = { counts: counts, display: display, graphemes: graphemes };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api; // node runs the cases table through this (tests/web/test_lengths.py)
  }
  if (typeof document === "undefined") return;

  /* ---- the page ---- */
  var area = document.getElementById("draft-text");
  if (!area) return;
  var platforms = ["x", "bluesky", "mastodon", "sms"];
  var lengthAlert = document.getElementById("length-alert");
  var lastOver = null;

  function label(platform) {
    var element = document.querySelector('label[for="count-' + platform + '"]');
    return element ? element.textContent.trim() : platform;
  }

  function update() {
    var counted = counts(area.value);
    var over = [];
    platforms.forEach(function (platform) {
      var output = document.getElementById("count-" + platform);
      if (!output) return;
      output.textContent = display(counted[platform]);
      output.classList.toggle("over", counted[platform].over);
      if (counted[platform].over) over.push(label(platform));
    });
    var now = over.join(", ");
    if (lengthAlert && lastOver !== null && now !== lastOver) { // announce changes, not every keystroke
      lengthAlert.textContent = over.length ? lengthAlert.dataset.over.replace("{platforms}", now) : lengthAlert.dataset.fits;
    }
    lastOver = now;
  }
  area.addEventListener("input", update);
  update();

  var draftField = document.getElementById("posted-draft");
  var variantField = document.getElementById("posted-variant");
  var checklist = document.getElementById("checklist");
  var checklistEmpty = document.getElementById("checklist-empty");

  function showChecklist(card) {
    if (!checklist) return;
    checklist.textContent = "";
    var items = card.querySelectorAll(".card-checklist li");
    items.forEach(function (item, n) {
      var li = document.createElement("li");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.id = "check-" + n;
      var text = document.createElement("label");
      text.htmlFor = box.id;
      text.textContent = item.textContent;
      li.appendChild(box);
      li.appendChild(text);
      checklist.appendChild(li);
    });
    checklist.hidden = items.length === 0;
    if (checklistEmpty) checklistEmpty.hidden = items.length > 0;
  }

  document.querySelectorAll("button.use-draft").forEach(function (button) {
    var card = button.closest("article.draft");
    var link = button.parentElement.querySelector("a.use-draft-link");
    if (link) link.hidden = true;
    button.hidden = false;
    button.addEventListener("click", function () {
      var variant = button.dataset.variant === "short" ? "short" : "text";
      var source = card.querySelector(variant === "short" ? ".draft-short" : ".draft-body");
      area.value = source ? source.textContent : "";
      if (draftField) draftField.value = card.dataset.draft;
      if (variantField) variantField.value = variant;
      showChecklist(card);
      document.querySelectorAll("article.draft.chosen").forEach(function (other) { other.classList.remove("chosen"); });
      card.classList.add("chosen");
      update();
      var query = "?draft=" + encodeURIComponent(card.dataset.draft) + (variant === "short" ? "&variant=short" : "");
      if (window.history && history.replaceState) history.replaceState(null, "", query + "#editor");
      area.focus();
    });
  });

  var copy = document.getElementById("copy-draft");
  var copyStatus = document.getElementById("copy-status");
  if (copy) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      function fallback() {
        area.focus();
        area.select();
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        if (copyStatus) copyStatus.textContent = ok ? copy.dataset.done : copy.dataset.manual;
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(area.value).then(function () {
          if (copyStatus) copyStatus.textContent = copy.dataset.done;
        }, fallback);
      } else {
        fallback();
      }
    });
  }

  var posted = document.getElementById("mark-posted");
  var postedText = document.getElementById("posted-text");
  if (posted && postedText) {
    posted.addEventListener("submit", function () { postedText.value = area.value; });
  }
})();
