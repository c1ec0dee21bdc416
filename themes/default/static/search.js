// Search page: starts Pagefind's UI (loaded before this script) under the site's base
// path and runs the query from ?q= (the search box in the header submits here).
(function () {
  "use strict";
  var root = document.getElementById("search");
  if (!root) return;
  document.getElementById("search-nojs").hidden = true;
  if (typeof window.PagefindUI !== "function") {
    document.getElementById("search-unavailable").hidden = false;
    return;
  }
  var base = root.getAttribute("data-base");
  var bundle = root.getAttribute("data-bundle");
  var start = function (parts) {
    var ui = new window.PagefindUI({
      element: "#search",
      baseUrl: base,
      bundlePath: bundle,
      // The other parts of a big digest's index, searched with the first as one.
      mergeIndex: parts.map(function (part) {
        return { bundlePath: bundle + part, baseUrl: base };
      }),
      showImages: false,
      showSubResults: true,
      autofocus: false,
      translations: { placeholder: "Search the digest" }
    });
    // Pagefind's input has only a placeholder: give it an accessible name.
    var labelled = function () {
      var input = root.querySelector("input[type=text], input[type=search]");
      if (!input) return false;
      input.setAttribute("aria-label", "Search the digest");
      return true;
    };
    if (!labelled()) {
      new MutationObserver(function (_records, observer) {
        if (labelled()) observer.disconnect();
      }).observe(root, { childList: true, subtree: true });
    }
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) ui.triggerSearch(query);
  };
  // The index lists its parts (pagefind/parts.json, written with it); an index without
  // the list, or a list that cannot be read, is searched as one part.
  var names = function (list) {
    var parts = list && Array.isArray(list.parts) ? list.parts : [];
    return parts.filter(function (part) {
      return typeof part === "string" && /^part-[0-9]+\/$/.test(part);
    });
  };
  if (typeof window.fetch !== "function") {
    start([]);
    return;
  }
  window
    .fetch(bundle + "parts.json")
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .catch(function () {
      return null;
    })
    .then(function (list) {
      start(names(list));
    });
})();
