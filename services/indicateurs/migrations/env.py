from kernel.migrations import run_env
from services.indicateurs.models import metadata

run_env(metadata)
