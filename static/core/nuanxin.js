// Small behaviours every page may use, declared in the markup (no inline script, so the
// Content-Security-Policy can forbid it):
//   <select data-autosubmit>  submits its form when changed;
//   <a data-print href=…>     opens the document in a new window and prints it;
// and a fragment request (htmx) that fails says so, instead of leaving the page unchanged:
// the server's own message when it sent plain text, else the page's generic one
// (<body data-request-failed="…">).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("[data-autosubmit]") && field.form) { field.form.submit(); }
});
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-print]");
  if (!link) { return; }
  var opened = window.open(link.href);
  if (opened) {
    event.preventDefault();
    opened.addEventListener("load", function () { opened.print(); });
  }
});

function showRequestFailure(text) {
  var list = document.getElementById("request-failed");
  if (!list) {
    list = document.createElement("ul");
    list.id = "request-failed";
    list.className = "messages";
    list.setAttribute("role", "alert");
    var main = document.querySelector("main") || document.body;
    main.parentNode.insertBefore(list, main);
  }
  var item = document.createElement("li");
  item.className = "error";
  item.textContent = text;
  list.replaceChildren(item);
}
document.addEventListener("htmx:responseError", function (event) {
  var xhr = event.detail.xhr;
  var plain = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0;
  showRequestFailure(plain && xhr.responseText ? xhr.responseText : document.body.dataset.requestFailed);
});
document.addEventListener("htmx:sendError", function () {
  showRequestFailure(document.body.dataset.requestFailed);
});
