"""The CSV format of bulk entry, checked apart from any database: what a line becomes, and the French reason,
with its line number, for each line that cannot be recorded."""

from services.indicateurs.csv_format import MAX_COMMENT, Context, Row, check_file
from services.indicateurs.models import IndicatorDefinition, Qpv, Qualification

PLACES = IndicatorDefinition(id=1, contract_id="c", engagement_number=24, engagement_title="Petite enfance",
                             label="Nombre de places", responsible=["caf", "ville-nantes"])
BY_QPV = IndicatorDefinition(id=2, contract_id="c", engagement_number=40, engagement_title="Habitants",
                             label="Participation des habitants", by_qpv=True, qpv=["bellevue", "dervallieres"],
                             periodicity="semestrielle", responsible=["caf"])
BALANCE = IndicatorDefinition(id=3, contract_id="c", engagement_number=12, engagement_title="Budget",
                              label="Solde", unit="euros", negative_allowed=True, responsible=["caf"])
RETIRED = IndicatorDefinition(id=4, contract_id="c", engagement_number=12, engagement_title="Budget",
                              label="Ancien libellé", active=False, responsible=["caf"])
OTHERS = IndicatorDefinition(id=5, contract_id="c", engagement_number=7, engagement_title="Emploi",
                             label="Demandeurs d'emploi", responsible=["pole-emploi"])
QPV = {"bellevue": Qpv(id="bellevue", name="Bellevue", code="QP044001"),
       "dervallieres": Qpv(id="dervallieres", name="Dervallières", code="QP044002"),
       "malakoff": Qpv(id="malakoff", name="Malakoff", code="QP044003")}


def context(locked: dict[str, str] | None = None) -> Context:
    definitions = {d.id or 0: d for d in (PLACES, BY_QPV, BALANCE, RETIRED, OTHERS)}
    return Context(organisation_id="caf", definitions=definitions, qpv=QPV,
                   lock=lambda period: (locked or {}).get(period))


def check(text: str, **kwargs):  # type: ignore[no-untyped-def]
    return check_file(text.encode("utf-8"), context(**kwargs))


def test_a_spreadsheet_file_reads_as_rows_ready_to_record() -> None:
    text = ("\ufeffIndicateur;Période;QPV;Valeur;Qualification;Commentaire;Source;\r\n"
            "1;2020;;1 234,5;Estimé;\"Recompté ; avec\nles crèches\";CAF;\r\n"
            "\r\n"
            "2;2020-s1;qp044001;12;;;;\r\n"
            "3;2021;;-40,25;définitif;;;\r\n")
    checked = check(text)
    assert checked.errors == []
    assert checked.rows == [
        Row(line=2, indicator_id=1, period="2020", qpv_id=None, value=1234.5, qualification=Qualification.ESTIME,
            comment="Recompté ; avec\nles crèches", source="CAF"),
        Row(line=5, indicator_id=2, period="2020-S1", qpv_id="bellevue", value=12.0,
            qualification=Qualification.PROVISOIRE, comment=None, source=None),
        Row(line=6, indicator_id=3, period="2021", qpv_id=None, value=-40.25, qualification=Qualification.DEFINITIF,
            comment=None, source=None),
    ], "line numbers count the line break inside a quoted comment and the blank line"


def test_commas_separate_when_the_header_says_so_and_columns_come_in_any_order() -> None:
    checked = check("valeur,qualification,period,qpv,indicateur\n\"1,5\",provisoire,2022,,1\n")
    assert checked.errors == []
    assert [(r.indicator_id, r.period, r.value) for r in checked.rows] == [(1, "2022", 1.5)]


