from kernel.runner import serve
from services.indicateurs.app import create_app
from services.indicateurs.settings import Settings

settings = Settings()
serve(lambda: create_app(settings), settings)
