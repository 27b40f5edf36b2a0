/* Small behaviours around htmx: announce swapped results to screen readers, report network errors. */
(function () {
  "use strict";

  function announce(text) {
    var live = document.getElementById("annonces");
    if (!live || !text) { return; }
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 60);
  }

  function errorBox() { return document.getElementById("erreur-reseau"); }

  function showError(text) {
    var box = errorBox();
    if (!box) { return; }
    box.textContent = text;
    box.hidden = false;
  }

  function quiet(evt) {
    var elt = evt.detail && evt.detail.elt;
    return elt && elt.closest && elt.closest("[data-quiet-errors]");
  }

  function markAnnounced() {
    document.querySelectorAll("[data-announce]").forEach(function (el) { el.setAttribute("data-announced", ""); });
  }

  document.addEventListener("DOMContentLoaded", markAnnounced);

  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("[data-announce]:not([data-announced])").forEach(function (el) {
      announce(el.textContent.trim());
    });
    markAnnounced();
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    var box = errorBox();
    if (box && evt.detail.successful) { box.hidden = true; }
  });

  document.addEventListener("htmx:responseError", function (evt) {
    if (quiet(evt)) { return; }
    showError("Le serveur n'a pas pu traiter la demande (erreur " + evt.detail.xhr.status + "). " +
      "Rechargez la page pour vérifier ce qui a été enregistré, puis réessayez.");
  });

  document.addEventListener("htmx:sendError", function (evt) {
    var panel = quiet(evt);
    if (panel) {
      panel.innerHTML = "";
      var p = document.createElement("p");
      p.className = "health__unreachable";
      p.textContent = "La plateforme ne répond pas : impossible de vérifier l'état des services.";
      panel.appendChild(p);
      return;
    }
    showError("Le serveur ne répond pas. Vérifiez votre connexion, puis réessayez.");
  });
})();

/* « Tout cocher » of a list of checkboxes (without JavaScript, the link reloads the list with all of them checked). */
(function () {
  "use strict";
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("[data-check-all]");
    if (!link) { return; }
    var form = document.querySelector(link.getAttribute("data-check-all"));
    if (!form) { return; }
    evt.preventDefault();
    var boxes = form.querySelectorAll('input[type="checkbox"][name="ids"]');
    var all = Array.prototype.every.call(boxes, function (b) { return b.checked; });
    boxes.forEach(function (b) { b.checked = !all; });
    link.textContent = all ? "Tout cocher" : "Tout décocher";
  });
})();
