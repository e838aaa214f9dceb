// mathreel: typeset math with the site's own KaTeX; the gallery's filters, sorting and
// animated previews; the storyboard, chapters and key equations that seek the video.
// No request leaves the site.
(function () {
  "use strict";

  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");

  // ------------------------------------------------------------------ math
  function typeset(root) {
    if (typeof renderMathInElement !== "function") return;
    root.querySelectorAll(".arithmatex").forEach(function (el) {
      if (el.dataset.mrTypeset) return;
      // Search highlighting may have split the TeX into several nodes: join them again.
      if (el.children.length && !el.querySelector(".katex")) el.textContent = el.textContent;
      renderMathInElement(el, {
        delimiters: [
          { left: "\\[", right: "\\]", display: true },
          { left: "\\(", right: "\\)", display: false }
        ],
        throwOnError: false,
        trust: false,
        strict: "ignore"
      });
      el.dataset.mrTypeset = "1";
    });
  }

  // ------------------------------------------------------------------ gallery
  function setupGallery(root) {
    var wrap = root.querySelector(".mr-gallery-wrap");
    if (!wrap || wrap.dataset.mrReady) return;
    wrap.dataset.mrReady = "1";
    var gallery = wrap.querySelector(".mr-gallery");
    var toolbar = wrap.querySelector("[data-mr-toolbar]");
    var cards = Array.prototype.slice.call(gallery.querySelectorAll(".mr-card"));
    var tagButtons = wrap.querySelectorAll(".mr-filter[data-tag]");
    var levelButtons = wrap.querySelectorAll(".mr-filter[data-level]");
    var sortSelect = wrap.querySelector("[data-mr-sort]");
    var shown = wrap.querySelector("[data-mr-shown]");
    var clear = wrap.querySelector("[data-mr-clear]");
    var empty = wrap.querySelector("[data-mr-empty]");
    var state = { tags: new Set(), level: "", sort: "title" };

    function readHash() {
      state.tags.clear(); state.level = ""; state.sort = "title";
      var params = new URLSearchParams(location.hash.replace(/^#/, ""));
      (params.get("tags") || "").split(",").forEach(function (t) { if (t) state.tags.add(t); });
      state.level = params.get("level") || "";
      var sort = params.get("sort");
      if (sort === "level" || sort === "newest" || sort === "title") state.sort = sort;
    }

    function writeHash() {
      var params = new URLSearchParams();
      if (state.tags.size) params.set("tags", Array.from(state.tags).join(","));
      if (state.level) params.set("level", state.level);
      if (state.sort !== "title") params.set("sort", state.sort);
      var hash = params.toString();
      var url = location.pathname + location.search + (hash ? "#" + hash : "");
      history.replaceState(history.state, "", url);
    }

    function compare(a, b) {
      var ta = a.dataset.title || "", tb = b.dataset.title || "";
      if (state.sort === "level") {
        var d = Number(a.dataset.levelRank) - Number(b.dataset.levelRank);
        if (d) return d;
      } else if (state.sort === "newest") {
        var da = a.dataset.date || "", db = b.dataset.date || "";
        if (da !== db) return da < db ? 1 : -1;
      }
      return ta < tb ? -1 : ta > tb ? 1 : 0;
    }

    function apply() {
      var count = 0;
      cards.forEach(function (card) {
        var tags = (card.dataset.tags || "").split(" ");
        var tagOk = state.tags.size === 0 || tags.some(function (t) { return state.tags.has(t); });
        var levelOk = !state.level || card.dataset.level === state.level;
        card.hidden = !(tagOk && levelOk);
        if (!card.hidden) count += 1;
      });
      cards.slice().sort(compare).forEach(function (card) { gallery.appendChild(card); });
      tagButtons.forEach(function (b) {
        b.setAttribute("aria-pressed", state.tags.has(b.dataset.tag) ? "true" : "false");
      });
      levelButtons.forEach(function (b) {
        b.setAttribute("aria-pressed", state.level === b.dataset.level ? "true" : "false");
      });
      if (sortSelect) sortSelect.value = state.sort;
      if (shown) shown.textContent = String(count);
      if (clear) clear.hidden = !(state.tags.size || state.level);
      if (empty) empty.hidden = count !== 0;
      gallery.dataset.shown = String(count);
    }

    tagButtons.forEach(function (button) {
      button.addEventListener("click", function () {
        var tag = button.dataset.tag;
        if (state.tags.has(tag)) state.tags.delete(tag); else state.tags.add(tag);
        apply(); writeHash();
      });
    });
    levelButtons.forEach(function (button) {
      button.addEventListener("click", function () {
        state.level = state.level === button.dataset.level ? "" : button.dataset.level;
        apply(); writeHash();
      });
    });
    if (sortSelect) sortSelect.addEventListener("change", function () {
      state.sort = sortSelect.value; apply(); writeHash();
    });
    if (clear) clear.addEventListener("click", function () {
      state.tags.clear(); state.level = ""; apply(); writeHash();
    });

    // A link to filtered results (or editing the address) changes the hash without a reload.
    window.addEventListener("hashchange", function () { readHash(); apply(); });
    readHash();
    if (toolbar) toolbar.hidden = false;
    apply();
    cards.forEach(setupPreview);
  }

  // Hover or focus a card: its poster becomes the animated preview, fetched only then.
  function setupPreview(card) {
    var img = card.querySelector("img[data-preview]");
    if (!img) return;
    var poster = img.getAttribute("src");
    var preview = img.getAttribute("data-preview");
    var active = false, loaded = false;
    function play() {
      if (reduceMotion && reduceMotion.matches) return;
      active = true;
      card.classList.add("mr-playing");
      if (loaded) { img.src = preview; return; }
      var probe = new Image();
      probe.onload = function () { loaded = true; if (active) img.src = preview; };
      probe.src = preview;
    }
    function stop() {
      active = false;
      card.classList.remove("mr-playing");
      if (img.getAttribute("src") !== poster) img.src = poster;
    }
    card.addEventListener("mouseenter", play);
    card.addEventListener("focus", play);
    card.addEventListener("mouseleave", function () { if (document.activeElement !== card) stop(); });
    card.addEventListener("blur", stop);
  }

  // ------------------------------------------------------------------ concept page
  // Storyboard frames, chapters and key equations all carry data-time: a click seeks the
  // page's (first) video there and plays. With instant navigation each page brings a new
  // <video>, so binding once per video element binds once per page.
  var SEEKERS = ".mr-frame[data-time], .mr-chapter[data-time], .mr-anchor-time[data-time]";

  function seekTo(video, time) {
    function seek() {
      video.currentTime = Math.min(time, (video.duration || time + 1) - 0.05);
      var played = video.play();
      if (played && played.catch) played.catch(function () { /* autoplay refused: the user presses play */ });
    }
    if (video.readyState >= 1) seek();
    else {
      video.addEventListener("loadedmetadata", seek, { once: true });
      video.preload = "metadata";
      video.load();
    }
    video.focus({ preventScroll: true });
    video.scrollIntoView({ block: "nearest", behavior: reduceMotion && reduceMotion.matches ? "auto" : "smooth" });
  }

  function setupChapters(root, video) {
    var buttons = Array.prototype.slice.call(root.querySelectorAll(".mr-chapter[data-time]"));
    if (!buttons.length) return;
    var starts = buttons.map(function (b) { return Number(b.dataset.time) || 0; });
    var current = -1;
    function mark() {
      // Half a frame early: a seek to a chapter's start may land a hair before it.
      var t = video.currentTime + 0.04, index = 0;
      for (var i = 0; i < starts.length; i++) if (t >= starts[i]) index = i;
      if (index === current) return;
      current = index;
      buttons.forEach(function (b, i) {
        if (i === index) b.setAttribute("aria-current", "true");
        else b.removeAttribute("aria-current");
      });
    }
    ["timeupdate", "seeked", "loadedmetadata"].forEach(function (name) {
      video.addEventListener(name, mark);
    });
  }

  function setupStoryboard(root) {
    var video = root.querySelector("video.mr-video");
    if (!video || video.dataset.mrReady) return;
    video.dataset.mrReady = "1";
    root.querySelectorAll(SEEKERS).forEach(function (button) {
      button.addEventListener("click", function () {
        seekTo(video, Number(button.dataset.time) || 0);
      });
    });
    setupChapters(root, video);
  }

  function init() {
    typeset(document.body);
    setupGallery(document.body);
    setupStoryboard(document.body);
  }

  // Material's instant navigation announces each new page on document$; plain loads do not.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
