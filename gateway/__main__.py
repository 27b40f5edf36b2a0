from gateway.app import create_app
from gateway.settings import Settings
from kernel.runner import serve

settings = Settings()
serve(lambda: create_app(settings), settings)
