// Keeps a page's live region current: an SSE stream says when its data changed,
// then the page is fetched again and the region swapped. Without EventSource (or
// when something fails) the plain "reload" link stays visible instead.
(function () {
  var region = document.querySelector("[data-live]");
  var link = document.getElementById("live-reload");
  if (!region || !window.EventSource || !window.fetch || !window.DOMParser) return;
  if (link) link.hidden = true;
  var typing = function () {
    var el = document.activeElement;
    return el && region.contains(el) && (el.value || "") !== "" &&
      (el.tagName === "TEXTAREA" || el.tagName === "INPUT");
  };
  var showLink = function () { if (link) link.hidden = false; };
  var source = new EventSource(region.getAttribute("data-live"));
  source.addEventListener("version", function (e) {
    if (e.data === region.getAttribute("data-version")) return;
    if (typing()) { showLink(); return; }
    fetch(window.location.href, {headers: {"Accept": "text/html"}, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
        if (!fresh) throw new Error("no region");
        region.replaceWith(fresh);
        region = fresh;
        region.setAttribute("data-version", e.data);
        document.dispatchEvent(new CustomEvent("gotong:updated"));
      })
      .catch(showLink);
  });
  source.onerror = function () { if (source.readyState === EventSource.CLOSED) showLink(); };
})();