def test_every_bad_line_is_reported_with_its_number_and_its_reasons() -> None:
    text = "\n".join([
        "indicateur;periode;qpv;valeur;qualification",
        "99;2020;;1;",                 # 2
        "1;2020-T1;;1;",               # 3
        "1;2020;bellevue;1;",          # 4
        "2;2020-S1;;1;",               # 5
        "2;2020-S1;malakoff;1;",       # 6
        "2;2020-S2;atlantide;1;",      # 7
        "1;2020;;-3;",                 # 8
        "1;2021;;beaucoup;",           # 9
        "1;2022;;3;approximatif",      # 10
        "4;2020;;1;",                  # 11
        "5;2020;;1;",                  # 12
        "1;2023;;1",                   # 13
        ";;;;",                        # blank: ignored
        "3;2020;;5;",                  # 15
        "3;2020;;6;",                  # 16
        ";2020;;;",                    # 17: no value, skipped
        ";2020;;;estimé",              # 18: no value, skipped
        "1;2024;;;;",                  # 19
    ])
    checked = check(text)
    assert checked.errors == [
        {"line": 2, "reason": "indicateur inconnu « 99 »"},
        {"line": 3, "reason": "période hors périodicité : « 2020-T1 » ne convient pas à un indicateur annuel "
                              "(attendu : AAAA, par exemple 2020)"},
        {"line": 4, "reason": "QPV non attendu : l'indicateur 1 n'est pas décliné par QPV"},
        {"line": 5, "reason": "QPV manquant : l'indicateur 2 est décliné par QPV"},
        {"line": 6, "reason": "QPV « malakoff » hors du périmètre de l'indicateur 2"},
        {"line": 7, "reason": "QPV inconnu « atlantide »"},
        {"line": 8, "reason": "valeur négative impossible pour l'indicateur 1 (-3)"},
        {"line": 9, "reason": "valeur non numérique « beaucoup »"},
        {"line": 10, "reason": "qualification inconnue « approximatif » (provisoire, estimé ou définitif)"},
        {"line": 11, "reason": "indicateur 4 retiré du contrat"},
        {"line": 12, "reason": "organisation non responsable : « caf » ne renseigne pas l'indicateur 5 "
                               "(« Demandeurs d'emploi »)"},
        {"line": 13, "reason": "nombre de colonnes incorrect : 4 au lieu de 5"},
        {"line": 16, "reason": "ligne en double : même indicateur, période et QPV qu'à la ligne 15"},
        {"line": 19, "reason": "nombre de colonnes incorrect : 6 au lieu de 5"},
    ]
    assert [r.line for r in checked.rows] == [15], "the service records nothing while any line is bad"
    assert (checked.lines, checked.skipped) == (17, 2), "lines without a value are counted, not refused"


def test_a_locked_period_and_overlong_texts_are_refused() -> None:
    long_comment = "x" * (MAX_COMMENT + 1)
    checked = check(f"indicateur;periode;qpv;valeur;qualification;commentaire;source\n"
                    f"1;2020;;1;;;\n1;2021;;1;;{long_comment};\n1;2022;;1;;;{'s' * 501}\n",
                    locked={"2020": "la campagne « Bilan 2020 » (2020) est close"})
    assert checked.errors == [
        {"line": 2, "reason": "période verrouillée : la campagne « Bilan 2020 » (2020) est close"},
        {"line": 3, "reason": f"commentaire trop long ({MAX_COMMENT + 1} caractères, {MAX_COMMENT} au plus)"},
        {"line": 4, "reason": "source trop longue (501 caractères, 500 au plus)"},
    ]


def test_a_bad_header_is_one_error_on_line_1_naming_what_is_wrong() -> None:
    checked = check("indicateur;periode;valeur;valeur;qualification;couleur\n1;2020;1;1;;bleu\n")
    assert checked.rows == []
    assert checked.errors == [{"line": 1, "reason": "en-tête invalide : colonne inconnue « couleur », colonne « qpv » "
                                                    "absente, colonne « valeur » en double (attendu : indicateur;"
                                                    "periode;qpv;valeur;qualification;commentaire;source)"}]


