// Accessible names for the admin's script-made widgets, which Django's own templates
// cannot reach: the autocomplete comboboxes (select2) take the field's label, and the
// filter-horizontal help icons become images so their aria-label is allowed.
(function () {
  "use strict";

  function nameComboboxes(root) {
    root.querySelectorAll(".select2-container").forEach(function (container) {
      var select = container.previousElementSibling;
      if (!select || select.tagName !== "SELECT" || !select.id) {
        return;
      }
      var label = select.labels && select.labels[0];
      if (!label) {
        return;
      }
      if (!label.id) {
        label.id = select.id + "-label";
      }
      container.querySelectorAll('[role="combobox"], [role="textbox"]').forEach(function (el) {
        el.setAttribute("aria-labelledby", label.id);
      });
    });
  }

  function roleTooltips(root) {
    root.querySelectorAll("span.help-tooltip[aria-label]").forEach(function (span) {
      span.setAttribute("role", "img");
    });
  }

  function fix(root) {
    nameComboboxes(root);
    roleTooltips(root);
  }

  // select2 and SelectFilter2 build their markup at different moments (ready, load,
  // a new inline row), so the names are given whenever the page changes.
  new MutationObserver(function () {
    fix(document);
  }).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", function () {
    fix(document);
  });
})();
