/* Entity preview cards and the entity index filter: progressive enhancement only.
   Without this script entity links are plain links and the index lists everything. */
(function () {
  "use strict";
  var script = document.currentScript;
  var cardsUrl = script && script.getAttribute("data-cards");
  var cards = null;
  var loading = null;
  var card = null;
  var current = null;
  var hideTimer = null;

  function load() {
    if (cards) return Promise.resolve(cards);
    if (!loading) {
      loading = fetch(cardsUrl)
        .then(function (r) { return r.ok ? r.json() : {}; })
        .catch(function () { return {}; })
        .then(function (data) { cards = data; return data; });
    }
    return loading;
  }

  function makeCard() {
    card = document.createElement("div");
    card.id = "entity-card";
    card.className = "entity-card";
    card.setAttribute("role", "tooltip");
    card.hidden = true;
    card.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
    card.addEventListener("mouseleave", scheduleHide);
    document.body.appendChild(card);
  }

  function line(tag, cls, text) {
    var el = document.createElement(tag);
    el.className = cls;
    el.textContent = text;
    return el;
  }

  function show(link) {
    var id = link.getAttribute("data-entity");
    load().then(function (data) {
      var info = data[id];
      if (!info || current !== link) return;
      if (!card) makeCard();
      card.replaceChildren(
        line("p", "entity-card-name", info.name),
        line("p", "entity-card-type", info.type + " · " + info.count + " mention" + (info.count === 1 ? "" : "s")),
        line("p", "entity-card-summary", info.summary)
      );
      var box = link.getBoundingClientRect();
      card.style.left = Math.max(8, Math.min(window.scrollX + box.left, window.scrollX + document.documentElement.clientWidth - 320)) + "px";
      card.style.top = (window.scrollY + box.bottom + 6) + "px";
      card.hidden = false;
      link.setAttribute("aria-describedby", "entity-card");
    });
  }

  function hide() {
    if (card) card.hidden = true;
    if (current) current.removeAttribute("aria-describedby");
    current = null;
  }

  function scheduleHide() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 150);
  }

  function enter(event) {
    var link = event.target.closest && event.target.closest("a[data-entity]");
    if (!link) return;
    clearTimeout(hideTimer);
    current = link;
    show(link);
  }

  function leave(event) {
    var link = event.target.closest && event.target.closest("a[data-entity]");
    if (link) scheduleHide();
  }

  if (cardsUrl && window.fetch && document.querySelector("a[data-entity]")) {
    document.addEventListener("mouseover", enter);
    document.addEventListener("mouseout", leave);
    document.addEventListener("focusin", enter);
    document.addEventListener("focusout", leave);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && current) hide();
    });
  }

  /* Entity index: reveal the filter box and hide entries that do not match. */
  var filter = document.getElementById("entity-filter");
  if (filter) {
    var wrap = filter.closest(".entity-filter");
    var status = document.getElementById("entity-filter-status");
    wrap.hidden = false;
    filter.addEventListener("input", function () {
      var wanted = filter.value.trim().toLowerCase();
      var shown = 0;
      document.querySelectorAll(".entity-group").forEach(function (group) {
        var visible = 0;
        group.querySelectorAll("li[data-names]").forEach(function (item) {
          var match = !wanted || item.getAttribute("data-names").toLowerCase().indexOf(wanted) !== -1;
          item.hidden = !match;
          if (match) visible += 1;
        });
        group.hidden = visible === 0;
        shown += visible;
      });
      status.textContent = wanted ? shown + " matching" : "";
    });
  }
})();
