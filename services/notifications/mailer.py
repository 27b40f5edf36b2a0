"""SMTP out, with aiosmtplib: one connection reused while there is mail to send, one transaction per recipient.

Exactly one e-mail per delivery, even if the process is killed: the DATA phase is split so that the caller can
record "handed over" durably *just before* the final "." that makes the server take the message. Killed
before that mark, the server discards the unfinished message and the delivery is simply sent again; killed
after it, the server has (almost surely) taken the message, and the delivery counts as sent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiosmtplib
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    starttls: bool = False
    implicit_tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0


class Refused(Exception):
    """The server answered with an error code (the address, the sender or the message was refused)."""

    def __init__(self, code: int, message: str, stage: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.stage = stage

    @property
    def reason(self) -> str:
        what = {"rcpt": "adresse refusée", "mail": "expéditeur refusé", "data": "message refusé"}[self.stage]
        return f"{what} par le serveur de courriel ({self.code} {self.message.strip()})"


class Unreachable(Exception):
    """The server could not be reached or the connection broke."""

    @property
    def reason(self) -> str:
        return f"serveur de courriel injoignable ({self.args[0]})"


class Unsendable(Exception):
    """This message cannot go to this address at all (retrying would not help): e.g. an address that is not
    ASCII when the server does not offer SMTPUTF8 (RFC 6531), or a message that cannot be built."""

    @property
    def reason(self) -> str:
        return str(self.args[0])


class InDoubt(Exception):
    """The message was handed over (its final "." written) but no answer came: the server most likely has it.
    Sending it again would risk a duplicate, so it counts as delivered, with this reason."""

    @property
    def reason(self) -> str:
        return f"présumé remis : pas de réponse du serveur après la fin du message ({self.args[0]})"


class Mailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        c = self.config
        client = aiosmtplib.SMTP(hostname=c.host, port=c.port, use_tls=c.implicit_tls, start_tls=c.starttls,
                                 timeout=c.timeout)
        try:
            await client.connect()
            if c.username:
                await client.login(c.username, c.password or "")
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise Unreachable(str(exc) or type(exc).__name__) from exc
        self._client = client
        return client

    async def close(self) -> None:
        if self._client is not None and self._client.is_connected:
            try:
                await self._client.quit()
            except (aiosmtplib.SMTPException, OSError):
                self._client.close()
        self._client = None

    async def send(self, *, sender: str, recipient: str, message: bytes,
                   handing_over: Callable[[], Awaitable[None]]) -> str:
        """Sends one message to one recipient; returns the server's answer ("250 …").

        `handing_over` is awaited after the whole message is written and before the final "."; it must record
        durably that the message is being handed over. Raises Refused or Unreachable.
        """
        client = await self._connected()
        utf8 = not (sender.isascii() and recipient.isascii())
        encoding, options = ("utf-8", ["SMTPUTF8"]) if utf8 else ("ascii", [])
        stage = "mail"
        handed = False
        try:
            if utf8:
                if client.is_ehlo_or_helo_needed:  # the server's extensions are known after EHLO
                    await client.ehlo()
                if not client.supports_extension("smtputf8"):
                    raise Unsendable(f"adresse non ASCII ({recipient}) : "
                                     "le serveur de courriel n'accepte pas SMTPUTF8")
            await client.mail(sender, options=options, encoding=encoding)
            stage = "rcpt"
            await client.rcpt(recipient, encoding=encoding)
            stage = "data"
            start = await client.execute_command(b"DATA")
            if start.code != 354:
                raise aiosmtplib.SMTPDataError(start.code, start.message)
            protocol = client.protocol
            assert protocol is not None
            protocol.write(PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message)))
            try:
                await handing_over()
            except BaseException:
                self._drop()  # without its final ".", the server discards the unfinished message
                raise
            protocol.write(b".\r\n")
            handed = True
            answer = await protocol.read_response(timeout=self.config.timeout)
            if answer.code != 250:
                raise aiosmtplib.SMTPDataError(answer.code, answer.message)
            return f"{answer.code} {answer.message.strip()}"
        except aiosmtplib.SMTPResponseException as exc:
            await self._reset()
            raise Refused(exc.code, exc.message, stage) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            self._drop()
            if handed:
                raise InDoubt(str(exc) or type(exc).__name__) from exc
            raise Unreachable(str(exc) or type(exc).__name__) from exc

    async def _reset(self) -> None:
        """After a refusal the transaction is abandoned (RSET) and the connection reused."""
        if self._client is None:
            return
        try:
            await self._client.rset()
        except (aiosmtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
