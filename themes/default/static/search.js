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
  var ui = new window.PagefindUI({
    element: "#search",
    baseUrl: root.getAttribute("data-base"),
    bundlePath: root.getAttribute("data-bundle"),
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
