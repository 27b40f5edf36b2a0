import services.participation.service  # noqa: F401 - registers every aggregate's tables
from kernel.migrations import run_env
from services.participation.models import metadata

run_env(metadata)
