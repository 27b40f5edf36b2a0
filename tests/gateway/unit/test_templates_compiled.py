"""The gateway compiles every template at start-up (`rendering.compile_all`): the first visitor of a page after a
restart no longer waits for its templates to compile (a quarter of a second for an engagement's page), and a
template that does not compile stops the start-up rather than failing one page later."""

from __future__ import annotations

from typing import Any

import jinja2
import pytest

from gateway import rendering


def test_after_start_up_no_page_compiles_a_template(monkeypatch: pytest.MonkeyPatch) -> None:
    count = rendering.compile_all()
    assert count == len(rendering.templates.env.list_templates(extensions=["html"])) > 50

    def no_compile(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a template compiled after start-up")

    monkeypatch.setattr(rendering.templates.env, "compile", no_compile)
    for name in rendering.templates.env.list_templates(extensions=["html"]):
        rendering.templates.env.get_template(name)


def test_a_template_that_does_not_compile_stops_the_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = jinja2.Environment(loader=jinja2.DictLoader({"ok.html": "{{ a }}", "broken.html": "{% if a %}"}))
    monkeypatch.setattr(rendering.templates, "env", broken)
    with pytest.raises(jinja2.TemplateSyntaxError) as error:
        rendering.compile_all()
    assert error.value.name == "broken.html"
