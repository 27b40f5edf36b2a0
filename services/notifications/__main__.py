from kernel.runner import serve
from services.notifications.app import create_app
from services.notifications.settings import Settings

settings = Settings()
serve(lambda: create_app(settings), settings)
