"""The national codes of the priority neighbourhoods (QPV): a pure module, no database.

Two generations of codes exist (ANCT, data.gouv.fr « Quartiers prioritaires de la politique de la ville »):

- 2015-2023 (décret n° 2014-1750), the geography of the 2019 amendment: ``QP`` + the department on three
  characters + three digits, e.g. ``QP044001`` (Loire-Atlantique);
- since 1 January 2024 (décret n° 2023-1314): ``QN`` + the department on three characters + a two-digit order
  number + one letter, e.g. ``QN04404M``.

The department is ``001``…``095``, ``02A``/``02B`` (Corse) or ``971``…``976`` (outre-mer). A code is stored in
capitals without spaces; anything else is refused with a French message naming both forms.
"""

from __future__ import annotations

import re

_DEPARTMENT = r"(?:0(?:[1-9]\d|0[1-9]|2[AB])|97[1-6])"
_PATTERN = re.compile(rf"^(?:QP{_DEPARTMENT}\d{{3}}|QN{_DEPARTMENT}\d{{2}}[A-Z])$")
FORMAT_HELP = ("un code national de QPV : « QP » suivi du département sur 3 caractères et de 3 chiffres "
               "(ex. QP044001, géographie 2015), ou « QN » suivi du département, de 2 chiffres et d'une lettre "
               "(ex. QN04404M, géographie 2024)")


def normalise(code: str) -> str:
    """Capitals, without spaces: « qp 044 001 » → « QP044001 »."""
    return re.sub(r"\s+", "", code).upper()


def is_valid(code: str) -> bool:
    """Whether `code` (already normalised) has the form of a national QPV code."""
    return bool(_PATTERN.match(code))
