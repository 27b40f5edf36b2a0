from gateway.models import metadata
from kernel.migrations import run_env

run_env(metadata)
