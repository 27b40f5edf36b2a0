"""The table of `system.py`: each figure beside its reference measured in the same run and the target of issue 14,
and `benchmarks/results/latest.json` (with the machine, the date and the commit)."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
# Issue 14's targets on a 2-core machine; the production-like variant within 3x of them.
TARGET_P99_MS = 50.0
TARGET_ZERO_LOSS = 500
TARGET_PAGE_P95_MS = 50.0
TARGET_RSS_MB = 150.0


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _pcts(p: dict[str, float | None]) -> str:
    return f"p50 {_ms(p['p50'])} / p95 {_ms(p['p95'])} / p99 {_ms(p['p99'])} ms"


def _errors(errors: dict[str, int]) -> str:
    return ", ".join(f"{k} ×{v}" for k, v in errors.items()) or "aucune"


def _ok(good: bool) -> str:
    return "✓" if good else "✗"


def rows_of(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(what, measured, reference, target) lines of one variant."""
    factor = 3.0 if result["variant"] == "production" else 1.0
    rows: list[tuple[str, str, str, str]] = []
    refs = {r["rate"]: r for r in result["nats_reference"]}
    for w in result["writes"]:
        ref = refs.get(w["rate"])
        done = f"{w['done']}/{w['offered']} faites ({w['done_per_second']}/s)"
        measured = (f"{done}; POST répondu→événement {_pcts(w['event_latency_ms'])} (envoi→événement p99 "
                    f"{_ms(w['post_to_event_ms']['p99'])} ms); POST p50/p99 {_ms(w['post_ms']['p50'])}/"
                    f"{_ms(w['post_ms']['p99'])} ms; erreurs {_errors(w['errors'])}; perdues {w['lost']}; sans part "
                    f"libre {w['skipped_no_free_part']}")
        target = ""
        if w["rate"] >= 200:
            p99 = w["event_latency_ms"]["p99"]
            good = w["all_done"] and p99 is not None and p99 <= TARGET_P99_MS * factor
            target = f"toutes faites, p99 ≤ {TARGET_P99_MS * factor:.0f} ms {_ok(good)}"
        reference = f"nats-py {_pcts(ref['latency_ms'])}" if ref else "—"
        rows.append((f"Écritures des référents {w['rate']}/s × {w['seconds']:g} s", measured, reference, target))
    zl = result["zero_loss"]
    steps = "; ".join(f"{s['rate']}/s {s['done']}/{s['offered']}{'' if s['all_done'] else ' ✗'}" for s in zl["steps"])
    highest = zl["highest"]
    goal = TARGET_ZERO_LOSS / factor
    rows.append(("Débit le plus haut sans perte", f"{highest or 0}/s (paliers : {steps})", "—",
                 f"≥ {goal:.0f}/s {_ok((highest or 0) >= goal)}"))
    imp = result.get("import", {})
    if "seconds" in imp:
        rows.append((f"Import CSV de {imp['rows']} lignes (indicateurs)",
                     f"{imp['seconds']} s ({imp['rows_per_second']} lignes/s), événements publiés "
                     f"+{imp['events_published_after_seconds']} s", "—", ""))
    elif imp:
        rows.append((f"Import CSV de {imp.get('rows')} lignes", imp.get("error", "?"), "—", ""))
    static = next((p for p in result["pages"] if p.get("reference")), None)
    for p in result["pages"]:
        if p.get("reference"):
            continue
        measured = (f"{_pcts(p['latency_ms'])}; {p['ok']}/{p['offered']} ({p['done_per_second']}/s); "
                    f"erreurs {_errors(p['errors'])}; {p['bytes'] / 1000:.0f} ko")
        reference = (f"statique {_pcts(static['latency_ms'])}, {static['bytes'] / 1000:.0f} ko" if static else "—")
        p95 = p["latency_ms"]["p95"]
        good = p95 is not None and p95 <= TARGET_PAGE_P95_MS * factor and not p["errors"]
        rows.append((f"{p['label']}, {p['rate']}/s, {p['sessions'] or 'sans'} sessions", measured, reference,
                     f"p95 ≤ {TARGET_PAGE_P95_MS * factor:.0f} ms, sans erreur {_ok(good)}"))
    mem = result["memory_mb"]
    for name, after in mem["after_import"].items():
        if name == "launcher":
            continue
        rest = mem["at_rest"].get(name)
        good = after is not None and after < TARGET_RSS_MB
        rows.append((f"Mémoire {name}", f"{rest} Mo au repos → {mem['after_load'].get(name)} après la charge → "
                     f"{after} Mo après l'import", "—", f"< {TARGET_RSS_MB:.0f} Mo {_ok(good)}"))
    lp = result["load_process"]
    rows.append(("Processus de charge (lui-même)", f"{lp['cpu_seconds']} s de CPU en {lp['wall_seconds']} s "
                 f"({lp['cpu_percent_of_a_core']} % d'un cœur), {lp.get('max_rss_mb')} Mo", "—", "pas le goulot"))
    for w in result["writes"]:
        cpu = ", ".join(f"{k} {v:.0f} %" for k, v in sorted(w["cpu_percent_of_a_core"].items(), key=lambda x: -x[1]))
        rows.append((f"CPU pendant les écritures {w['rate']}/s (% d'un cœur)", cpu, "—", ""))
    return rows


def print_table(results: list[dict[str, Any]]) -> None:
    for result in results:
        title = {"sqlite": "SQLite + NATS", "production": "type production : PostgreSQL + cluster NATS 3 nœuds R3"}
        print(f"\n  === Variante {result['variant']} ({title.get(result['variant'], '')})")
        if "failed" in result:
            print(f"  échec : {result['failed']}")
            continue
        rows = rows_of(result)
        width = max(len(r[0]) for r in rows)
        for what, measured, reference, target in rows:
            print(f"  {what:<{width}}  {measured}")
            extra = "   ".join(x for x in (f"réf. : {reference}" if reference != "—" else "",
                                          f"cible : {target}" if target else "") if x)
            if extra:
                print(f"  {'':<{width}}    {extra}")


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("model name")), "")
    return {"hostname": platform.node(), "cpus": os.cpu_count(), "cpu_model": model,
            "python": platform.python_version(), "kernel": platform.release()}


def report(results: list[dict[str, Any]], *, quick: bool, options: dict[str, Any]) -> Path:
    print_table(results)
    document = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "commit": _git("rev-parse", "HEAD"),
                "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
                "mode": "quick" if quick else "full", "machine": machine(), "options": options,
                "targets": {"event_p99_ms_at_200_per_s": TARGET_P99_MS, "zero_loss_per_s": TARGET_ZERO_LOSS,
                            "page_p95_ms": TARGET_PAGE_P95_MS, "rss_mb": TARGET_RSS_MB,
                            "production_factor": 3},
                "results": results}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / ("latest-quick.json" if quick else "latest.json")
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\n  Résultats écrits dans {path.relative_to(ROOT)}")
    return path
