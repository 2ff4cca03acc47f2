// Live updates for the overview: the bandwidth graph and the numbers
// refresh every few seconds. Everything else works without this script.
(function () {
  "use strict";
  var root = document.body.getAttribute("data-root") || "/";
  var graph = document.getElementById("graph");
  if (!graph) { return; }
  function human(n) {
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return i === 0 ? Math.round(n) + " B" : n.toFixed(1) + " " + u[i];
  }
  function dur(ns) {
    var s = Math.round(ns / 1e9), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    if (h >= 24) { return Math.floor(h / 24) + "d " + (h % 24) + "h"; }
    if (h > 0) { return h + "h " + m + "m"; }
    if (m > 0) { return m + "m " + (s % 60) + "s"; }
    return s + "s";
  }
  function set(name, text) {
    var el = document.querySelector('[data-field="' + name + '"]');
    if (el) { el.textContent = text; }
  }
  function tick() {
    graph.src = root + "graph.svg?t=" + Date.now();
    fetch(root + "api/status", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
      var o = s.Overview;
      set("uptime", dur(o.Uptime));
      set("status", o.Status);
      set("rate_in", human(o.RateIn) + "/s");
      set("rate_out", human(o.RateOut) + "/s");
      set("bytes_in", human(o.BytesIn) + " total");
      set("bytes_out", human(o.BytesOut) + " total");
      set("peers_active", o.PeersActive);
      set("peers_known", o.PeersKnown);
      set("transit", o.Transit);
      set("build_success", o.BuildSuccess === null ? "–" : Math.round(o.BuildSuccess * 100) + "%");
      var done = 0;
      s.Bootstrap.forEach(function (st) { if (st.Done) { done++; } });
      var bar = document.getElementById("bootstrap");
      if (bar && s.Bootstrap.length) { bar.value = Math.floor(done * 100 / s.Bootstrap.length); }
    }).catch(function () {});
  }
  setInterval(tick, 5000);
})();
