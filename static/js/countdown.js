// Keeps every [data-deadline] countdown current; the server rendered the first value.
(function () {
  function text(ms) {
    var past = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    var t = d ? d + "天" + h + "小时" : (h ? h + "小时" + m + "分" : m + "分");
    return (past ? "已逾期 " : "剩余 ") + t;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var ms = Date.parse(el.getAttribute("data-deadline")) - now;
      el.textContent = text(ms);
      el.classList.toggle("overdue", ms < 0);
      var row = el.closest("[data-deadline-row]");
      if (row) row.classList.toggle("overdue-row", ms < 0);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
})();
