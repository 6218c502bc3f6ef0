// The printable sheet's "Print" button (a file, not inline: the page's CSP allows no inline script).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print");
  if (button) button.addEventListener("click", function () { window.print(); });
});