def test_an_empty_file_a_header_alone_and_an_unknown_encoding_are_explained() -> None:
    assert check("").errors == [{"line": 1, "reason": "fichier vide : il faut une ligne d'en-tête puis des valeurs"}]
    assert check("indicateur;periode;qpv;valeur;qualification\n\n").errors == [
        {"line": 2, "reason": "aucune valeur : le fichier n'a que son en-tête"}]
    assert check("indicateur;periode;qpv;valeur\n1;2020;;\n3;2020;;\n").errors == [
        {"line": 2, "reason": "aucune valeur : les lignes du fichier sont sans valeur"}]
    neither = b"indicateur;periode;qpv;valeur;qualification;commentaire\n1;2020;;1;;\n1;2021;;1;;\x81t\xe9\n"
    assert check_file(neither, context()).errors == [
        {"line": 3, "reason": "encodage non reconnu : enregistrez le fichier en UTF-8 ou en Windows-1252 (« CSV "
                              "(séparateur : point-virgule) » d'Excel)"}]


def test_what_french_excel_saves_is_read_windows_1252_semicolons_decimal_comma_and_blank_lines_skipped() -> None:
    text = ("indicateur;libellé;engagement;unité;periode;qpv;quartier;valeur;qualification;commentaire;source\r\n"
            "1;Nombre de places;24;nombre;2020;;;1\xa0234,5;provisoire;Été 2020 – recompté;CAF\r\n"
            "2;Participation;40;nombre;2020-S1;bellevue;Bellevue;;provisoire;;\r\n"
            "2;Participation;40;nombre;2020-S1;dervallieres;Dervallières;12;provisoire;;\r\n"
            "3;Solde;12;euros;2021;;;;provisoire;;\r\n")
    checked = check_file(text.encode("cp1252"), context())
    assert checked.errors == []
    assert [(r.indicator_id, r.qpv_id, r.value, r.comment) for r in checked.rows] == [
        (1, None, 1234.5, "Été 2020 – recompté"), (2, "dervallieres", 12.0, None)]
    assert (checked.lines, checked.skipped) == (4, 2)


def test_an_overlong_field_is_its_line_s_error_not_the_reader_s() -> None:
    huge = "x" * 200_000
    checked = check(f"indicateur;periode;qpv;valeur;commentaire\n1;2020;;1;{huge}\n1;2021;;{huge};\n")
    assert checked.errors == [
        {"line": 2, "reason": f"commentaire trop long (200000 caractères, {MAX_COMMENT} au plus)"},
        {"line": 3, "reason": f"valeur non numérique « {'x' * 60}… »"}]


def _workbook(rows: list[list[object]], percent_cells: tuple[str, ...] = (), sheet: str = "Valeurs") -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for ref in percent_cells:
        ws[ref].number_format = "0%"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_an_xlsx_workbook_reads_like_the_csv_numbers_percentages_and_unfilled_lines() -> None:
    content = _workbook([
        ["indicateur", "libellé", "periode", "qpv", "valeur", "qualification", "commentaire"],
        [1, "Nombre de places", 2020, None, 1234.5, "définitif", None],
        [2, "Participation", "2020-S1", "QP044002", 0.125, None, "en %"],
        [3, "Solde", 2021, None, None, "provisoire", None],
        [None, None, None, None, None, None, None],
        [3, "Solde", 2022, None, -40, None, None],
    ], percent_cells=("E3",))
    checked = check_file(content, context())
    assert checked.errors == []
    assert [(r.line, r.indicator_id, r.period, r.qpv_id, r.value) for r in checked.rows] == [
        (2, 1, "2020", None, 1234.5), (3, 2, "2020-S1", "dervallieres", 12.5), (6, 3, "2022", None, -40.0)]
    assert (checked.lines, checked.skipped) == (4, 1)


def test_a_bad_workbook_line_is_named_and_unreadable_workbooks_are_explained() -> None:
    content = _workbook([["indicateur", "periode", "qpv", "valeur"], [1, 2020, None, "beaucoup"]], sheet="Feuil1")
    assert check_file(content, context()).errors == [{"line": 2, "reason": "valeur non numérique « beaucoup »"}]
    assert check_file(b"PK\x03\x04 not a zip", context()).errors == [
        {"line": 1, "reason": "fichier Excel illisible : enregistrez-le de nouveau au format .xlsx, ou en CSV"}]
    assert "format .xls" in str(check_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", context()).errors)
