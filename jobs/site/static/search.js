// Client-side search: every word typed must appear in the title, the translated title,
// an author or the arXiv ID (case-insensitive). No server needed. search.json lists the
// index's files (one per month, newest first), loaded once on the first key press.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("results");
  if (!input || !list) { return; }
  var records = null;
  function haystack(r) {
    return [r.i, r.t, r.r, (r.a || []).join(" ")].join(" ").toLowerCase();
  }
  function show(found) {
    list.textContent = "";
    if (!found.length) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = input.getAttribute("data-empty");
      list.appendChild(none);
      return;
    }
    found.slice(0, 50).forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.u;
      a.textContent = r.t;
      li.appendChild(a);
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = r.d + " · " + r.i + (r.r ? " · " + r.r : "");
      li.appendChild(meta);
      list.appendChild(li);
    });
  }
  function run() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) { list.textContent = ""; return; }
    show(records.filter(function (r) {
      var text = r._h || (r._h = haystack(r));
      return words.every(function (w) { return text.indexOf(w) !== -1; });
    }));
  }
  var loading = null;
  function json(res) { return res.json(); }
  function load() {
    var index = input.getAttribute("data-index");
    var base = index.slice(0, index.lastIndexOf("/") + 1);
    return fetch(index).then(json).then(function (list) {
      return Promise.all(list.months.map(function (url) { return fetch(base + url).then(json); }));
    }).then(function (months) { records = [].concat.apply([], months); });
  }
  input.addEventListener("input", function () {
    if (records) { run(); return; }
    if (!loading) { loading = load(); }
    loading.then(run);
  });
}());
