from kernel.runner import serve
from services.participation.app import create_app
from services.participation.settings import Settings

settings = Settings()
serve(lambda: create_app(settings), settings)
