// Recent moments as people say them: "3 jam yang lalu", "2 hari yang lalu", "sekarang".
// A <time data-ago> carries the moment (UTC, in its datetime attribute) and the city's
// date and time as the server wrote them; that text moves to the title, and stays the
// text for moments older than a week, in the future, or where the browser cannot say
// relative times. Rendered here, not on the server, so that a page answered with 304
// (its ETag says its data did not change) still says "5 menit yang lalu" an hour later.
(function () {
  if (!window.Intl || !Intl.RelativeTimeFormat || !document.querySelectorAll) return;
  var lang = document.documentElement.lang || "id";
  var always = new Intl.RelativeTimeFormat(lang, {numeric: "always"});
  var auto = new Intl.RelativeTimeFormat(lang, {numeric: "auto"});
  var WEEK = 7 * 86400;
  var UNITS = [[3600, 60, "minute"], [86400, 3600, "hour"], [WEEK, 86400, "day"]];

  function phrase(seconds) {
    if (seconds < 60) return auto.format(0, "second");  // "sekarang", "now"
    for (var i = 0; i < UNITS.length; i++) {
      if (seconds < UNITS[i][0]) {
        return always.format(-Math.floor(seconds / UNITS[i][1]), UNITS[i][2]);
      }
    }
    return null;
  }

  function render() {
    var now = Date.now();
    var times = document.querySelectorAll("time[data-ago]");
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) continue;
      if (!el.hasAttribute("data-absolute")) el.setAttribute("data-absolute", el.textContent);
      var absolute = el.getAttribute("data-absolute");
      var seconds = (now - at) / 1000;
      // a clock a little ahead of the server's is still "now"; further ahead, or older
      // than a week: the date and time
      var text = seconds > -120 && seconds < WEEK ? phrase(Math.max(seconds, 0)) : null;
      if (text === null) {
        el.textContent = absolute;
        el.removeAttribute("title");
      } else {
        el.textContent = text;
        el.title = absolute;
      }
    }
  }

  render();
  setInterval(render, 30000);
  document.addEventListener("gotong:updated", render);  // live.js swapped a region in
})();
