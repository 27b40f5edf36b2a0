from kernel.migrations import run_env
from services.engagements.models import metadata

run_env(metadata)
