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
  // The other parts of a big digest's index, searched with the first as one.
  var parts = (root.getAttribute("data-merge") || "").split(" ").filter(Boolean);
  var ui = new window.PagefindUI({
    element: "#search",
    baseUrl: base,
    bundlePath: root.getAttribute("data-bundle"),
    mergeIndex: parts.map(function (part) {
      return { bundlePath: part, baseUrl: base };
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
})();
