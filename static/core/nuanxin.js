// Small behaviours every page may use, declared in the markup (no inline script, so the
// Content-Security-Policy can forbid it):
//   <select data-autosubmit>  submits its form when changed;
//   <a data-print href=…>     opens the document in a new window and prints it.
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
