/* Import CSV: the upload's progress on the form's <progress> (then indeterminate while the server checks). */
(function () {
  "use strict";

  function parts(evt) {
    var elt = evt.detail && evt.detail.elt;
    var form = elt && elt.closest && elt.closest("[data-upload-progress]");
    if (!form) { return null; }
    var bar = document.querySelector(form.getAttribute("data-upload-progress"));
    var text = form.querySelector("[data-progress-text]");
    return bar ? { bar: bar, text: text } : null;
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var p = parts(evt);
    if (!p) { return; }
    p.bar.value = 0;
    if (p.text) { p.text.textContent = "Envoi du fichier…"; }
  });

  document.addEventListener("htmx:xhr:progress", function (evt) {
    var p = parts(evt);
    if (!p || !evt.detail.lengthComputable || !evt.detail.total) { return; }
    var percent = Math.round(evt.detail.loaded / evt.detail.total * 100);
    if (percent < 100) {
      p.bar.value = percent;
      if (p.text) { p.text.textContent = "Envoi du fichier : " + percent + " %"; }
    } else {
      p.bar.removeAttribute("value");
      if (p.text) { p.text.textContent = "Fichier reçu, vérification de chaque ligne…"; }
    }
  });
})();
