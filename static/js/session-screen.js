// The facilitator's session screen: load the next check-in code when this one expires.
// Without JavaScript the page offers a plain link to do the same.
(function () {
  "use strict";
  var screen = document.getElementById("session-screen");
  if (!screen) {
    return;
  }
  var seconds = parseInt(screen.getAttribute("data-refresh-seconds"), 10);
  if (!(seconds > 0)) {
    seconds = 30;
  }
  window.setTimeout(function () {
    window.location.reload();
  }, seconds * 1000 + 500);
})();
