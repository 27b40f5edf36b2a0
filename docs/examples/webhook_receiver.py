"""Exemple de récepteur de webhooks du contrat de ville : bibliothèque standard de Python + `standardwebhooks`.

    pip install standardwebhooks
    WEBHOOK_SECRET=whsec_… PORT=8080 python webhook_receiver.py

- OPTIONS : la poignée de main de validation (CloudEvents) ; on accepte l'origine de la plateforme. Elle arrive
  à l'enregistrement, avant que vous ne connaissiez le secret : ce récepteur y répond même sans secret.
- POST : un CloudEvent (`Content-Type: application/cloudevents+json`) signé ; on vérifie la signature et
  l'horodatage (5 minutes de tolérance) sur le corps brut, avant de le lire. Un même événement peut arriver
  plusieurs fois (nouvelles tentatives, renvois) : traitez-le une fois, par son `webhook-id` (= l'`id` du CloudEvent).
"""

from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


class Receiver(BaseHTTPRequestHandler):
    origin = os.environ.get("WEBHOOK_ORIGIN", "contrat-de-ville.nantesmetropole.example")
    secret = os.environ.get("WEBHOOK_SECRET")  # whsec_…, donné une seule fois par l'administrateur

    def do_OPTIONS(self) -> None:
        asked = self.headers.get("WebHook-Request-Origin", "")
        if asked != self.origin:
            self._answer(403)
            return
        self._answer(200, {"WebHook-Allowed-Origin": asked, "WebHook-Allowed-Rate": "*", "Allow": "POST, OPTIONS"})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not self.secret:
            self._answer(503, {"Retry-After": "60"})  # pas encore configuré : la plateforme réessaiera
            return
        try:
            event = Webhook(self.secret).verify(body, dict(self.headers))
        except WebhookVerificationError:
            self._answer(401)  # signature fausse, corps modifié ou message trop ancien : on ignore
            return
        self.handle_event(event)
        self._answer(204)

    def handle_event(self, event: dict[str, Any]) -> None:
        """Votre traitement (idempotent sur event["id"])."""
        print(event["id"], event["type"], json.dumps(event["data"], ensure_ascii=False), flush=True)

    def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Receiver).serve_forever()
