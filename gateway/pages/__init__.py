"""The gateway's pages, one package per domain (its routes gathered in the package's `router`), their templates
under `gateway/templates/<domain>/`: `public` (home, login, integrators), `engagements`, `indicateurs`,
`participation` (the governance bodies, meetings, agendas, minutes and decisions), `admin`.
`lookups` holds the reference lists several domains show (QPV, organisations)."""
