// mathreel: typeset math with the site's own KaTeX, and make the gallery filters work.
(function () {
  "use strict";

  function typeset(root) {
    if (typeof renderMathInElement !== "function") return;
    root.querySelectorAll(".arithmatex").forEach(function (el) {
      renderMathInElement(el, {
        delimiters: [
          { left: "\\[", right: "\\]", display: true },
          { left: "\\(", right: "\\)", display: false }
        ],
        throwOnError: false
      });
    });
  }

  function setupFilters(root) {
    var gallery = root.querySelector(".mr-gallery");
    if (!gallery) return;
    var buttons = root.querySelectorAll(".mr-filter");
    var active = new Set();
    function apply() {
      gallery.querySelectorAll(".mr-card").forEach(function (card) {
        var tags = (card.dataset.tags || "").split(" ");
        var show = active.size === 0 || tags.some(function (t) { return active.has(t); });
        card.hidden = !show;
      });
    }
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var tag = button.dataset.tag;
        if (active.has(tag)) active.delete(tag); else active.add(tag);
        button.setAttribute("aria-pressed", active.has(tag) ? "true" : "false");
        apply();
      });
    });
  }

  function init() {
    typeset(document.body);
    setupFilters(document.body);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
