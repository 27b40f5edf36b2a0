from kernel.runner import serve
from services.engagements.app import create_app
from services.engagements.settings import Settings

settings = Settings()
serve(lambda: create_app(settings), settings)
