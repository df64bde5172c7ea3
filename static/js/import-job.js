// The status page of an import step (an uploaded file's check, or a confirmed import)
// keeps itself current while the step waits or runs: it asks for the page again after a
// few seconds, waiting longer each time (up to a minute), and swaps in the new status,
// which screen readers announce (the region is role="status"). It stops once the step is
// done or failed: a checked file's status then holds the link to its preview, a refused
// file's the reason; the details below the region (a refused file's list of problems)
// are swapped in too, without being read out.
// Without scripts the page's "Update" link does the same by hand.
(function () {
  "use strict";

  var region = document.getElementById("import-job-status");
  if (!region || !region.dataset.refreshSeconds || !window.fetch || !window.DOMParser) {
    return;
  }
  var delay = Number(region.dataset.refreshSeconds) * 1000;
  var longest = 60000;

  function later() {
    window.setTimeout(ask, delay);
    delay = Math.min(Math.round(delay * 1.5), longest);
  }

  function ask() {
    window
      .fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser()
          .parseFromString(html, "text/html")
          .getElementById("import-job-status");
        if (!fresh) {
          return;
        }
        if (fresh.innerHTML !== region.innerHTML) {
          region.innerHTML = fresh.innerHTML;
          region.className = fresh.className;
        }
        var details = document.getElementById("import-job-details");
        var freshDetails = fresh.ownerDocument.getElementById("import-job-details");
        if (details && freshDetails && freshDetails.innerHTML !== details.innerHTML) {
          details.innerHTML = freshDetails.innerHTML;
        }
        if (fresh.dataset.refreshSeconds) {
          later();
        } else {
          region.removeAttribute("data-refresh-seconds");
        }
      })
      .catch(later);
  }

  later();
})();
