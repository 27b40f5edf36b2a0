from kernel.migrations import run_env
from services.participation.models import metadata

run_env(metadata)
