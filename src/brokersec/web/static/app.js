// brokersec: small progressive enhancements; every page works without them.
// No inline script anywhere (CSP forbids it); behaviour hangs off data- attributes.
(function () {
  "use strict";

  // Drag and drop onto <div data-dropzone> fills its file input and submits the enclosing form.
  function setupDropzones(root) {
    root.querySelectorAll("[data-dropzone]").forEach(function (zone) {
      if (zone.dataset.ready) return;
      zone.dataset.ready = "1";
      var input = zone.querySelector("input[type=file]");
      ["dragenter", "dragover"].forEach(function (ev) {
        zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
      });
      ["dragleave", "drop"].forEach(function (ev) {
        zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.remove("over"); });
      });
      zone.addEventListener("drop", function (e) {
        if (!input || !e.dataTransfer.files.length) return;
        input.files = e.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  }

  // Ask before destructive actions: <button data-confirm="...">.
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) e.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () { setupDropzones(document); });
  document.addEventListener("htmx:afterSwap", function (e) { setupDropzones(e.target); });
})();
