"""Indicateurs: indicator definitions, submissions per period and QPV, validation, series and exports."""
